import { taskDefinitionLabel } from '../../functions/ecs/task-definition';
import { startHealthServer, type RunningHealthServer } from '../../local/health-server';
import { STREAM_ML_CURRENT_DIGEST } from '../../local/sample-world';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { describeFaultMatrix, requestsByHand } from '../support/fault-matrix';
import { digest, executionInput, runDeployment, STREAM_ML, streamMlTarget } from '../support/world';

/** The fault matrix for an ECS service (stream-ml-service): every Task state it may enter × every fault. */

const NEW_DIGEST = digest('v1.4.0');
let health: RunningHealthServer;

beforeAll(async () => {
  health = await startHealthServer(() => ({ status: 200, body: 'ok' }));
});

afterAll(async () => {
  await health.close();
});

const target = () => streamMlTarget({ smokeTests: [{ http: { url: health.url } }] });
const push = (account: SimulatedAwsAccount) => runDeployment(executionInput(account, target(), NEW_DIGEST, 'v1.4.0'));
const withPreDeployTask = () =>
  streamMlTarget({ smokeTests: [{ http: { url: health.url } }], ecs: { cluster: STREAM_ML.cluster, service: STREAM_ML.service, passRoles: ['ecsTaskExecutionRole'], preDeployTask: { command: ['python', '-m', 'app.migrate'] } } });


describeFaultMatrix({
  kind: 'ecs',
  title: 'ECS service',
  slot: `ecs:${STREAM_ML.cluster}/${STREAM_ML.service}`,
  snapshot: (account) => ({
    running: taskDefinitionLabel(account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn ?? ''),
    digests: [...new Set(account.runningDigests(STREAM_ML.cluster, STREAM_ML.service).map((task) => task[STREAM_ML.container]))],
    revisions: [...account.taskDefinitions.values()]
      .filter(({ taskDefinition }) => taskDefinition.family === STREAM_ML.family)
      .map(({ taskDefinition }) => `${taskDefinition.revision} ${taskDefinition.status}`),
    // A retried RunTask starts no second pre-deploy task.
    oneOffTasks: account.oneOffTasks.size,
    scheduledTasks: account.rules.pinned(),
  }),
  scenarios: [
    { name: 'a healthy image is deployed and smoke-tested', run: push },
    {
      name: 'a healthy image is deployed, and its scheduled tasks follow',
      run: (account) => {
        const cluster = `arn:aws:ecs:us-east-1:123456789012:cluster/${STREAM_ML.cluster}`;
        const task = (id: string, taskDefinition: string) => ({ Id: id, Arn: cluster, RoleArn: 'arn:aws:iam::123456789012:role/ecsEventsRole', EcsParameters: { TaskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${taskDefinition}`, TaskCount: 1 } });
        account.rules.putRule('stream-ml-nightly-retrain', [task('retrain', `${STREAM_ML.family}:1`)]);
        account.rules.putRule('stream-ml-hourly', [task('hourly', `${STREAM_ML.family}:1`), task('report', 'billing-report:3')]);
        const withRules = streamMlTarget({ smokeTests: [{ http: { url: health.url } }], ecs: { cluster: STREAM_ML.cluster, service: STREAM_ML.service, passRoles: ['ecsTaskExecutionRole'], scheduledTasks: 'auto' } });
        return runDeployment(executionInput(account, withRules, NEW_DIGEST, 'v1.4.0'));
      },
    },
    {
      name: 'a BLUE_GREEN service: ECS shifts the traffic and bakes, the deployer follows its service deployment',
      run: (account) => {
        account.setDeploymentStrategy(STREAM_ML.cluster, STREAM_ML.service, { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0 });
        return push(account);
      },
    },
    {
      name: 'a BLUE_GREEN service whose green crashes: ECS rolls back by itself',
      world: { circuitBreaker: { enable: true, rollback: true } },
      run: (account) => {
        account.setDeploymentStrategy(STREAM_ML.cluster, STREAM_ML.service, { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0 });
        account.setImageBehaviour(NEW_DIGEST, 'crashes');
        return push(account);
      },
    },
    {
      name: 'a BLUE_GREEN service whose smoke test fails once ECS finished: UpdateService back',
      run: (account) => {
        account.setDeploymentStrategy(STREAM_ML.cluster, STREAM_ML.service, { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0 });
        return runDeployment(executionInput(account, streamMlTarget({ smokeTests: [{ http: { url: `${health.url}-not-served`, attempts: 1 } }] }), NEW_DIGEST, 'v1.4.0'));
      },
    },
    {
      name: 'a BLUE_GREEN service paused for test traffic: green passes there, the hook is continued',
      run: (account) => {
        account.setDeploymentStrategy(STREAM_ML.cluster, STREAM_ML.service, { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0, lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'] }] });
        const smokeTests = [{ http: { url: health.url, stage: 'test-traffic' } }, { http: { url: health.url } }];
        return runDeployment(executionInput(account, streamMlTarget({ smokeTests }), NEW_DIGEST, 'v1.4.0'));
      },
    },
    {
      name: 'a pre-deploy task exits 0, then the service changes',
      run: (account) => runDeployment(executionInput(account, withPreDeployTask(), NEW_DIGEST, 'v1.4.0')),
    },
    {
      name: 'a pre-deploy task exits 1: the service never changes, the new revision is deregistered',
      run: (account) => {
        account.setImageBehaviour(NEW_DIGEST, 'crashes');
        return runDeployment(executionInput(account, withPreDeployTask(), NEW_DIGEST, 'v1.4.0'));
      },
    },
    {
      name: 'the rollout fails and is rolled back',
      world: { circuitBreaker: { enable: true, rollback: false } },
      run: (account) => {
        account.setImageBehaviour(NEW_DIGEST, 'crashes');
        return push(account);
      },
    },
    {
      name: "ECS's circuit breaker rolls back first",
      world: { circuitBreaker: { enable: true, rollback: true } },
      run: (account) => {
        account.setImageBehaviour(NEW_DIGEST, 'crashes');
        return push(account);
      },
    },
    {
      name: 'the previous revision does not come back either',
      world: { circuitBreaker: { enable: true, rollback: false } },
      run: (account) => {
        account.setImageBehaviour(NEW_DIGEST, 'crashes');
        account.setImageBehaviour(STREAM_ML_CURRENT_DIGEST, 'crashes');
        return push(account);
      },
    },
    {
      // The target groups' deregistration delay is read after UpdateService: throttling and a 5xx retry the step, which sends UpdateService again to no effect.
      name: 'ELB throttles, then answers 5xx, while the target groups are read',
      run: (account) => {
        account.failNext('DescribeTargetGroupAttributes', 1, 'ThrottlingException');
        account.failNext('DescribeTargetGroupAttributes', 1, 'ServiceUnavailableException');
        return push(account);
      },
    },
    {
      name: 'UpdateService is refused and the new revision deregistered',
      run: (account) => {
        account.failNext('UpdateService', 1, 'AccessDeniedException');
        return push(account);
      },
    },
    ...requestsByHand({ target, digest: NEW_DIGEST, tag: 'v1.4.0' }),
  ],
});
