import { jobDefinitionLabel } from '../../functions/batch/job-definition';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { describeFaultMatrix, requestsByHand } from '../support/fault-matrix';
import { digest, executionInput, runDeployment, SPLITTER, splitterTarget } from '../support/world';

/** The fault matrix for an AWS Batch job definition with a test job (the splitter): every Task state it may enter × every fault. */

const NEW_DIGEST = digest('splitter-c0ffee1');

const realNow = Date.now.bind(Date);

const push = (account: SimulatedAwsAccount, target = splitterTarget()) => runDeployment(executionInput(account, target, NEW_DIGEST, 'c0ffee1'));


describeFaultMatrix({
  kind: 'batch',
  title: 'Batch job definition',
  slot: `batch:${SPLITTER.jobDefinition}`,
  snapshot: (account) => ({
    latest: jobDefinitionLabel(account.batch.latestActive(SPLITTER.jobDefinition)?.jobDefinitionArn ?? ''),
    revisions: account.batch.jobDefinitions.filter((d) => d.jobDefinitionName === SPLITTER.jobDefinition).map((d) => `${d.revision} ${d.status}`),
    testJobs: account.batch.jobs.map((job) => job.status),
    scheduledJobs: account.rules.pinned(),
  }),
  scenarios: [
    { name: 'the test job succeeds', run: push },
    {
      name: 'the test job succeeds, and a scheduled rule follows the new revision',
      run: (account) => {
        account.rules.putRule('splitter-nightly', [
          {
            Id: 'split',
            Arn: `arn:aws:batch:us-east-1:123456789012:job-queue/${SPLITTER.jobQueue}`,
            RoleArn: 'arn:aws:iam::123456789012:role/upscaler-events-submit',
            BatchParameters: { JobDefinition: `${SPLITTER.jobDefinition}:1`, JobName: 'nightly-split' },
          },
        ]);
        const target = splitterTarget({ batch: { jobDefinition: SPLITTER.jobDefinition, passRoles: ['upscaler-splitter-job-role', 'upscaler-batch-execution-role'], scheduledJobs: { rules: ['splitter-nightly'], eventsRoles: ['upscaler-events-submit'] } } });
        return push(account, target);
      },
    },
    {
      name: 'the test job fails and the revision is rolled back',
      run: (account) => {
        account.setImageBehaviour(NEW_DIGEST, 'crashes');
        return push(account);
      },
    },
    {
      name: 'the test job passes its deadline, is terminated and rolled back',
      run: (account) => {
        account.setImageBehaviour(NEW_DIGEST, 'never-stabilises');
        // Once the job has been looked at, two hours have passed: it is past its deadline.
        jest.spyOn(Date, 'now').mockImplementation(() => (account.calls.includes('Batch.DescribeJobs') ? realNow() + 7_200_000 : realNow()));
        return push(account, splitterTarget({ smokeTests: [{ batchJob: { jobQueue: SPLITTER.jobQueue, timeoutSeconds: 60 } }] }));
      },
    },
    {
      name: 'deregistering the new revision is refused',
      run: (account) => {
        account.setImageBehaviour(NEW_DIGEST, 'crashes');
        account.failNext('DeregisterJobDefinition', 1000, 'AccessDeniedException');
        return push(account);
      },
    },
    {
      name: 'RegisterJobDefinition is refused',
      run: (account) => {
        account.failNext('RegisterJobDefinition', 1, 'ClientException');
        return push(account);
      },
    },
    ...requestsByHand({ target: () => splitterTarget(), digest: NEW_DIGEST, tag: 'c0ffee1' }),
  ],
});
