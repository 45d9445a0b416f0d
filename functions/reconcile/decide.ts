import type { TagPolicy } from '../policy/tag-policy';
import { claimForPushes, notNewer, type SlotRecord, type StartRequest, type TargetSlotState } from '../slots/model';
import type { NewestImage } from './images';

/**
 * What the reconciler decides from a slot's record (pure): whether the newest image
 * is a push EventBridge lost, and what a target found changed behind the deployer's
 * back means for its slot.
 */

/**
 * Why the newest image is not a lost push, or undefined when it is one: newer (in
 * push time) than anything the target runs or will run, and not rolled back.
 * A target the deployer never deployed is left alone: what runs there was not its
 * doing, and the reconciler follows pushes from the first deployment on.
 */
function notMissed(state: TargetSlotState | undefined, newest: NewestImage, policy: TagPolicy = { kind: 'glob' }): string | undefined {
  const known = state?.desired ?? state?.deployed;
  if (!state || !known) return 'ecr-deployer has not deployed this target yet: the reconciler follows pushes from its first deployment on';
  if (known.digest === newest.digest) return 'runs, or will run, the newest image';
  if (state.rolledBack?.includes(newest.digest)) return 'the newest image was rolled back';
  const wanted = { digest: newest.digest, tag: newest.tag, at: newest.pushedAt.toISOString(), trigger: { kind: 'reconcile' as const }, ...(newest.version ? { version: newest.version } : {}) };
  return notNewer(policy, wanted, known);
}

/** A deployment holds, waits for, or is about to take the slot: the reconciler leaves it alone. */
function slotBusy(record: SlotRecord): boolean {
  return record.lease !== undefined || (record.waiting?.length ?? 0) > 0 || Object.values(record.targets).some((state) => state.pending);
}

type DriftDecision =
  | { action: 'none'; why: string }
  /** What runs matches what the deployer left again: the drift record is gone. */
  | { action: 'cleared' }
  /** A new drift: report it; with redeploy, the deployment that puts the image back, to start. */
  | { action: 'report'; since: string; start?: StartRequest };

/**
 * Records what the target was seen running (pure; mutates `record`, a copy the
 * caller owns). `expected` is the deployment whose revision it was compared with:
 * if another deployment ended since, or one holds the slot now, nothing is
 * decided. A drift already reported (the same revision seen) is not reported again.
 */
function noteObservation(record: SlotRecord, target: string, observed: { revision: string; matches: boolean }, expected: string, now: Date, redeploy: boolean): DriftDecision {
  const state = record.targets[target];
  if (slotBusy(record)) return { action: 'none', why: 'a deployment holds or waits for the slot' };
  if (!state?.deployed || state.deployed.deploymentId !== expected) return { action: 'none', why: 'another deployment ended since it was looked at' };
  if (observed.matches) {
    if (!state.drift) return { action: 'none', why: 'runs what ecr-deployer left' };
    delete state.drift;
    return { action: 'cleared' };
  }
  if (state.drift?.observed === observed.revision) {
    // Seen before: reported, or its event could not be published then (the same event again; its id is the same).
    return state.drift.reported ? { action: 'none', why: `drift reported already (first seen ${state.drift.since})` } : { action: 'report', since: state.drift.since };
  }
  const since = now.toISOString();
  state.drift = { observed: observed.revision, since, deploymentId: expected, reported: false };
  if (!redeploy) return { action: 'report', since };
  // Put the deployed image back the way a push would: through the slot, as its desired image.
  const { deployed } = state;
  state.desired = { digest: deployed.digest, ...(deployed.tag ? { tag: deployed.tag } : {}), at: deployed.at, trigger: { kind: 'drift' } };
  state.pending = true;
  const start = claimForPushes(record, now);
  return { action: 'report', since, ...(start ? { start } : {}) };
}

/** The event of a drift went out: later sweeps that see the same revision stay quiet. */
function markDriftReported(record: SlotRecord, target: string, observed: string): void {
  const drift = record.targets[target]?.drift;
  if (drift?.observed === observed) drift.reported = true;
}

/**
 * Whether a target that wants a look every `everyMinutes` is due in the sweep at
 * `now`, when sweeps run every `sweepMinutes` (pure): once in each of its periods,
 * the sweep closest to the period's start, whatever the schedule's jitter.
 */
function isDue(everyMinutes: number, sweepMinutes: number, now: Date): boolean {
  if (everyMinutes <= sweepMinutes) return true;
  const period = everyMinutes * 60_000;
  const half = (sweepMinutes * 60_000) / 2;
  return Math.floor((now.getTime() + half) / period) !== Math.floor((now.getTime() - half) / period);
}

export { notMissed, noteObservation, markDriftReported, slotBusy, isDue };
export type { DriftDecision };
