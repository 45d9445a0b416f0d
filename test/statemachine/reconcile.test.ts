import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { handler as reconcile } from '../../functions/handlers/reconcile';
import type { ReconcileReport } from '../../functions/reconcile/sweep';
import { changeServiceImageByHand } from '../../local/by-hand';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { createTestWorld, digest, push, settle, STREAM_ML, streamMlTarget, useDeploymentsFile, withStack } from '../support/world';

/**
 * The reconciler against the simulated account, with the real trigger, slot store
 * (the tests' DynamoDB) and state machine: a push EventBridge never delivered is
 * deployed by the next sweep, exactly once; a service changed by hand is reported
 * once, and with `onDrift: redeploy` put back; nothing is done to a slot a
 * deployment holds.
 */

const REPOSITORY = 'stream-ml-service';
const V1 = digest('stream-ml-v1');
const V2 = digest('stream-ml-v2');
let account: SimulatedAwsAccount;

afterEach(() => {
  account.restore();
});

async function sweep(): Promise<ReconcileReport> {
  const report = await reconcile();
  await settle(account);
  return report;
}

const runningDigest = () => account.runningDigests(STREAM_ML.cluster, STREAM_ML.service)[0]?.[STREAM_ML.container];
const started = () => [...account.executions.keys()];
const statuses = (status: string) => account.events.filter((event) => event.status === status);

/** A world where stream-ml-service was deployed once by a push (the reconciler follows a target from its first deployment on). */
async function deployedOnce(target = streamMlTarget()): Promise<void> {
  account = await createTestWorld();
  useDeploymentsFile([target]);
  await withStack(account);
  await push(account, REPOSITORY, V1, { tag: 'v1.4.0' });
  await settle(account);
  expect(runningDigest()).toBe(V1);
}

describe('a push EventBridge did not deliver', () => {
  it('is deployed by the next sweep, exactly once, with trigger reconcile', async () => {
    await deployedOnce();
    account.ecr.pushImage(REPOSITORY, V2, ['v1.5.0']);
    const before = started().length;

    const first = await sweep();
    const second = await sweep();

    expect(first.missedPushes).toEqual([expect.objectContaining({ target: 'stream-ml-service', digest: V2, tag: 'v1.5.0' })]);
    expect(first.started).toHaveLength(1);
    expect(runningDigest()).toBe(V2);
    expect(second).toMatchObject({ missedPushes: [], started: [] });
    expect(started()).toHaveLength(before + 1);
    expect(statuses('SUCCEEDED').at(-1)).toMatchObject({ image: { digest: V2, tag: 'v1.5.0' }, trigger: { kind: 'reconcile' } });
  });

  it('arriving late, after the sweep deployed it, starts no second deployment', async () => {
    await deployedOnce();
    account.ecr.pushImage(REPOSITORY, V2, ['v1.5.0']);
    await sweep();
    const before = started().length;

    const late = await push(account, REPOSITORY, V2, { tag: 'v1.5.0' });
    await settle(account);

    expect(late.started).toEqual([]);
    expect(late.duplicates).toEqual([expect.objectContaining({ target: 'stream-ml-service' })]);
    expect(started()).toHaveLength(before);
  });

  it('is found on any page of DescribeImages: all pages are read, the newest by push time wins', async () => {
    await deployedOnce();
    const now = Date.now();
    // Inserted first, so the simulation lists it last; older images fill the pages before it.
    account.ecr.pushImage(REPOSITORY, V2, ['v1.9.0'], new Date(now + 60_000));
    for (let i = 0; i < 12; i += 1) account.ecr.pushImage(REPOSITORY, digest(`old-${i}`), [`v1.5.${i}`], new Date(now - 86_400_000 + i * 1000));
    const callsBefore = account.calls.filter((call) => call === 'ECR.DescribeImages').length;

    const report = await sweep();

    const pages = account.calls.filter((call) => call === 'ECR.DescribeImages').length - callsBefore;
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(report.calls.ecr).toBe(pages);
    expect(report.missedPushes).toEqual([expect.objectContaining({ digest: V2, tag: 'v1.9.0' })]);
    expect(runningDigest()).toBe(V2);
  });

  it('with a tag the target does not follow, or older than what runs, deploys nothing', async () => {
    await deployedOnce();
    account.ecr.pushImage(REPOSITORY, V2, ['latest']);
    account.ecr.pushImage(REPOSITORY, digest('older'), ['v1.3.9'], new Date('2026-01-01T00:00:00Z'));
    const before = started().length;

    const report = await sweep();

    expect(report.missedPushes).toEqual([]);
    expect(started()).toHaveLength(before);
    expect(runningDigest()).toBe(V1);
  });

  it('under tagPolicy: semver, is the highest version, whatever the push times', async () => {
    await deployedOnce(streamMlTarget({ tagPolicy: 'semver' }));
    const now = Date.now();
    account.ecr.pushImage(REPOSITORY, V2, ['v1.6.0'], new Date(now - 60_000));
    account.ecr.pushImage(REPOSITORY, digest('later-lower'), ['v1.4.5'], new Date(now));

    const report = await sweep();

    expect(report.missedPushes).toEqual([expect.objectContaining({ digest: V2, tag: 'v1.6.0' })]);
    expect(runningDigest()).toBe(V2);
  });

  it('of a target ecr-deployer never deployed, is left alone (what runs there was not its doing)', async () => {
    account = await createTestWorld();
    useDeploymentsFile([streamMlTarget()]);
    await withStack(account);
    account.ecr.pushImage(REPOSITORY, V2, ['v1.5.0']);

    const report = await sweep();

    expect(report).toMatchObject({ due: ['stream-ml-service'], missedPushes: [], started: [] });
    expect(started()).toEqual([]);
  });

  it('is not looked for on a target with reconcile: false', async () => {
    await deployedOnce(streamMlTarget({ reconcile: false }));
    account.ecr.pushImage(REPOSITORY, V2, ['v1.5.0']);

    const report = await sweep();

    expect(report.due).toEqual([]);
    expect(runningDigest()).toBe(V1);
  });
});

/** What an operator (or an infrastructure-as-code apply) does: a revision with another image, and the service pointed at it. */
const changeServiceByHand = (image: string): Promise<string> => changeServiceImageByHand(account, STREAM_ML, image);

describe('drift', () => {
  it('a service changed by hand is reported once: DRIFT_DETECTED, saying what differs and since when', async () => {
    await deployedOnce();
    const left = account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn;
    const byHand = await changeServiceByHand(account.imageUri(REPOSITORY, digest('hotfix')));

    const first = await sweep();
    const second = await sweep();

    expect(first.drift).toEqual([{ target: 'stream-ml-service', observed: byHand, action: 'report' }]);
    expect(second.drift).toEqual([]);
    const [event, ...more] = statuses('DRIFT_DETECTED');
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      target: 'stream-ml-service',
      previous: left,
      current: byHand,
      image: { digest: V1 },
      drift: { expected: left, observed: byHand, action: 'report', differences: [expect.stringContaining('not stream-ml-service'), expect.stringContaining(`container ${STREAM_ML.container}: stream-ml-service@sha256:${digest('hotfix').slice(7, 19)}`)] },
    });
    expect(Date.parse(event?.drift?.since ?? '')).not.toBeNaN();
    expect(runningDigest()).toBe(digest('hotfix'));
  });

  it('changed again by hand, is reported again; put back by hand, is cleared', async () => {
    await deployedOnce();
    const left = account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn ?? '';
    await changeServiceByHand(account.imageUri(REPOSITORY, digest('hotfix-1')));
    await sweep();
    await changeServiceByHand(account.imageUri(REPOSITORY, digest('hotfix-2')));
    await sweep();
    await new ECSClient({ region: account.region }).send(new UpdateServiceCommand({ cluster: STREAM_ML.cluster, service: STREAM_ML.service, taskDefinition: left }));

    const cleared = await sweep();

    expect(statuses('DRIFT_DETECTED')).toHaveLength(2);
    expect(cleared.driftCleared).toEqual(['stream-ml-service']);
  });

  it('with onDrift: redeploy, puts the deployed image back through the slot', async () => {
    await deployedOnce(streamMlTarget({ reconcile: { onDrift: 'redeploy' } }));
    await changeServiceByHand(account.imageUri(REPOSITORY, digest('hotfix')));

    const report = await sweep();
    const after = await sweep();

    expect(report.drift).toEqual([expect.objectContaining({ action: 'redeploy' })]);
    expect(report.started).toHaveLength(1);
    expect(runningDigest()).toBe(V1);
    expect(statuses('SUCCEEDED').at(-1)).toMatchObject({ image: { digest: V1 }, trigger: { kind: 'drift' } });
    expect(after).toMatchObject({ drift: [], started: [] });
  });

  it('during a deployment, nothing: the slot is held', async () => {
    let armed = false;
    let during: ReconcileReport | undefined;
    account = await createTestWorld({}, {
      intercept: async (stateName, invoke) => {
        if (stateName === 'EcsCheckRollout' && armed) {
          armed = false;
          await changeServiceByHand(account.imageUri(REPOSITORY, digest('meanwhile')));
          during = await reconcile();
        }
        return invoke();
      },
    });
    useDeploymentsFile([streamMlTarget()]);
    await push(account, REPOSITORY, V1, { tag: 'v1.4.0' });
    await settle(account);
    armed = true;
    await push(account, REPOSITORY, V2, { tag: 'v1.5.0' });
    await settle(account);

    expect(during?.due).toEqual(['stream-ml-service']);
    expect(during?.drift).toEqual([]);
    expect(during?.notChecked).toEqual([{ target: 'stream-ml-service', why: 'a deployment holds or waits for its slot' }]);
    expect(statuses('DRIFT_DETECTED')).toEqual([]);
  });

  it('whose event EventBridge refuses, is published by the next sweep, and once', async () => {
    await deployedOnce();
    await changeServiceByHand(account.imageUri(REPOSITORY, digest('hotfix')));
    account.failNext('PutEvents', 1, 'InternalException');

    await expect(reconcile()).rejects.toThrow();
    const retried = await sweep();
    const quiet = await sweep();

    expect(retried.drift).toHaveLength(1);
    expect(quiet.drift).toEqual([]);
    expect(statuses('DRIFT_DETECTED')).toHaveLength(1);
  });
});

describe('a sweep that fails', () => {
  it('when ECR throttles, changes nothing, and the next sweep records the push', async () => {
    await deployedOnce();
    account.ecr.pushImage(REPOSITORY, V2, ['v1.5.0']);
    account.failNext('DescribeImages', 1, 'ThrottlingException');
    const before = started().length;

    await expect(reconcile()).rejects.toThrow();
    expect(started()).toHaveLength(before);
    const next = await sweep();

    expect(next.missedPushes).toHaveLength(1);
    expect(runningDigest()).toBe(V2);
  });
});
