import { taskDefinitionLabel } from '../../functions/ecs/task-definition';
import { renderSlackMessage } from '../../functions/notifications/render';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { createSampleWorld, digest, eventStatuses, executionInput, ML_INFERENCE, mlInferenceTarget, runDeployment, SPLITTER, splitterTarget, statesEntered, STREAM_ML, streamMlTarget } from '../support/world';

/**
 * CloudWatch alarms gating a deployment (`alarms`), on the real state machine: read
 * before anything changes, at the end of each Lambda canary step, and through a bake
 * after the smoke tests. A transition to ALARM after the deployment began rolls it
 * back with the alarm's name and reason; one already in ALARM is reported, not blamed.
 */

const NEW_DIGEST = digest('stream-ml-v1.6.0');
const LATENCY = 'stream-ml-p99-latency';
const ERRORS = 'stream-ml-5xx';
const THRESHOLD = 'Threshold Crossed: 3 out of the last 3 datapoints [2.41 (01/12/26 21:10:00)] were greater than the threshold (2.0).';
let account: SimulatedAwsAccount;

afterEach(() => account.restore());

const withAlarms = (alarms: Record<string, unknown> = {}) => streamMlTarget({ alarms: { names: [LATENCY, ERRORS], bakeSeconds: 120, pollSeconds: 30, ...alarms } });
const running = () => taskDefinitionLabel(account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn ?? '');
const count = (states: string[], name: string) => states.filter((state) => state === name).length;

function worldWithAlarms(): SimulatedAwsAccount {
  const world = createSampleWorld();
  world.cloudWatch.createAlarm(LATENCY);
  world.cloudWatch.createAlarm(ERRORS);
  return world;
}

describe('an ECS deployment gated by alarms', () => {
  it('reads them before the change, bakes with a look every pollSeconds after the smoke tests, and SUCCEEDED when they stay OK', async () => {
    account = worldWithAlarms();

    const run = await runDeployment(executionInput(account, withAlarms(), NEW_DIGEST, 'v1.6.0'));

    expect(run.status).toBe('SUCCEEDED');
    const states = statesEntered(run);
    expect(states.indexOf('RecordAlarmBaseline')).toBeLessThan(states.indexOf('EcsDeployNewRevision'));
    // 120 s of bake, a look every 30 s: the first look and four more.
    expect(count(states, 'CheckAlarms')).toBe(5);
    expect(count(states, 'WaitForAlarms')).toBe(4);
    expect(states.indexOf('CheckAlarms')).toBeGreaterThan(states.indexOf('RunSmokeTests'));
    expect(states.lastIndexOf('CheckAlarms')).toBeLessThan(states.indexOf('PublishSucceeded'));
  });

  it('an alarm going to ALARM in the bake rolls back, with its name and CloudWatch\'s reason in the event and in Slack', async () => {
    account = worldWithAlarms();
    account.beforeNext('DescribeAlarmHistory', () => account.cloudWatch.setAlarmState(LATENCY, 'ALARM', THRESHOLD));

    const run = await runDeployment(executionInput(account, withAlarms(), NEW_DIGEST, 'v1.6.0'));

    expect(run).toMatchObject({ status: 'FAILED', error: 'AlarmFired' });
    expect(eventStatuses(account).slice(-2)).toEqual(['ROLLING_BACK', 'ROLLED_BACK']);
    expect(running()).not.toBe('stream-ml-service:2');
    const rolledBack = account.events.at(-1);
    expect(rolledBack?.reason).toMatch(new RegExp(`^AlarmFired: alarm "${LATENCY}" went to ALARM at \\S+ while the deployment baked: Threshold Crossed: 3 out of the last 3 datapoints`));
    expect(JSON.stringify(renderSlackMessage(rolledBack!).blocks)).toContain(`alarm \\"${LATENCY}\\" went to ALARM`);
  });

  it('an alarm that went to ALARM and back to OK between two looks still rolls back: its history is read', async () => {
    account = worldWithAlarms();
    account.beforeNext('DescribeAlarmHistory', () => {
      account.cloudWatch.setAlarmState(ERRORS, 'ALARM', 'Threshold Crossed: 1 datapoint [57.0] was greater than the threshold (10.0).');
      account.cloudWatch.setAlarmState(ERRORS, 'OK', 'Threshold Crossed: 1 datapoint [0.0] was not greater than the threshold (10.0).');
    });

    const run = await runDeployment(executionInput(account, withAlarms(), NEW_DIGEST, 'v1.6.0'));

    expect(run.error).toBe('AlarmFired');
    expect(account.events.at(-1)?.reason).toContain(`alarm "${ERRORS}" went to ALARM`);
  });

  it('an alarm already in ALARM before the deployment is reported, not blamed: SUCCEEDED', async () => {
    account = worldWithAlarms();
    account.cloudWatch.setAlarmState(LATENCY, 'ALARM', THRESHOLD, new Date(Date.now() - 3_600_000));

    const run = await runDeployment(executionInput(account, withAlarms(), NEW_DIGEST, 'v1.6.0'));

    expect(run.status).toBe('SUCCEEDED');
    const succeeded = account.events.find((event) => event.status === 'SUCCEEDED');
    expect(succeeded?.alarms).toEqual({ alreadyInAlarm: [{ name: LATENCY, reason: THRESHOLD, since: expect.any(String) }] });
    expect(JSON.stringify(renderSlackMessage(succeeded!).blocks)).toContain('Already in ALARM before this deployment');
  });

  it('…but going to ALARM again after it recovered during the bake is blamed', async () => {
    account = worldWithAlarms();
    account.cloudWatch.setAlarmState(LATENCY, 'ALARM', THRESHOLD, new Date(Date.now() - 3_600_000));
    account.beforeNext('DescribeAlarmHistory', () => {
      account.cloudWatch.setAlarmState(LATENCY, 'OK', 'Threshold Crossed: recovered');
      account.cloudWatch.setAlarmState(LATENCY, 'ALARM', THRESHOLD);
    });

    const run = await runDeployment(executionInput(account, withAlarms(), NEW_DIGEST, 'v1.6.0'));

    expect(run.error).toBe('AlarmFired');
  });

  it('an alarm that does not exist: FAILED with AlarmNotFound before anything changed', async () => {
    account = worldWithAlarms();

    const run = await runDeployment(executionInput(account, withAlarms({ names: [LATENCY, 'stream-ml-no-such-alarm'] }), NEW_DIGEST, 'v1.6.0'));

    expect(run).toMatchObject({ status: 'FAILED', error: 'AlarmNotFound' });
    expect(account.calls).not.toContain('ECS.RegisterTaskDefinition');
    expect(account.events.at(-1)?.reason).toContain('CloudWatch has no alarm named "stream-ml-no-such-alarm"');
    expect(running()).toBe('stream-ml-service:1');
  });

  it('a composite alarm is watched as a metric alarm is', async () => {
    account = createSampleWorld();
    account.cloudWatch.createAlarm('stream-ml-health', 'OK', { composite: true });
    account.beforeNext('DescribeAlarmHistory', () => account.cloudWatch.setAlarmState('stream-ml-health', 'ALARM', 'ALARM(stream-ml-p99-latency) OR ALARM(stream-ml-5xx)'));

    const run = await runDeployment(executionInput(account, streamMlTarget({ alarms: { names: ['stream-ml-health'], bakeSeconds: 0 } }), NEW_DIGEST, 'v1.6.0'));

    expect(run.error).toBe('AlarmFired');
  });
});

describe('a Lambda canary gated by alarms', () => {
  it('an alarm going to ALARM during the canary step rolls back before traffic moves on', async () => {
    account = createSampleWorld();
    account.cloudWatch.createAlarm('ml-inference-errors');
    account.beforeNext('DescribeAlarmHistory', () => account.cloudWatch.setAlarmState('ml-inference-errors', 'ALARM', 'Threshold Crossed: 1 datapoint [4.0] was greater than the threshold (1.0).'));

    const run = await runDeployment(executionInput(account, mlInferenceTarget({ alarms: { names: ['ml-inference-errors'], bakeSeconds: 60 } }, { canary: { weightPercent: 10, bakeSeconds: 300 } }), digest('ml-inference-v9'), 'v9'));

    expect(run.error).toBe('AlarmFired');
    expect(account.events.at(-1)?.reason).toContain('during canary step 1 of 1 (10 %)');
    expect(statesEntered(run)).not.toContain('CheckAlarms');
    expect(account.lambda.function(ML_INFERENCE.function).aliases.get(ML_INFERENCE.alias)).toEqual({ version: ML_INFERENCE.version, weights: {} });
  });
});

describe('a Batch deployment gated by alarms', () => {
  it('an alarm going to ALARM after the test job rolls the job definition back', async () => {
    account = createSampleWorld();
    account.cloudWatch.createAlarm('splitter-failed-jobs');
    const latestBefore = account.batch.latestActive(SPLITTER.jobDefinition)?.jobDefinitionArn;
    account.beforeNext('DescribeAlarmHistory', () => account.cloudWatch.setAlarmState('splitter-failed-jobs', 'ALARM', 'Threshold Crossed: 2 failed jobs'));

    const run = await runDeployment(executionInput(account, splitterTarget({ alarms: { names: ['splitter-failed-jobs'], bakeSeconds: 60 } }), digest('splitter-c0ffee1'), 'c0ffee1'));

    expect(run.error).toBe('AlarmFired');
    expect(account.events.at(-1)?.status).toBe('ROLLED_BACK');
    expect(account.batch.latestActive(SPLITTER.jobDefinition)?.jobDefinitionArn).toBe(latestBefore);
  });
});
