import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { handler as sweep } from '../../functions/handlers/sweep-slots';
import { taskDefinitionLabel } from '../../functions/ecs/task-definition';
import { applyPush, claimForPushes, confirmClaim } from '../../functions/slots/model';
import { sweepSlots } from '../../functions/slots/coordinator';
import { readSlot, updateSlot } from '../../functions/slots/store';
import { startHealthServer, type RunningHealthServer } from '../../local/health-server';
import { STREAM_ML_CURRENT_DIGEST } from '../../local/sample-world';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import type { LocalRunResult } from '../../local/state-machine';
import {
  canvasServiceTarget,
  createTestWorld,
  digest,
  orchestratorTarget,
  push,
  settle,
  SHORT_DRAMA,
  startExecution,
  statesEntered,
  STREAM_ML,
  streamMlTarget,
  useDeploymentsFile,
  type TargetSpec,
} from '../support/world';

/**
 * Concurrency, on the real state machine and the real slot table: pushes that
 * overlap one deployment, two targets of one service, executions that end
 * without releasing, re-pushes, and requests by hand. Waits and retry pauses
 * take no time; what overlaps what is set by hooks on the simulated AWS calls.
 */

const FIRST = digest('stream-ml-v1.5.0');
const SECOND = digest('stream-ml-v1.5.1');
const BROKEN = digest('stream-ml-broken');
const CANVAS = digest('canvas-v2.1.0');
const ORCHESTRATOR = digest('orchestrator-v1.9.0');

let account: SimulatedAwsAccount;
let health: RunningHealthServer;
/** Seconds after 10:00 UTC: the push times of one test, in order. */
const pushedAt = (seconds: number) => new Date(Date.UTC(2026, 10, 23, 10, 0, seconds)).toISOString().replace('.000Z', 'Z');
/** Called by the health endpoint on each request, before it answers. */
let onHealthRequest: () => void = () => undefined;

beforeAll(async () => {
  health = await startHealthServer(() => {
    onHealthRequest();
    const running = [...account.runningDigests(STREAM_ML.cluster, STREAM_ML.service), ...account.runningDigests(SHORT_DRAMA.cluster, SHORT_DRAMA.service)].flatMap((task) => Object.values(task));
    return running.includes(BROKEN) ? { status: 500, body: 'broken build' } : { status: 200, body: 'ok' };
  });
});

afterAll(async () => {
  await health.close();
});

beforeEach(async () => {
  onHealthRequest = () => undefined;
  account = await createTestWorld();
});

afterEach(() => {
  account.restore();
});

const smokeTests = () => [{ http: { url: health.url, attempts: 2, intervalSeconds: 1 } }];
const streamMl = (overrides: TargetSpec = {}) => streamMlTarget({ smokeTests: smokeTests(), ...overrides });

function runningImage(container = STREAM_ML.container, cluster = STREAM_ML.cluster, service = STREAM_ML.service): string | undefined {
  return account.runningTaskDefinition(cluster, service)?.containerDefinitions?.find((c) => c.name === container)?.image;
}

function runningDigestOf(container = STREAM_ML.container, cluster = STREAM_ML.cluster, service = STREAM_ML.service): string[] {
  return [...new Set(account.runningDigests(cluster, service).map((task) => task[container] ?? ''))];
}

/** Every execution that ran, in the order they started, with how it ended. */
async function runs(): Promise<(LocalRunResult & { name: string })[]> {
  await settle(account);
  const results: (LocalRunResult & { name: string })[] = [];
  for (const name of account.executions.keys()) {
    const result = await account.stepFunctions.result(name);
    if (result) results.push({ ...result, name });
  }
  return results;
}

/** The statuses the events of one execution (deployment id) say, in order. */
function storyOf(deploymentId: string, target = 'stream-ml-service'): string[] {
  return account.events.filter((e) => e.deploymentId === deploymentId && e.target === target).map((e) => e.status);
}

/** Starts an execution by hand without waiting for it (from inside a hook, where waiting would block the deployment it waits for). */
async function startByHand(input: unknown, name: string): Promise<void> {
  await new SFNClient({ region: account.region }).send(new StartExecutionCommand({ stateMachineArn: account.stepFunctions.stateMachineArn, name, input: JSON.stringify(input) }));
}

describe('two pushes to one target', () => {
  type Point = [string, (pushSecond: () => Promise<unknown>) => void];
  const points: Point[] = [
    ['before the first registers its revision', (pushSecond) => account.beforeNext('RegisterTaskDefinition', async () => void (await pushSecond()))],
    ['between its register and its update', (pushSecond) => account.beforeNext('UpdateService', async () => void (await pushSecond()))],
    ['during its rollout', (pushSecond) => account.beforeNext('UpdateService', () => account.beforeNext('DescribeServices', async () => void (await pushSecond())))],
    ['during its smoke tests', (pushSecond) => (onHealthRequest = () => ((onHealthRequest = () => undefined), void pushSecond()))],
  ];

  it.each(points)('deploy the newest digest when the second lands %s, and no execution undoes another', async (_, landSecond) => {
    useDeploymentsFile([streamMl()]);
    let second: Promise<unknown> = Promise.resolve();
    landSecond(() => (second = push(account, 'stream-ml-service', SECOND, { tag: 'v1.5.1', time: pushedAt(20) })));

    await push(account, 'stream-ml-service', FIRST, { tag: 'v1.5.0', time: pushedAt(10) });
    await settle(account);
    await second;
    const [first, next, ...others] = await runs();

    expect(others).toEqual([]);
    expect([first?.status, next?.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(runningDigestOf()).toEqual([SECOND]);
    expect(storyOf(first?.name ?? '')).toEqual(['STARTED', 'SUCCEEDED']);
    expect(storyOf(next?.name ?? '')).toEqual(['STARTED', 'SUCCEEDED']);
    // The second started only once the first had finished, and its SUCCEEDED names what runs now.
    const statuses = account.events.map((e) => `${e.deploymentId === first?.name ? 'first' : 'second'} ${e.status}`);
    expect(statuses).toEqual(['first STARTED', 'first SUCCEEDED', 'second STARTED', 'second SUCCEEDED']);
    expect(account.events.at(-1)?.current).toBe(account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn);
  });

  it('deploy the newest digest when the second lands during the first one’s rollback', async () => {
    useDeploymentsFile([streamMl()]);
    let second: Promise<unknown> = Promise.resolve();
    // The first UpdateService is the deployment's, the second its rollback's.
    account.beforeNext('UpdateService', () => account.beforeNext('UpdateService', async () => void (await (second = push(account, 'stream-ml-service', SECOND, { tag: 'v1.5.1', time: pushedAt(20) })))));

    await push(account, 'stream-ml-service', BROKEN, { tag: 'v1.5.0', time: pushedAt(10) });
    await second;
    const [first, next, ...others] = await runs();

    expect(others).toEqual([]);
    expect([first?.status, first?.error, next?.status]).toEqual(['FAILED', 'SmokeTestFailed', 'SUCCEEDED']);
    expect(storyOf(first?.name ?? '')).toEqual(['STARTED', 'ROLLING_BACK', 'ROLLED_BACK']);
    expect(storyOf(next?.name ?? '')).toEqual(['STARTED', 'SUCCEEDED']);
    expect(runningDigestOf()).toEqual([SECOND]);
  });

  it('skip the older one when it arrives late, and never run it', async () => {
    useDeploymentsFile([streamMl()]);

    await push(account, 'stream-ml-service', SECOND, { tag: 'v1.5.1', time: pushedAt(20) });
    const late = await push(account, 'stream-ml-service', FIRST, { tag: 'v1.5.0', time: pushedAt(10) });
    const all = await runs();

    expect(late.skipped).toEqual([{ target: 'stream-ml-service', reason: expect.stringContaining('older than') }]);
    expect(all.map((r) => r.status)).toEqual(['SUCCEEDED']);
    expect(runningDigestOf()).toEqual([SECOND]);
    expect(account.events.filter((e) => e.status === 'SKIPPED')).toEqual([expect.objectContaining({ image: expect.objectContaining({ digest: FIRST }) })]);
  });
});

describe('two targets of one service', () => {
  const both = () => [canvasServiceTarget({ smokeTests: smokeTests() }), orchestratorTarget()];
  const canvasImage = () => runningImage('canvas-service', SHORT_DRAMA.cluster, SHORT_DRAMA.service);
  const orchestratorImage = () => runningImage('orchestrator', SHORT_DRAMA.cluster, SHORT_DRAMA.service);

  /** The orchestrator's push lands while the canvas push's deployment is being started (well within the merge window). */
  async function pushBothAtOnce(canvas: string): Promise<void> {
    let orchestrator: Promise<unknown> = Promise.resolve();
    account.beforeNext('StartExecution', async () => void (await (orchestrator = push(account, 'orchestrator', ORCHESTRATOR, { tag: 'v1.9.0', time: pushedAt(12) }))));
    await push(account, 'canvas-service', canvas, { tag: 'v2.1.0', time: pushedAt(10) });
    await orchestrator;
  }

  it('pushed at once go out in one revision carrying both images, and each target tells its own story', async () => {
    useDeploymentsFile(both());

    await pushBothAtOnce(CANVAS);
    const all = await runs();

    expect(all.map((r) => r.status)).toEqual(['SUCCEEDED']);
    expect(account.calls.filter((c) => c === 'ECS.RegisterTaskDefinition')).toHaveLength(1);
    expect(canvasImage()).toBe(`${account.registry}/canvas-service@${CANVAS}`);
    expect(orchestratorImage()).toBe(`${account.registry}/orchestrator@${ORCHESTRATOR}`);
    expect(storyOf(all[0]?.name ?? '', 'canvas-service')).toEqual(['STARTED', 'SUCCEEDED']);
    expect(storyOf(all[0]?.name ?? '', 'orchestrator')).toEqual(['STARTED', 'SUCCEEDED']);
    expect(account.events.map((e) => e.status)).not.toContain('ROLLBACK_FAILED');
  });

  it('pushed one during the other’s rollout both end running, the second on top of the first', async () => {
    useDeploymentsFile(both());
    let second: Promise<unknown> = Promise.resolve();
    account.beforeNext('UpdateService', () => account.beforeNext('DescribeServices', async () => void (await (second = push(account, 'orchestrator', ORCHESTRATOR, { tag: 'v1.9.0', time: pushedAt(40) })))));

    await push(account, 'canvas-service', CANVAS, { tag: 'v2.1.0', time: pushedAt(10) });
    await second;
    const all = await runs();

    expect(all.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(canvasImage()).toBe(`${account.registry}/canvas-service@${CANVAS}`);
    expect(orchestratorImage()).toBe(`${account.registry}/orchestrator@${ORCHESTRATOR}`);
    expect(account.events.map((e) => e.status)).not.toContain('ROLLBACK_FAILED');
  });

  it('whose merged revision fails its smoke test are both restored by one rollback', async () => {
    useDeploymentsFile(both());
    const before = account.runningTaskDefinition(SHORT_DRAMA.cluster, SHORT_DRAMA.service);

    await pushBothAtOnce(BROKEN);
    const [only, ...others] = await runs();

    expect(others).toEqual([]);
    expect(only).toMatchObject({ status: 'FAILED', error: 'SmokeTestFailed' });
    expect(account.runningTaskDefinition(SHORT_DRAMA.cluster, SHORT_DRAMA.service)?.taskDefinitionArn).toBe(before?.taskDefinitionArn);
    expect(account.calls.filter((c) => c === 'ECS.UpdateService')).toHaveLength(2);
    for (const target of ['canvas-service', 'orchestrator']) expect(storyOf(only?.name ?? '', target)).toEqual(['STARTED', 'ROLLING_BACK', 'ROLLED_BACK']);
  });
});

describe('a deployment that ends without releasing its slot', () => {
  it('stopped by hand mid-rollout: the recovery rule releases the slot and the waiting push deploys', async () => {
    useDeploymentsFile([streamMl()]);
    let stopped = '';
    account.beforeNext('UpdateService', () =>
      account.beforeNext('DescribeServices', async () => {
        await push(account, 'stream-ml-service', SECOND, { tag: 'v1.5.1', time: pushedAt(20) });
        stopped = [...account.executions.keys()][0] ?? '';
        account.stepFunctions.stop(stopped);
      }),
    );

    await push(account, 'stream-ml-service', FIRST, { tag: 'v1.5.0', time: pushedAt(10) });
    const [first, next, ...others] = await runs();

    expect(others).toEqual([]);
    expect(first).toMatchObject({ name: stopped, status: 'ABORTED' });
    expect(next?.status).toBe('SUCCEEDED');
    expect(runningDigestOf()).toEqual([SECOND]);
  });

  it('whose release step fails once: the step is retried and the next deployment is started once', async () => {
    useDeploymentsFile([streamMl()]);
    account.beforeNext('UpdateService', async () => {
      await push(account, 'stream-ml-service', SECOND, { tag: 'v1.5.1', time: pushedAt(20) });
      // The release's StartExecution of the next deployment fails once, after the slot was already handed on.
      account.failNext('StartExecution', 1, 'ServiceUnavailableException');
    });

    await push(account, 'stream-ml-service', FIRST, { tag: 'v1.5.0', time: pushedAt(10) });
    const [first, next, ...others] = await runs();

    expect(others).toEqual([]);
    expect(first?.status).toBe('SUCCEEDED');
    expect(first?.events.filter((e) => e.type === 'StateRetried' && e.state?.name === 'ReleaseAfterSucceeded')).toHaveLength(1);
    expect(next?.status).toBe('SUCCEEDED');
    expect(runningDigestOf()).toEqual([SECOND]);
  });

  it('whose holder vanished: the lease expires and the sweep deploys what waits', async () => {
    useDeploymentsFile([streamMl()]);
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    // A deployment confirmed its claim two hours ago with a one-hour lease, and was never heard of again.
    await updateSlot('ecs:emotional-parrot/stream-ml-service-1', 'ecs', (record) => {
      applyPush(record, 'stream-ml-service', { digest: FIRST, tag: 'v1.5.0', at: pushedAt(10), trigger: { kind: 'ecr-push', eventIds: ['lost'] } });
      const claim = claimForPushes(record, hourAgo);
      confirmClaim(record, claim?.name ?? '', record.generation, { 'stream-ml-service': FIRST }, 3600, hourAgo, true);
    });
    const queued = await push(account, 'stream-ml-service', SECOND, { tag: 'v1.5.1', time: pushedAt(20) });

    // The push itself found the lease expired and claimed the slot.
    expect(queued.started).toHaveLength(1);
    const all = await runs();
    expect(all.map((r) => r.status)).toEqual(['SUCCEEDED']);
    expect(runningDigestOf()).toEqual([SECOND]);
    // Nothing left for the sweep.
    await expect(sweep()).resolves.toMatchObject({ slots: 1, started: [] });
  });

  it('whose claim was never started: the sweep starts it', async () => {
    useDeploymentsFile([streamMl()]);
    account.failNext('StartExecution', 1, 'ServiceUnavailableException');

    await expect(push(account, 'stream-ml-service', FIRST, { tag: 'v1.5.0', time: pushedAt(10) })).rejects.toMatchObject({ name: 'AwsTransientError' });
    expect(account.executions.size).toBe(0);
    // A minute later: the sweep leaves younger claims to whoever made them.
    expect(await sweep()).toMatchObject({ started: [] });
    const swept = await sweepSlots(account.stepFunctions.stateMachineArn, new Date(Date.now() + 61_000));
    const all = await runs();

    expect(swept).toMatchObject({ started: [expect.stringMatching(/-g1$/)] });
    expect(all.map((r) => r.status)).toEqual(['SUCCEEDED']);
    expect(runningDigestOf()).toEqual([FIRST]);
  });
});

describe('an execution started by hand with a push deployment’s input', () => {
  it('deploys nothing, even under the name of a real claim, and leaves the slot to the push', async () => {
    useDeploymentsFile([streamMl()]);
    // Someone who may StartExecution races the trigger, with the claim's name and an image of their choosing.
    account.beforeNext('StartExecution', async () => {
      const claim = await readSlot('ecs:emotional-parrot/stream-ml-service-1', 'ecs');
      const input = { ...(JSON.parse(claim.lease?.input ?? '{}') as Record<string, unknown>), images: { 'stream-ml-service': { digest: BROKEN, pushedAt: pushedAt(11) } } };
      await startByHand(input, claim.lease?.holder ?? '');
    });

    await push(account, 'stream-ml-service', FIRST, { tag: 'v1.5.0', time: pushedAt(10) });
    const [forged] = await runs();

    expect(forged).toMatchObject({ status: 'FAILED', error: 'SlotLost' });
    expect(forged?.cause).toContain('images the slot did not hand it');
    expect(account.calls).not.toContain('ECS.RegisterTaskDefinition');
    // The claim was never confirmed: it expires and what it carried is deployed by the next deployment of the slot.
    const swept = await sweepSlots(account.stepFunctions.stateMachineArn, new Date(Date.now() + 301_000));
    const [, real] = await runs();
    expect(swept.started).toEqual([expect.stringMatching(/-g2$/)]);
    expect(real?.status).toBe('SUCCEEDED');
    expect(runningDigestOf()).toEqual([FIRST]);
  });
});

describe('a re-push', () => {
  it('after a transient failure deploys the digest', async () => {
    useDeploymentsFile([streamMl()]);
    // Throttled for longer than the retries last: the deployment fails before changing anything.
    account.failNext('RegisterTaskDefinition', 71);
    await push(account, 'stream-ml-service', FIRST, { tag: 'v1.5.0', time: pushedAt(10) });
    await settle(account);

    const retag = await push(account, 'stream-ml-service', FIRST, { tag: 'v1.5.0-retry', time: pushedAt(30) });
    const [failed, retried] = await runs();

    expect(failed).toMatchObject({ status: 'FAILED', error: 'AwsThrottled' });
    expect(retag.recorded).toEqual(['stream-ml-service']);
    expect(retried?.status).toBe('SUCCEEDED');
    expect(runningDigestOf()).toEqual([FIRST]);
  });

  it('of a digest that was rolled back is SKIPPED, saying how to deploy it by hand', async () => {
    useDeploymentsFile([streamMl()]);
    await push(account, 'stream-ml-service', BROKEN, { tag: 'v1.5.0', time: pushedAt(10) });
    await runs();

    const again = await push(account, 'stream-ml-service', BROKEN, { tag: 'v1.5.0-rebuilt', time: pushedAt(60) });
    const all = await runs();

    expect(all).toHaveLength(1);
    expect(again.skipped).toEqual([{ target: 'stream-ml-service', reason: expect.stringContaining(`npx ecr-deployer deploy stream-ml-service --digest ${BROKEN}`) }]);
    expect(account.events.at(-1)).toMatchObject({ status: 'SKIPPED', image: expect.objectContaining({ digest: BROKEN, tag: 'v1.5.0-rebuilt' }) });
    expect(runningDigestOf()).toEqual([STREAM_ML_CURRENT_DIGEST]);
  });

  it('of the same digest under a new tag starts no new deployment', async () => {
    useDeploymentsFile([streamMl()]);
    await push(account, 'stream-ml-service', FIRST, { tag: 'v1.5.0', time: pushedAt(10) });
    await runs();

    const retag = await push(account, 'stream-ml-service', FIRST, { tag: 'v1.5', time: pushedAt(30) });

    expect(retag).toMatchObject({ recorded: [], started: [], duplicates: [{ target: 'stream-ml-service' }] });
    expect(await runs()).toHaveLength(1);
    expect(account.calls.filter((c) => c === 'ECS.RegisterTaskDefinition')).toHaveLength(1);
  });
});

describe('a deployment asked for by hand', () => {
  beforeEach(() => {
    account.ecr.pushImage('stream-ml-service', STREAM_ML_CURRENT_DIGEST, ['v1.3.0']);
  });

  it('waits for the push deployment running on its service, then deploys exactly what was asked, even an older image', async () => {
    useDeploymentsFile([streamMl()]);
    account.beforeNext('UpdateService', () => account.beforeNext('DescribeServices', () => startByHand({ target: 'stream-ml-service', tag: 'v1.3.0' }, 'manual-v1-3-0')));

    await push(account, 'stream-ml-service', FIRST, { tag: 'v1.5.0', time: pushedAt(10) });
    const [pushed, manual, ...others] = await runs();

    expect(others).toEqual([]);
    expect(pushed?.status).toBe('SUCCEEDED');
    expect(manual).toMatchObject({ name: 'manual-v1-3-0', status: 'SUCCEEDED' });
    expect(statesEntered(manual!)).toContain('WaitForSlot');
    expect(runningDigestOf()).toEqual([STREAM_ML_CURRENT_DIGEST]);
    // It started changing the service only once the push deployment had finished.
    expect(account.events.map((e) => `${e.deploymentId === 'manual-v1-3-0' ? 'manual' : 'push'} ${e.status}`)).toEqual(['push STARTED', 'push SUCCEEDED', 'manual STARTED', 'manual SUCCEEDED']);
    expect(taskDefinitionLabel(account.events.at(-1)?.current ?? '')).toBe(taskDefinitionLabel(account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn ?? ''));
  });

  it('to roll back records the digest it undid: a push of that digest does not bring it back', async () => {
    useDeploymentsFile([streamMl()]);
    await push(account, 'stream-ml-service', FIRST, { tag: 'v1.5.0', time: pushedAt(10) });
    await runs();

    const rollback = await startExecution(account, { target: 'stream-ml-service', rollback: true }, 'rollback-stream-ml-service');
    const again = await push(account, 'stream-ml-service', FIRST, { tag: 'v1.5.0-again', time: pushedAt(120) });

    expect(rollback.status).toBe('SUCCEEDED');
    expect(account.events.filter((e) => e.deploymentId === 'rollback-stream-ml-service').at(-1)).toMatchObject({ status: 'SUCCEEDED', rollbackOf: expect.stringMatching(/-g1$/), trigger: { kind: 'manual' } });
    expect(again.skipped).toEqual([{ target: 'stream-ml-service', reason: expect.stringContaining('was rolled back') }]);
    expect(await runs()).toHaveLength(2);
    expect(runningDigestOf()).toEqual([STREAM_ML_CURRENT_DIGEST]);
  });

  it('is refused with SlotBusy, naming the deployment holding the slot, once it has waited its deadline', async () => {
    useDeploymentsFile([streamMl({ rollout: { timeoutSeconds: 900, pollSeconds: 15, waitForSlotSeconds: 0 } })]);
    account.beforeNext('UpdateService', () => account.beforeNext('DescribeServices', () => startByHand({ target: 'stream-ml-service', tag: 'v1.3.0' }, 'manual-impatient')));

    await push(account, 'stream-ml-service', FIRST, { tag: 'v1.5.0', time: pushedAt(10) });
    const [pushed, manual] = await runs();

    expect(pushed?.status).toBe('SUCCEEDED');
    expect(manual).toMatchObject({ status: 'FAILED', error: 'SlotBusy' });
    expect(manual?.cause).toContain(`is held by ${pushed?.name} (deploying stream-ml-service v1.5.0`);
    expect(statesEntered(manual!)).toEqual(['WrapInput', 'ResolveDeployment', 'HoldSlot', 'PublishRejected', 'ReleaseAfterRejected', 'RejectInput']);
    expect(runningDigestOf()).toEqual([FIRST]);
    expect(account.events.filter((e) => e.deploymentId === 'manual-impatient')).toEqual([
      expect.objectContaining({ status: 'FAILED', phase: 'slot', reason: expect.stringContaining('SlotBusy'), trigger: { kind: 'manual' } }),
    ]);
  });
});
