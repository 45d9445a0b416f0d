import { executionNameFor, slotOf } from '../../../functions/slots/identity';
import {
  acquireForRequest,
  applyPush,
  claimForPushes,
  confirmClaim,
  emptyRecord,
  expire,
  recover,
  release,
  type SlotRecord,
  type WantedImage,
} from '../../../functions/slots/model';

/** The slot model's rules, as pure functions of a record (functions/slots/model.ts). */

const KEY = 'ecs:prod/web';
const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const iso = (seconds: number) => at(seconds).toISOString();
const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const LEASE = 3600;

function pushed(n: number, seconds: number, eventId = `event-${n}-${seconds}`): WantedImage {
  return { digest: digest(n), tag: `v${n}`, at: iso(seconds), trigger: { kind: 'ecr-push', eventIds: [eventId] } };
}

/** The digests the slot's current claim hands its execution. */
function imagesOf(record: SlotRecord): Record<string, string> {
  return Object.fromEntries(Object.entries(record.lease?.images ?? {}).map(([target, image]) => [target, image.digest]));
}

function fresh(): SlotRecord {
  return emptyRecord(KEY, 'ecs');
}

/** A push deployment of what `record` has pending: claimed, confirmed, released with `status`. */
function deployPending(record: SlotRecord, status: Parameters<typeof release>[2], seconds: number): string {
  const claim = claimForPushes(record, at(seconds));
  if (!claim) throw new Error('nothing to claim');
  expect(confirmClaim(record, claim.name, record.generation, imagesOf(record), LEASE, at(seconds), true).held).toBe(true);
  release(record, claim.name, status, at(seconds + 60));
  return claim.name;
}

describe('slot identity', () => {
  it('is one slot for every spelling of one service, and names executions uniquely per slot and generation', () => {
    const byName = slotOf({ ecs: { cluster: 'prod', service: 'web' } });
    const byArn = slotOf({ ecs: { cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod', service: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web' } });

    expect(byArn).toEqual(byName);
    expect(slotOf({ lambda: { function: 'arn:aws:lambda:us-east-1:123456789012:function:api:live' } })).toEqual({ key: 'lambda:api', kind: 'lambda' });
    expect(executionNameFor('ecs:a/b-c', 1)).not.toBe(executionNameFor('ecs:a-b/c', 1));
    expect(executionNameFor(`ecs:${'x'.repeat(200)}/web`, 12345)).toMatch(/^[A-Za-z0-9-]{1,80}$/);
    expect(executionNameFor(KEY, 7)).toMatch(/^ecs-prod-web-[0-9a-f]{6}-g7$/);
  });
});

describe('a push', () => {
  it('becomes the desired image and claims a free slot, with the image in the execution input', () => {
    const record = fresh();

    expect(applyPush(record, 'web', pushed(1, 0))).toEqual({ recorded: true });
    const claim = claimForPushes(record, at(0));

    expect(claim?.name).toBe(executionNameFor(KEY, 1));
    expect(JSON.parse(claim?.input ?? '{}')).toEqual({
      slot: KEY,
      generation: 1,
      images: { web: { digest: digest(1), tag: 'v1', pushedAt: iso(0) } },
      trigger: { kind: 'ecr-push', eventIds: ['event-1-0'] },
    });
    expect(record.targets.web?.pending).toBe(false);
    expect(claimForPushes(record, at(1))).toBeUndefined();
  });

  it('never downgrades: a push older than what is desired or deployed is skipped, saying what is newer', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(2, 10));

    const late = applyPush(record, 'web', pushed(1, 5));

    expect(late.recorded).toBe(false);
    expect(late.skipped?.reason).toContain(`older than sha256:${'2'.repeat(12)} (pushed at ${iso(10)})`);
    expect(record.targets.web?.desired?.digest).toBe(digest(2));
  });

  it('supersedes a pending image that never deployed, and names what superseded it', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(1, 0));
    claimForPushes(record, at(0));
    applyPush(record, 'web', pushed(2, 10));

    const third = applyPush(record, 'web', pushed(3, 20));

    expect(third.superseded).toMatchObject({ image: { digest: digest(2) }, supersededBy: digest(3), reason: expect.stringContaining('before it deployed') });
    // The image in flight is not superseded: it is deploying.
    expect(third.superseded?.image.digest).not.toBe(digest(1));
  });

  it('changes nothing for the same digest again, whether another tag or the same event delivered twice', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(1, 0, 'e1'));
    claimForPushes(record, at(0));
    const before = JSON.stringify(record);

    expect(applyPush(record, 'web', pushed(1, 0, 'e1'))).toEqual({ recorded: false, duplicate: 'the same push event, delivered again' });
    expect(applyPush(record, 'web', { ...pushed(1, 3, 'e2'), tag: 'latest' })).toMatchObject({ recorded: false, duplicate: expect.stringContaining('deploying') });
    expect(JSON.stringify(record)).toBe(before);
  });

  it('of a digest that was rolled back does not deploy it again, and says how to do it by hand', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(1, 0));
    deployPending(record, 'ROLLED_BACK', 0);

    const again = applyPush(record, 'web', { ...pushed(1, 300, 'retag'), tag: 'v1-again' });

    expect(again.recorded).toBe(false);
    expect(again.skipped?.reason).toContain(`npx ecr-deployer deploy web --digest ${digest(1)}`);
    expect(claimForPushes(record, at(301))).toBeUndefined();
  });

  it('of a digest whose deployment failed before changing anything deploys it again', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(1, 0, 'first'));
    deployPending(record, 'FAILED', 0);
    expect(claimForPushes(record, at(61))).toBeUndefined();

    expect(applyPush(record, 'web', pushed(1, 100, 'second'))).toEqual({ recorded: true });
    expect(claimForPushes(record, at(101))?.name).toBe(executionNameFor(KEY, 2));
  });
});

describe('a release', () => {
  it('records what runs and hands the slot to the newest image that waited', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(1, 0));
    const first = claimForPushes(record, at(0))?.name ?? '';
    confirmClaim(record, first, 1, imagesOf(record), LEASE, at(1), true);
    applyPush(record, 'web', pushed(2, 10));
    applyPush(record, 'web', pushed(3, 20));

    const released = release(record, first, 'SUCCEEDED', at(60));

    expect(released.released).toBe(true);
    expect(record.targets.web?.deployed).toMatchObject({ digest: digest(1), deploymentId: first });
    expect(JSON.parse(released.next?.input ?? '{}')).toMatchObject({ generation: 2, images: { web: { digest: digest(3) } } });
  });

  it('of a rollback that worked remembers the digest it undid, so that a push does not bring it back', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(2, 0));
    deployPending(record, 'SUCCEEDED', 0);
    const rollback = 'rollback-web-20261123T101500Z';
    const back: WantedImage = { ...pushed(1, 100), trigger: { kind: 'manual' }, rollbackOf: 'ecs-prod-web-abcdef-g1' };
    expect(acquireForRequest(record, rollback, 'web', back, iso(1000), LEASE, at(100)).held).toBe(true);

    release(record, rollback, 'SUCCEEDED', at(160));

    expect(record.targets.web?.rolledBack).toEqual([digest(2)]);
    expect(applyPush(record, 'web', { ...pushed(2, 200, 'retag') }).skipped?.reason).toContain('was rolled back');
  });

  it('by an execution that does not hold the slot changes nothing of the holder', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(1, 0));
    const claim = claimForPushes(record, at(0));

    expect(release(record, 'someone-else', 'SUCCEEDED', at(5)).released).toBe(false);
    expect(record.lease?.holder).toBe(claim?.name);
  });
});

describe('a push deployment', () => {
  it('takes in the images of the slot’s other targets that wait, when it confirms its claim', () => {
    const record = fresh();
    applyPush(record, 'canvas', pushed(1, 0));
    const claim = claimForPushes(record, at(0));
    applyPush(record, 'orchestrator', pushed(2, 13));

    const hold = confirmClaim(record, claim?.name ?? '', 1, { canvas: digest(1) }, LEASE, at(30), true);

    expect(hold.held && Object.keys(hold.images)).toEqual(['canvas', 'orchestrator']);
    expect(record.targets.orchestrator?.pending).toBe(false);
  });

  it('may deploy only the images its claim names: an input written by hand under the claim’s name is refused', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(1, 0));
    const claim = claimForPushes(record, at(0));

    expect(confirmClaim(record, claim?.name ?? '', 1, { web: digest(9) }, LEASE, at(1), true)).toMatchObject({ held: false, lost: expect.stringContaining('images the slot did not hand it') });
    expect(record.lease?.running).toBe(false);
  });

  it('whose claim expired and was taken over may not deploy', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(1, 0));
    const stale = claimForPushes(record, at(0));
    // The claim was never confirmed: five minutes later another push takes the slot over.
    applyPush(record, 'web', pushed(2, 400));
    const taken = claimForPushes(record, at(400));

    expect(taken?.name).toBe(executionNameFor(KEY, 2));
    expect(confirmClaim(record, stale?.name ?? '', 1, { web: digest(1) }, LEASE, at(401), true)).toMatchObject({ held: false, lost: expect.stringContaining('held by') });
  });
});

describe('a request by hand', () => {
  it('waits in line while a deployment runs, first come first served, and goes before pushes', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(1, 0));
    const push = claimForPushes(record, at(0))?.name ?? '';
    confirmClaim(record, push, 1, imagesOf(record), LEASE, at(0), true);
    const ana: WantedImage = { ...pushed(7, 10), trigger: { kind: 'manual', requestedBy: 'ana' } };
    const bo: WantedImage = { ...pushed(8, 11), trigger: { kind: 'manual', requestedBy: 'bo' } };

    expect(acquireForRequest(record, 'manual-ana', 'web', ana, iso(900), LEASE, at(10))).toMatchObject({ held: false, holder: { holder: push } });
    expect(acquireForRequest(record, 'manual-bo', 'web', bo, iso(900), LEASE, at(11)).held).toBe(false);
    applyPush(record, 'web', pushed(3, 20));
    const released = release(record, push, 'SUCCEEDED', at(60));

    expect(released.next).toBeUndefined();
    expect(acquireForRequest(record, 'manual-bo', 'web', bo, iso(900), LEASE, at(61)).held).toBe(false);
    const taken = acquireForRequest(record, 'manual-ana', 'web', ana, iso(900), LEASE, at(62));
    expect(taken).toMatchObject({ held: true, superseded: [{ image: { digest: digest(3) }, supersededBy: digest(7) }] });
    expect(record.targets.web?.desired?.digest).toBe(digest(7));
  });

  it('deploys exactly what was asked, even an older image', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(5, 100));
    deployPending(record, 'SUCCEEDED', 100);

    const older: WantedImage = { ...pushed(4, 50), at: iso(300), trigger: { kind: 'manual' } };
    const hold = acquireForRequest(record, 'manual-1', 'web', older, iso(1200), LEASE, at(300));

    expect(hold).toMatchObject({ held: true, images: { web: { digest: digest(4) } } });
  });
});

describe('leases', () => {
  it('of a deployment that vanished expire, and what waits is claimed again', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(1, 0));
    const dead = claimForPushes(record, at(0))?.name ?? '';
    confirmClaim(record, dead, 1, imagesOf(record), 600, at(0), true);
    applyPush(record, 'web', pushed(2, 30));

    expect(claimForPushes(record, at(599))).toBeUndefined();
    const next = claimForPushes(record, at(601));

    expect(next?.name).toBe(executionNameFor(KEY, 2));
    expect(record.targets.web?.last).toMatchObject({ deploymentId: dead, status: 'LEASE_EXPIRED', digest: digest(1) });
  });

  it('of a claim whose execution never started hand its images back', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(1, 0));
    claimForPushes(record, at(0));

    expire(record, at(301));

    expect(record.lease).toBeUndefined();
    expect(record.targets.web?.pending).toBe(true);
  });

  it('of an execution stopped by hand are released by the recovery, and the next push deploys', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(1, 0));
    const stopped = claimForPushes(record, at(0))?.name ?? '';
    confirmClaim(record, stopped, 1, imagesOf(record), LEASE, at(0), true);
    applyPush(record, 'web', pushed(2, 30));

    const recovered = recover(record, stopped, 'ABORTED', at(40));

    expect(recovered.released).toBe(true);
    expect(JSON.parse(recovered.next?.input ?? '{}')).toMatchObject({ images: { web: { digest: digest(2) } } });
    expect(recover(record, stopped, 'ABORTED', at(41)).released).toBe(false);
  });

  it('of an execution stopped before its HoldSlot confirmed the claim are released, and its step confirming late holds nothing', () => {
    const record = fresh();
    applyPush(record, 'web', pushed(1, 0));
    const stopped = claimForPushes(record, at(0))?.name ?? '';

    const recovered = recover(record, stopped, 'ABORTED', at(5));
    const late = confirmClaim(record, stopped, 1, { web: digest(1) }, LEASE, at(6), true);

    expect(recovered.released).toBe(true);
    expect(late.held).toBe(false);
    expect(record.lease).toBeUndefined();
    expect(record.targets.web?.last).toMatchObject({ deploymentId: stopped, status: 'ABORTED' });
  });
});

describe('applyPush under tagPolicy: semver', () => {
  const semver = { kind: 'semver' as const, allow: 'major' as const, prerelease: false };
  const tagged = (n: number, second: number, tag: string) => ({ ...pushed(n, second), tag });

  it('names an image pushed under several version tags by the highest, and deploys it once', () => {
    const record = fresh();
    applyPush(record, 'web', tagged(1, 0, 'v1.5.0'), semver);

    const again = applyPush(record, 'web', tagged(1, 1, 'v1.5.1'), semver);
    const lower = applyPush(record, 'web', tagged(1, 2, 'v1.4.9'), semver);

    expect(again).toMatchObject({ recorded: false, duplicate: expect.any(String) });
    expect(lower).toMatchObject({ recorded: false, duplicate: expect.any(String) });
    expect(record.targets.web?.desired).toMatchObject({ tag: 'v1.5.1', version: '1.5.1' });
  });
});
