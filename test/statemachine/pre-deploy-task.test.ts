import { taskDefinitionLabel } from '../../functions/ecs/task-definition';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { createSampleWorld, digest, eventStatuses, executionInput, runDeployment, statesEntered, STREAM_ML, streamMlTarget } from '../support/world';

/**
 * `ecs.preDeployTask` on the real state machine: a one-off task from the new
 * revision (migrations, say), in the service's network configuration, that must
 * exit 0 before the service changes. Otherwise the deployment fails with the
 * service untouched and the new revision deregistered.
 */

const NEW_DIGEST = digest('stream-ml-v1.6.0');
const MIGRATE = ['python', '-m', 'app.migrate', '--to', 'head'];
const realNow = Date.now.bind(Date);
let account: SimulatedAwsAccount;

afterEach(() => {
  jest.restoreAllMocks();
  account.restore();
});

const target = (task: Record<string, unknown> = {}) =>
  streamMlTarget({ ecs: { cluster: STREAM_ML.cluster, service: STREAM_ML.service, passRoles: ['ecsTaskExecutionRole'], preDeployTask: { command: MIGRATE, ...task } } });
const runningLabel = () => taskDefinitionLabel(account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn ?? '');
const revisionStatus = (revision: number) => [...account.taskDefinitions.values()].find((entry) => entry.taskDefinition.family === 'stream-ml-service' && entry.taskDefinition.revision === revision)?.taskDefinition.status;

describe('a pre-deploy task that exits 0', () => {
  it('runs from the new revision in the service\'s network configuration, then the service changes', async () => {
    account = createSampleWorld();

    const run = await runDeployment(executionInput(account, target(), NEW_DIGEST, 'v1.6.0'));

    expect(run.status).toBe('SUCCEEDED');
    const [oneOff] = [...account.oneOffTasks.values()];
    expect(oneOff?.input).toMatchObject({
      cluster: STREAM_ML.cluster,
      taskDefinition: expect.stringMatching(/task-definition\/stream-ml-service:2$/),
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60718'], assignPublicIp: 'DISABLED' } },
      overrides: { containerOverrides: [{ name: STREAM_ML.container, command: MIGRATE }] },
    });
    const calls = account.calls.filter((call) => /RegisterTaskDefinition|RunTask|UpdateService/.test(call));
    expect(calls).toEqual(['ECS.RegisterTaskDefinition', 'ECS.RunTask', 'ECS.UpdateService']);
    expect(runningLabel()).toBe('stream-ml-service:2');
    expect(statesEntered(run)).toEqual(expect.arrayContaining(['EcsRegisterNewRevision', 'EcsRunPreDeployTask', 'EcsCheckPreDeployTask', 'EcsDeployNewRevision']));
  });
});

describe('a pre-deploy task that fails', () => {
  it('exit code 1: FAILED with its exit code, reason and log stream; the service never changed, the new revision is deregistered', async () => {
    account = createSampleWorld();
    account.setImageBehaviour(NEW_DIGEST, 'crashes');

    const run = await runDeployment(executionInput(account, target(), NEW_DIGEST, 'v1.6.0'));

    expect(run).toMatchObject({ status: 'FAILED', error: 'PreDeployTaskFailed' });
    expect(account.calls).not.toContain('ECS.UpdateService');
    expect(runningLabel()).toBe('stream-ml-service:1');
    expect(revisionStatus(2)).toBe('INACTIVE');
    expect(eventStatuses(account)).toEqual(['STARTED', 'FAILED']);
    expect(account.events.at(-1)).toMatchObject({
      phase: 'pre-deploy-task',
      reason: expect.stringMatching(/^PreDeployTaskFailed: the pre-deploy task \(python -m app\.migrate --to head\) exited 1: Essential container in task exited; migration failed: relation "users" already exists\. Log stream: \S+\/stream-ml-service\/\w+\. The service was not changed; the new revision is deregistered/),
    });
  });

  it('past its timeout: stopped, FAILED, the service never changed', async () => {
    account = createSampleWorld();
    account.setImageBehaviour(NEW_DIGEST, 'never-stabilises');
    // Once the task has been looked at, an hour has passed.
    jest.spyOn(Date, 'now').mockImplementation(() => (account.calls.includes('ECS.DescribeTasks') ? realNow() + 3_600_000 : realNow()));

    const run = await runDeployment(executionInput(account, target({ timeoutSeconds: 300 }), NEW_DIGEST, 'v1.6.0'));

    expect(run.error).toBe('PreDeployTaskFailed');
    expect(account.calls).toContain('ECS.StopTask');
    expect(account.calls).not.toContain('ECS.UpdateService');
    expect([...account.oneOffTasks.values()][0]?.task.lastStatus).toBe('STOPPED');
    expect(account.events.at(-1)?.reason).toContain('ran past its 300 s and was stopped');
  });

  it('names a container the task definition does not have: FAILED before any task ran', async () => {
    account = createSampleWorld();

    const run = await runDeployment(executionInput(account, target({ container: 'migrations' }), NEW_DIGEST, 'v1.6.0'));

    expect(run.error).toBe('ContainerNotFound');
    expect(account.oneOffTasks.size).toBe(0);
    expect(account.calls).not.toContain('ECS.UpdateService');
    expect(revisionStatus(2)).toBe('INACTIVE');
  });
});
