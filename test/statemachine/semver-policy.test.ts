import { readSlot } from '../../functions/slots/store';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { createTestWorld, digest, push, settle, STREAM_ML, streamMlTarget, useDeploymentsFile, withStack } from '../support/world';

/**
 * tagPolicy: semver through the real trigger, slot store and state machine: the
 * tag's version, not the push time, decides what is newer; what the policy
 * refuses is SKIPPED, saying why.
 */

let account: SimulatedAwsAccount;

afterEach(() => {
  account.restore();
});

const at = (second: number) => new Date(Date.UTC(2026, 10, 23, 10, 0, second)).toISOString().replace('.000Z', 'Z');
const runningDigest = () => account.runningDigests(STREAM_ML.cluster, STREAM_ML.service)[0]?.[STREAM_ML.container];
const skippedReasons = () => account.events.filter((event) => event.status === 'SKIPPED').map((event) => `${event.image.tag}: ${event.reason}`);

async function pushed(tag: string, second: number): Promise<void> {
  await push(account, 'stream-ml-service', digest(`stream-ml-${tag}`), { tag, time: at(second) });
  await settle(account);
}

describe('tagPolicy: semver, allow: minor', () => {
  beforeEach(async () => {
    account = await createTestWorld();
    useDeploymentsFile([streamMlTarget({ tagPolicy: { semver: { allow: 'minor' } } })]);
    await withStack(account);
  });

  it('orders pushes by version: a lower version pushed later is SKIPPED, a higher one pushed earlier deploys', async () => {
    await pushed('v1.5.0', 10);
    await pushed('v1.4.0', 20);
    expect(runningDigest()).toBe(digest('stream-ml-v1.5.0'));

    await pushed('v1.6.0', 5);

    expect(runningDigest()).toBe(digest('stream-ml-v1.6.0'));
    expect(skippedReasons()).toEqual(['v1.4.0: not newer by semver (runs v1.5.0)']);
    expect((await readSlot(`ecs:${STREAM_ML.cluster}/${STREAM_ML.service}`, 'ecs')).targets['stream-ml-service']?.deployed).toMatchObject({ tag: 'v1.6.0', version: '1.6.0' });
  });

  it('skips a major upgrade, a prerelease and a tag that is no version, saying why, and deploys none of them', async () => {
    await pushed('v1.5.0', 10);

    await pushed('v2.0.0', 20);
    await pushed('v1.6.0-rc.1', 30);
    await pushed('v-next', 40);

    expect(runningDigest()).toBe(digest('stream-ml-v1.5.0'));
    expect(skippedReasons()).toEqual([
      'v2.0.0: a major upgrade from v1.5.0; the target takes minor and patch upgrades only (tagPolicy semver.allow: minor)',
      'v1.6.0-rc.1: v1.6.0-rc.1 is a prerelease, and the target takes none (tagPolicy semver.prerelease: false)',
      'v-next: "v-next" is not a semver version (tagPolicy: semver)',
    ]);
  });
});

describe('tagPolicy: glob (the default)', () => {
  it('orders pushes by push time, as before: the later push deploys whatever its version', async () => {
    account = await createTestWorld();
    useDeploymentsFile([streamMlTarget()]);
    await withStack(account);

    await pushed('v1.5.0', 10);
    await pushed('v1.4.0', 20);

    expect(runningDigest()).toBe(digest('stream-ml-v1.4.0'));
    expect(skippedReasons()).toEqual([]);
  });
});
