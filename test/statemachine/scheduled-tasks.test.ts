import type { Target } from '@aws-sdk/client-eventbridge';
import { taskDefinitionLabel } from '../../functions/ecs/task-definition';
import { STREAM_ML_CURRENT_DIGEST } from '../../local/sample-world';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { createSampleWorld, digest, executionInput, runDeployment, SPLITTER, splitterTarget, startExecution, statesEntered, STREAM_ML, streamMlTarget, type TargetSpec } from '../support/world';

/**
 * Scheduled tasks follow the deployment (ecs.scheduledTasks, batch.scheduledJobs) on
 * the real state machine: after the smoke tests passed, the EventBridge rules' targets
 * pinned to an older revision are re-pointed to the new one with every other field
 * kept; a failed deployment leaves them where they were; a rollback by hand brings
 * them back to the image it restores; what cannot follow is named in the SUCCEEDED
 * event, and the deployment itself is not affected.
 */

const NEW_DIGEST = digest('stream-ml-v1.6.0');
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${STREAM_ML.cluster}`;
const taskDefinitionArn = (label: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${label}`;
const EVENTS_ROLE = `arn:aws:iam::${ACCOUNT}:role/ecsEventsRole`;
let account: SimulatedAwsAccount;

afterEach(() => account.restore());

/** A scheduled task as the ECS console writes it: Fargate, the service's subnets, a command override, the events role. */
function retrainTask(taskDefinition: string, overrides: Partial<Target> = {}): Target {
  return {
    Id: 'retrain',
    Arn: CLUSTER_ARN,
    RoleArn: EVENTS_ROLE,
    Input: JSON.stringify({ containerOverrides: [{ name: STREAM_ML.container, command: ['python', '-m', 'app.retrain', '--since', '24h'] }] }),
    EcsParameters: {
      TaskDefinitionArn: taskDefinitionArn(taskDefinition),
      TaskCount: 1,
      LaunchType: 'FARGATE',
      PlatformVersion: 'LATEST',
      NetworkConfiguration: { awsvpcConfiguration: { Subnets: ['subnet-0a1b2c3d4e5f60718'], SecurityGroups: ['sg-0123456789abcdef0'], AssignPublicIp: 'DISABLED' } },
      PropagateTags: 'TASK_DEFINITION',
    },
    RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
    ...overrides,
  };
}

const withRules = (scheduledTasks: unknown): TargetSpec => streamMlTarget({ ecs: { cluster: STREAM_ML.cluster, service: STREAM_ML.service, passRoles: ['ecsTaskExecutionRole'], scheduledTasks } });
const pinnedTo = (rule: string, id: string) => taskDefinitionLabel(account.rules.target(rule, id)?.EcsParameters?.TaskDefinitionArn ?? '');
const succeededEvent = () => account.events.find((event) => event.status === 'SUCCEEDED');

describe('an ECS service with scheduled tasks', () => {
  it('re-points them after the smoke tests passed, every other field kept; other families and "latest" targets untouched', async () => {
    account = createSampleWorld();
    account.rules.putRule('stream-ml-nightly-retrain', [retrainTask('stream-ml-service:1'), { Id: 'report', Arn: CLUSTER_ARN, RoleArn: EVENTS_ROLE, EcsParameters: { TaskDefinitionArn: taskDefinitionArn('billing-report:3'), TaskCount: 1 } }]);
    account.rules.putRule('stream-ml-hourly-cleanup', [retrainTask('stream-ml-service', { Id: 'cleanup' })], 'rate(1 hour)');
    const before = account.rules.target('stream-ml-nightly-retrain', 'retrain');

    const run = await runDeployment(executionInput(account, withRules(['stream-ml-nightly-retrain', 'stream-ml-hourly-cleanup']), NEW_DIGEST, 'v1.6.0'));

    expect(run.status).toBe('SUCCEEDED');
    expect(account.rules.target('stream-ml-nightly-retrain', 'retrain')).toEqual({ ...before, EcsParameters: { ...before?.EcsParameters, TaskDefinitionArn: taskDefinitionArn('stream-ml-service:2') } });
    expect(pinnedTo('stream-ml-nightly-retrain', 'report')).toBe('billing-report:3');
    expect(account.rules.target('stream-ml-hourly-cleanup', 'cleanup')?.EcsParameters?.TaskDefinitionArn).toBe(taskDefinitionArn('stream-ml-service'));
    expect(account.rules.puts).toEqual([{ rule: 'stream-ml-nightly-retrain', targets: [expect.objectContaining({ Id: 'retrain' })] }]);
    const states = statesEntered(run);
    expect(states.indexOf('EcsRepointScheduledTasks')).toBeGreaterThan(states.lastIndexOf('EcsVerifyRunningImage'));
    expect(states.indexOf('EcsRepointScheduledTasks')).toBeLessThan(states.indexOf('PublishSucceeded'));
    expect(succeededEvent()?.scheduledTasks).toEqual({ repointed: [{ rule: 'stream-ml-nightly-retrain', targetId: 'retrain', from: 'stream-ml-service:1', to: 'stream-ml-service:2' }], failed: [] });
  });

  it('a deployment that rolls back leaves them on the revision they ran, and never enters the step', async () => {
    account = createSampleWorld({ circuitBreaker: { enable: true, rollback: false } });
    account.rules.putRule('stream-ml-nightly-retrain', [retrainTask('stream-ml-service:1')]);
    account.setImageBehaviour(NEW_DIGEST, 'crashes');

    const run = await runDeployment(executionInput(account, withRules(['stream-ml-nightly-retrain']), NEW_DIGEST, 'v1.6.0'));

    expect(run.status).toBe('FAILED');
    expect(statesEntered(run)).not.toContain('EcsRepointScheduledTasks');
    expect(pinnedTo('stream-ml-nightly-retrain', 'retrain')).toBe('stream-ml-service:1');
    expect(account.rules.puts).toEqual([]);
  });

  it('a rollback by hand brings them back to the image it restores', async () => {
    account = createSampleWorld();
    account.ecr.pushImage('stream-ml-service', STREAM_ML_CURRENT_DIGEST, ['v1.5.2']);
    account.rules.putRule('stream-ml-nightly-retrain', [retrainTask('stream-ml-service:1')]);
    await runDeployment(executionInput(account, withRules(['stream-ml-nightly-retrain']), NEW_DIGEST, 'v1.6.0'));
    expect(pinnedTo('stream-ml-nightly-retrain', 'retrain')).toBe('stream-ml-service:2');

    const rollback = await startExecution(account, { target: 'stream-ml-service', rollback: true });

    expect({ status: rollback.status, error: rollback.error, cause: rollback.cause }).toEqual({ status: 'SUCCEEDED' });
    const pinned = account.rules.target('stream-ml-nightly-retrain', 'retrain')?.EcsParameters?.TaskDefinitionArn ?? '';
    expect(pinned).toBe(account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn);
    expect(account.taskDefinitions.get(pinned)?.taskDefinition.containerDefinitions?.[0]?.image).toContain(STREAM_ML_CURRENT_DIGEST);
    expect(account.events.filter((event) => event.status === 'SUCCEEDED').at(-1)?.scheduledTasks?.repointed).toEqual([expect.objectContaining({ from: 'stream-ml-service:2', to: taskDefinitionLabel(pinned) })]);
  });

  it('a rule that no longer exists, a role it may not pass and a rule with nothing pinned are named in the event; the rest follows, the deployment SUCCEEDED', async () => {
    account = createSampleWorld();
    account.rules.putRule('stream-ml-nightly-retrain', [retrainTask('stream-ml-service:1')]);
    account.rules.putRule('stream-ml-weekly-audit', [retrainTask('stream-ml-service:1', { Id: 'audit', RoleArn: `arn:aws:iam::${ACCOUNT}:role/audit-events-role` })]);
    account.rules.putRule('billing-nightly', [{ Id: 'report', Arn: CLUSTER_ARN, RoleArn: EVENTS_ROLE, EcsParameters: { TaskDefinitionArn: taskDefinitionArn('billing-report:3') } }]);

    const run = await runDeployment(executionInput(account, withRules(['stream-ml-nightly-retrain', 'stream-ml-retired-rule', 'stream-ml-weekly-audit', 'billing-nightly']), NEW_DIGEST, 'v1.6.0'));

    expect(run.status).toBe('SUCCEEDED');
    expect(account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn).toBe(taskDefinitionArn('stream-ml-service:2'));
    expect(pinnedTo('stream-ml-nightly-retrain', 'retrain')).toBe('stream-ml-service:2');
    expect(pinnedTo('stream-ml-weekly-audit', 'audit')).toBe('stream-ml-service:1');
    expect(succeededEvent()?.scheduledTasks?.failed).toEqual([
      { rule: 'stream-ml-retired-rule', error: 'ScheduledTaskRuleNotFound', message: expect.stringContaining('does not exist on the default event bus') },
      { rule: 'stream-ml-weekly-audit', targetId: 'audit', error: 'ScheduledTaskRoleNotAllowed', message: expect.stringContaining('add it to ecs.scheduledTasks.eventsRoles') },
      { rule: 'billing-nightly', error: 'ScheduledTaskNotFound', message: expect.stringContaining('no target running stream-ml-service pinned to a revision') },
    ]);
  });

  it('EventBridge refusing to list the rules is named in the event, and the deployment still SUCCEEDED', async () => {
    account = createSampleWorld();
    account.rules.putRule('stream-ml-nightly-retrain', [retrainTask('stream-ml-service:1')]);
    account.failNext('ListTargetsByRule', 1, 'AccessDeniedException');

    const run = await runDeployment(executionInput(account, withRules(['stream-ml-nightly-retrain']), NEW_DIGEST, 'v1.6.0'));

    expect(run.status).toBe('SUCCEEDED');
    expect(succeededEvent()?.scheduledTasks?.failed).toEqual([{ rule: 'stream-ml-nightly-retrain', error: 'ScheduledTaskNotRepointed', message: expect.stringContaining('AccessDeniedException') }]);
    expect(pinnedTo('stream-ml-nightly-retrain', 'retrain')).toBe('stream-ml-service:1');
  });

  it('auto: the rules whose targets are the service\'s cluster, over several pages; other clusters untouched', async () => {
    account = createSampleWorld();
    for (const n of [1, 2, 3, 4]) account.rules.putRule(`cluster-rule-${n}`, [retrainTask(n % 2 === 0 ? 'stream-ml-service:1' : 'billing-report:3', { Id: `task-${n}` })]);
    account.rules.putRule('other-cluster', [retrainTask('stream-ml-service:1', { Id: 'elsewhere', Arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/other` })]);

    const run = await runDeployment(executionInput(account, withRules('auto'), NEW_DIGEST, 'v1.6.0'));

    expect(run.status).toBe('SUCCEEDED');
    expect(account.rules.pinned()).toEqual({
      'cluster-rule-1/task-1': taskDefinitionArn('billing-report:3'),
      'cluster-rule-2/task-2': taskDefinitionArn('stream-ml-service:2'),
      'cluster-rule-3/task-3': taskDefinitionArn('billing-report:3'),
      'cluster-rule-4/task-4': taskDefinitionArn('stream-ml-service:2'),
      'other-cluster/elsewhere': taskDefinitionArn('stream-ml-service:1'),
    });
    expect(succeededEvent()?.scheduledTasks).toEqual({ repointed: [expect.objectContaining({ rule: 'cluster-rule-2' }), expect.objectContaining({ rule: 'cluster-rule-4' })], failed: [] });
  });

  it('a target without scheduled tasks does not enter the step', async () => {
    account = createSampleWorld();
    const run = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST, 'v1.6.0'));
    expect(run.status).toBe('SUCCEEDED');
    expect(statesEntered(run)).not.toContain('EcsRepointScheduledTasks');
    expect(account.calls.filter((call) => call.startsWith('EventBridge.') && call !== 'EventBridge.PutEvents')).toEqual([]);
  });
});

describe('a Batch job definition submitted by scheduled rules', () => {
  const NEW_BATCH_DIGEST = digest('splitter-c0ffee1');
  const QUEUE_ARN = `arn:aws:batch:${REGION}:${ACCOUNT}:job-queue/${SPLITTER.jobQueue}`;
  const jobDefinitionArn = (revision: number) => `arn:aws:batch:${REGION}:${ACCOUNT}:job-definition/${SPLITTER.jobDefinition}:${revision}`;
  const BATCH_ROLE = `arn:aws:iam::${ACCOUNT}:role/upscaler-events-submit`;
  const nightlySplit = (JobDefinition: string, Id = 'split'): Target => ({
    Id,
    Arn: QUEUE_ARN,
    RoleArn: BATCH_ROLE,
    Input: JSON.stringify({ Parameters: { inputKey: 'uploads/nightly.mp4' } }),
    BatchParameters: { JobDefinition, JobName: 'nightly-split', RetryStrategy: { Attempts: 2 } },
  });
  const target = () => splitterTarget({ batch: { jobDefinition: SPLITTER.jobDefinition, passRoles: ['upscaler-splitter-job-role', 'upscaler-batch-execution-role'], scheduledJobs: { rules: ['splitter-nightly'], eventsRoles: ['upscaler-events-submit'] } } });

  it('re-points name:revision and ARN targets to the new revision in the form they had; a bare name already follows', async () => {
    account = createSampleWorld();
    const old = account.batch.latestActive(SPLITTER.jobDefinition)?.revision ?? 0;
    const next = old + 1;
    account.rules.putRule('splitter-nightly', [nightlySplit(`${SPLITTER.jobDefinition}:1`), nightlySplit(jobDefinitionArn(old), 'split-arn'), nightlySplit(SPLITTER.jobDefinition, 'split-latest')]);

    const run = await runDeployment(executionInput(account, target(), NEW_BATCH_DIGEST, 'c0ffee1'));

    expect(run.status).toBe('SUCCEEDED');
    expect(statesEntered(run)).toContain('BatchRepointScheduledJobs');
    expect(account.rules.target('splitter-nightly', 'split')).toEqual(nightlySplit(`${SPLITTER.jobDefinition}:${next}`));
    expect(account.rules.pinned()).toEqual({
      'splitter-nightly/split': `${SPLITTER.jobDefinition}:${next}`,
      'splitter-nightly/split-arn': jobDefinitionArn(next),
      'splitter-nightly/split-latest': SPLITTER.jobDefinition,
    });
    expect(succeededEvent()?.scheduledTasks?.repointed.map((task) => `${task.targetId} ${task.from} → ${task.to}`)).toEqual([
      `split ${SPLITTER.jobDefinition}:1 → ${SPLITTER.jobDefinition}:${next}`,
      `split-arn ${SPLITTER.jobDefinition}:${old} → ${SPLITTER.jobDefinition}:${next}`,
    ]);
  });

  it('a failed test job rolls back with the rules untouched', async () => {
    account = createSampleWorld();
    account.rules.putRule('splitter-nightly', [nightlySplit(`${SPLITTER.jobDefinition}:1`)]);
    account.setImageBehaviour(NEW_BATCH_DIGEST, 'crashes');

    const run = await runDeployment(executionInput(account, target(), NEW_BATCH_DIGEST, 'c0ffee1'));

    expect(run.status).toBe('FAILED');
    expect(account.events.at(-1)?.status).toBe('ROLLED_BACK');
    expect(account.rules.pinned()).toEqual({ 'splitter-nightly/split': `${SPLITTER.jobDefinition}:1` });
  });
});
