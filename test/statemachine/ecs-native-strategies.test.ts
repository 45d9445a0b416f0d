import { taskDefinitionLabel } from '../../functions/ecs/task-definition';
import { startHealthServer, type RunningHealthServer } from '../../local/health-server';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { createSampleWorld, digest, executionInput, runDeployment, statesEntered, STREAM_ML, streamMlTarget } from '../support/world';

/**
 * A service on ECS's own BLUE_GREEN, LINEAR or CANARY strategy, on the real state machine:
 * the deployer follows ECS's service deployment (DescribeServiceDeployments), not the
 * `deployments` array; its deadline includes ECS's bake; it rolls back with
 * StopServiceDeployment while ECS can, and reports ECS's own rollbacks as such.
 */

const NEW_DIGEST = digest('stream-ml-v1.7.0');
const realNow = Date.now.bind(Date);
let account: SimulatedAwsAccount;
let health: RunningHealthServer;
let healthy = true;

beforeAll(async () => {
  health = await startHealthServer(() => (healthy ? { status: 200, body: 'ok' } : { status: 503, body: 'green is broken' }));
});
afterAll(() => health.close());
afterEach(() => {
  jest.restoreAllMocks();
  healthy = true;
  account.restore();
});

const target = () => streamMlTarget({ smokeTests: [{ http: { url: health.url, attempts: 1 } }], rollout: { timeoutSeconds: 900, pollSeconds: 60 } });
const running = () => taskDefinitionLabel(account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn ?? '');
const calls = (name: string) => account.calls.filter((call) => call === `ECS.${name}`).length;
/** Every look at the service deployment is a minute later: a bake of half an hour takes thirty looks. */
const minutePerLook = () => jest.spyOn(Date, 'now').mockImplementation(() => realNow() + calls('DescribeServiceDeployments') * 60_000);

function blueGreenWorld(options: Parameters<typeof createSampleWorld>[0] = {}, alarms?: { alarmNames: string[]; enable: boolean; rollback: boolean }): SimulatedAwsAccount {
  const world = createSampleWorld(options);
  world.setDeploymentStrategy(STREAM_ML.cluster, STREAM_ML.service, { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 30, ...(alarms ? { alarms } : {}) });
  return world;
}

describe('an ECS service on the BLUE_GREEN strategy', () => {
  it('follows its service deployment through a 30-minute bake, longer than the 15-minute rollout timeout, to SUCCEEDED', async () => {
    account = blueGreenWorld();
    minutePerLook();

    const run = await runDeployment(executionInput(account, target(), NEW_DIGEST, 'v1.7.0'));

    expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
    expect(running()).toBe('stream-ml-service:2');
    expect(account.currentServiceDeployment(STREAM_ML.cluster, STREAM_ML.service)?.status).toBe('SUCCESSFUL');
    expect(calls('DescribeServiceDeployments')).toBeGreaterThan(30);
    expect(calls('UpdateService')).toBe(1);
    expect(statesEntered(run)).toEqual(expect.arrayContaining(['EcsCheckRollout', 'EcsVerifyRunningImage', 'RunSmokeTests']));
  });

  it('ECS rolling back by itself (its circuit breaker) is reported as ECS\'s rollback: no StopServiceDeployment, no second UpdateService', async () => {
    account = blueGreenWorld({ circuitBreaker: { enable: true, rollback: true } });
    account.setImageBehaviour(NEW_DIGEST, 'crashes');

    const run = await runDeployment(executionInput(account, target(), NEW_DIGEST, 'v1.7.0'));

    expect(run).toMatchObject({ status: 'FAILED', error: 'ServiceDeploymentRolledBack' });
    expect(account.events.at(-1)).toMatchObject({ status: 'ROLLED_BACK', reason: expect.stringContaining('ECS rolled its BLUE_GREEN deployment of stream-ml-service:2 back to stream-ml-service:1 itself: Service deployment rolled back because the circuit breaker threshold was exceeded.') });
    expect(calls('StopServiceDeployment')).toBe(0);
    expect(calls('UpdateService')).toBe(1);
    expect(running()).toBe('stream-ml-service:1');
  });

  it("ECS's own alarm rollback during its bake is read and reported, with the alarm, and not judged a second time", async () => {
    account = blueGreenWorld({}, { alarmNames: ['stream-ml-5xx'], enable: true, rollback: true });
    account.cloudWatch.createAlarm('stream-ml-5xx');
    minutePerLook();
    jest.spyOn(Date, 'now').mockImplementation(() => {
      const looks = calls('DescribeServiceDeployments');
      if (looks === 12 && account.cloudWatch.alarms.get('stream-ml-5xx')?.state === 'OK') account.cloudWatch.setAlarmState('stream-ml-5xx', 'ALARM', 'Threshold Crossed: 5xx > 10');
      return realNow() + looks * 60_000;
    });

    const run = await runDeployment(executionInput(account, target(), NEW_DIGEST, 'v1.7.0'));

    expect(run.error).toBe('ServiceDeploymentRolledBack');
    expect(account.events.at(-1)?.reason).toContain('(alarms in ALARM: stream-ml-5xx)');
    expect(calls('StopServiceDeployment')).toBe(0);
    expect(running()).toBe('stream-ml-service:1');
  });

  it('a green that never becomes healthy: at the deadline, StopServiceDeployment (ROLLBACK), never a second UpdateService', async () => {
    account = blueGreenWorld();
    account.setImageBehaviour(NEW_DIGEST, 'never-stabilises');
    minutePerLook();

    const run = await runDeployment(executionInput(account, target(), NEW_DIGEST, 'v1.7.0'));

    expect(run).toMatchObject({ status: 'FAILED', error: 'RolloutTimeout' });
    expect(account.events.at(-1)?.reason).toContain('rollout.timeoutSeconds plus 1800 s of ECS\'s bake');
    expect(calls('StopServiceDeployment')).toBe(1);
    expect(calls('UpdateService')).toBe(1);
    expect(account.currentServiceDeployment(STREAM_ML.cluster, STREAM_ML.service)?.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(running()).toBe('stream-ml-service:1');
  });

  it('a smoke test failing after ECS finished: UpdateService back to the recorded revision, followed to its end', async () => {
    account = blueGreenWorld();
    minutePerLook();
    healthy = false;

    const run = await runDeployment(executionInput(account, target(), NEW_DIGEST, 'v1.7.0'));

    expect(run.error).toBe('SmokeTestFailed');
    expect(account.events.at(-1)?.status).toBe('ROLLED_BACK');
    expect(calls('StopServiceDeployment')).toBe(0);
    expect(calls('UpdateService')).toBe(2);
    expect(running()).toBe('stream-ml-service:1');
  });
});

describe('LINEAR and CANARY', () => {
  it.each([
    ['LINEAR', { strategy: 'LINEAR' as const, bakeTimeInMinutes: 5, linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 5 } }, 20 * 60],
    ['CANARY', { strategy: 'CANARY' as const, bakeTimeInMinutes: 5, canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 15 } }, 20 * 60],
  ])('%s: the traffic steps\' bakes count toward the deadline, and it SUCCEEDED', async (_, strategy, bakeSeconds) => {
    account = createSampleWorld();
    account.setDeploymentStrategy(STREAM_ML.cluster, STREAM_ML.service, strategy);
    minutePerLook();

    const run = await runDeployment(executionInput(account, streamMlTarget({ rollout: { timeoutSeconds: 900, pollSeconds: 60 } }), NEW_DIGEST, 'v1.7.0'));

    expect(run.status).toBe('SUCCEEDED');
    const deployed = run.events.find((event) => event.state?.name === 'EcsDeployNewRevision' && event.type === 'StateExited')?.state?.output as { ecs?: { native?: { bakeSeconds: number } } } | undefined;
    expect(deployed?.ecs?.native?.bakeSeconds).toBe(bakeSeconds);
  });
});

describe('a ROLLING service', () => {
  it('keeps the path it had: no service deployment is looked at', async () => {
    account = createSampleWorld();

    const run = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST, 'v1.7.0'));

    expect(run.status).toBe('SUCCEEDED');
    expect(calls('DescribeServiceDeployments')).toBe(0);
  });
});

describe('smoke tests against test traffic (stage: test-traffic)', () => {
  let testListener: RunningHealthServer;
  let greenHealthy = true;
  const stagesSeen: string[] = [];

  beforeAll(async () => {
    testListener = await startHealthServer(() => {
      stagesSeen.push(account.currentServiceDeployment(STREAM_ML.cluster, STREAM_ML.service)?.stage ?? 'none');
      return greenHealthy ? { status: 200, body: 'green ok' } : { status: 500, body: 'green is broken' };
    });
  });
  afterAll(() => testListener.close());
  beforeEach(() => {
    greenHealthy = true;
    stagesSeen.length = 0;
  });

  const withTestTraffic = () =>
    streamMlTarget({
      smokeTests: [{ http: { url: testListener.url, stage: 'test-traffic', attempts: 2, intervalSeconds: 5 } }, { http: { url: health.url, attempts: 1 } }],
      rollout: { timeoutSeconds: 900, pollSeconds: 60 },
    });
  const pausedWorld = () => {
    const world = createSampleWorld();
    world.setDeploymentStrategy(STREAM_ML.cluster, STREAM_ML.service, { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5, lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'] }] });
    return world;
  };

  it('run while ECS holds green at POST_TEST_TRAFFIC_SHIFT, then the hook is continued and production traffic moves', async () => {
    account = pausedWorld();
    minutePerLook();

    const run = await runDeployment(executionInput(account, withTestTraffic(), NEW_DIGEST, 'v1.7.0'));

    expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
    expect(stagesSeen).toEqual(['POST_TEST_TRAFFIC_SHIFT']);
    expect(calls('ContinueServiceDeployment')).toBe(1);
    const states = statesEntered(run);
    expect(states.indexOf('EcsRunTestTrafficSmokeTests')).toBeLessThan(states.indexOf('EcsContinueServiceDeployment'));
    expect(states.indexOf('EcsContinueServiceDeployment')).toBeLessThan(states.indexOf('RunSmokeTests'));
    expect(running()).toBe('stream-ml-service:2');
  });

  it('a green failing on test traffic is rolled back before any production request reaches it', async () => {
    account = pausedWorld();
    minutePerLook();
    greenHealthy = false;

    const run = await runDeployment(executionInput(account, withTestTraffic(), NEW_DIGEST, 'v1.7.0'));

    expect(run).toMatchObject({ status: 'FAILED', error: 'SmokeTestFailed' });
    expect(account.events.at(-1)?.status).toBe('ROLLED_BACK');
    const deployment = account.currentServiceDeployment(STREAM_ML.cluster, STREAM_ML.service);
    expect(deployment?.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(deployment?.stagesReached).not.toContain('PRODUCTION_TRAFFIC_SHIFT');
    expect(calls('ContinueServiceDeployment')).toBe(0);
    expect(calls('StopServiceDeployment')).toBe(1);
    expect(running()).toBe('stream-ml-service:1');
  });

  it.each([
    ['a BLUE_GREEN service without a PAUSE hook there', (world: SimulatedAwsAccount) => world.setDeploymentStrategy(STREAM_ML.cluster, STREAM_ML.service, { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5 }), 'has no PAUSE lifecycle hook there'],
    ['a ROLLING service', () => undefined, 'deploys with ROLLING'],
  ])('%s: TestTrafficHookMissing, the service never changed, the new revision deregistered', async (_, arrange, message) => {
    account = createSampleWorld();
    arrange(account);

    const run = await runDeployment(executionInput(account, withTestTraffic(), NEW_DIGEST, 'v1.7.0'));

    expect(run).toMatchObject({ status: 'FAILED', error: 'TestTrafficHookMissing' });
    expect(account.events.at(-1)?.reason).toContain(message);
    expect(calls('UpdateService')).toBe(0);
    expect([...account.taskDefinitions.values()].find((entry) => entry.taskDefinition.revision === 2)?.taskDefinition.status).toBe('INACTIVE');
  });
});
