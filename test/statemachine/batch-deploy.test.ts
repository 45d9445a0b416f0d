import { handler as registerStep } from '../../functions/handlers/batch-register-job-definition';
import { imageRef } from '../../functions/shared/image';
import { deploymentOfTarget } from '../support/deployments';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { createSampleWorld, digest, eventStatuses, executionInput, runDeployment, SPLITTER, splitterTarget, statesEntered } from '../support/world';

/** The Batch branch of the real statemachines/deploy.asl.yaml, against the simulated account. */

const NEW_DIGEST = digest('splitter-c0ffee1');
let account: SimulatedAwsAccount;

const revisionsOf = () => account.batch.jobDefinitions.filter((d) => d.jobDefinitionName === SPLITTER.jobDefinition);
const latestLabel = () => account.batch.latestActive(SPLITTER.jobDefinition)?.jobDefinitionArn?.split('/').pop();

afterEach(() => {
  account.restore();
});

describe('Batch deployment', () => {
  describe('when the test job succeeds', () => {
    it('registers a revision with the image by digest, everything else kept, and tests it before succeeding', async () => {
      account = createSampleWorld();
      const previous = account.batch.latestActive(SPLITTER.jobDefinition);

      const result = await runDeployment(executionInput(account, splitterTarget(), NEW_DIGEST, 'c0ffee1'));

      expect(result.status).toBe('SUCCEEDED');
      const latest = account.batch.latestActive(SPLITTER.jobDefinition);
      expect(latest?.revision).toBe(3);
      const { jobDefinitionArn: _a, revision: _r, tags: latestTags, containerProperties: latestContainer, ...latestRest } = latest ?? {};
      const { jobDefinitionArn: _b, revision: _s, tags: previousTags, containerProperties: previousContainer, ...previousRest } = previous ?? {};
      expect(latestRest).toEqual(previousRest);
      expect(latestContainer).toEqual({ ...previousContainer, image: `${account.registry}/${SPLITTER.repository}@${NEW_DIGEST}` });
      expect(latestTags).toEqual({ ...previousTags, 'ecr-deployer:deployment-id': expect.any(String) });
      expect(account.batch.jobs).toEqual([expect.objectContaining({ jobDefinition: latest?.jobDefinitionArn, status: 'SUCCEEDED' })]);
      expect(eventStatuses(account)).toEqual(['STARTED', 'SUCCEEDED']);
      expect(account.events.at(-1)).toMatchObject({
        kind: 'batch',
        previous: expect.stringMatching(/job-definition\/upscaler-splitter-job-dev:2$/),
        current: expect.stringMatching(/job-definition\/upscaler-splitter-job-dev:3$/),
      });
    });

    it('succeeds right after registering when the target has no test job', async () => {
      account = createSampleWorld();

      const result = await runDeployment(executionInput(account, splitterTarget({ smokeTests: [] }), NEW_DIGEST));

      expect(result.status).toBe('SUCCEEDED');
      expect(statesEntered(result)).not.toContain('BatchCheckTestJob');
      expect(account.batch.jobs).toHaveLength(0);
      expect(latestLabel()).toBe('upscaler-splitter-job-dev:3');
    });
  });

  describe('when no ACTIVE job definition exists', () => {
    it('fails with DefinitionNotFound, registers nothing and says so in a FAILED event', async () => {
      account = createSampleWorld();
      const target = splitterTarget({ batch: { jobDefinition: 'upscaler-splitter-job-qa' } });

      const result = await runDeployment(executionInput(account, target, NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'DefinitionNotFound' });
      expect(result.cause).toContain('Create it first');
      expect(account.calls).not.toContain('Batch.RegisterJobDefinition');
      expect(eventStatuses(account)).toEqual(['STARTED', 'FAILED']);
      expect(account.events.at(-1)).toMatchObject({ phase: 'register', reason: expect.stringContaining('DefinitionNotFound') });
    });
  });

  describe('when the test job fails', () => {
    it('deregisters the new revision so jobs by name get the previous one, and says why', async () => {
      account = createSampleWorld();
      account.setImageBehaviour(NEW_DIGEST, 'crashes');

      const result = await runDeployment(executionInput(account, splitterTarget(), NEW_DIGEST));

      expect(result).toMatchObject({ status: 'FAILED', error: 'SmokeTestFailed' });
      expect(result.cause).toMatch(/FAILED: Essential container in task exited; exit code 1; ffmpeg/);
      expect(latestLabel()).toBe('upscaler-splitter-job-dev:2');
      expect(revisionsOf().find((d) => d.revision === 3)?.status).toBe('INACTIVE');
      expect(revisionsOf().find((d) => d.revision === 2)?.status).toBe('ACTIVE');
      expect(eventStatuses(account)).toEqual(['STARTED', 'ROLLING_BACK', 'ROLLED_BACK']);
      expect(account.events.at(-1)).toMatchObject({ phase: 'test-job', current: expect.stringMatching(/:2$/) });
    });
  });

  describe('when the test job passes its deadline', () => {
    it('terminates it and rolls back', async () => {
      account = createSampleWorld();
      account.setImageBehaviour(NEW_DIGEST, 'never-stabilises');
      const target = splitterTarget({ smokeTests: [{ batchJob: { jobQueue: SPLITTER.jobQueue, timeoutSeconds: 60 } }] });
      const input = executionInput(account, target, NEW_DIGEST);
      // Once the job has been looked at, two hours have passed: it is past its deadline.
      const realNow = Date.now;
      jest.spyOn(Date, 'now').mockImplementation(() => (account.calls.includes('Batch.DescribeJobs') ? realNow() + 7_200_000 : realNow()));

      const result = await runDeployment(input);

      expect(result).toMatchObject({ status: 'FAILED', error: 'SmokeTestFailed' });
      expect(result.cause).toContain('it was terminated');
      expect(account.calls).toContain('Batch.TerminateJob');
      expect(latestLabel()).toBe('upscaler-splitter-job-dev:2');
      expect(eventStatuses(account)).toEqual(['STARTED', 'ROLLING_BACK', 'ROLLED_BACK']);
    });
  });

  describe('when a step runs twice', () => {
    it('registers exactly one new revision and keeps the same rollback target', async () => {
      account = createSampleWorld();
      const deployment = deploymentOfTarget(splitterTarget(), imageRef(account.registry, SPLITTER.repository, NEW_DIGEST, 'v1.4.0'), { id: 'splitter-twice' });

      const first = await registerStep({ deployment });
      const second = await registerStep({ deployment });

      expect(second).toEqual(first);
      expect(revisionsOf()).toHaveLength(3);
      expect(first.previousJobDefinitionArn).toMatch(/:2$/);
    });

    it('retries throttled calls and still registers one revision', async () => {
      account = createSampleWorld();
      account.failNext('RegisterJobDefinition', 2);
      account.failNext('SubmitJob', 1);

      const result = await runDeployment(executionInput(account, splitterTarget(), NEW_DIGEST));

      expect(result.status).toBe('SUCCEEDED');
      expect(revisionsOf()).toHaveLength(3);
      expect(account.batch.jobs).toHaveLength(1);
    });
  });
});
