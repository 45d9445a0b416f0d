import type { TargetKind } from '../config/schema';
import type { Trigger } from '../shared/deployment';
import { shortDigest } from '../shared/image';
import type { ApprovalRequest } from '../approval/model';
import { higherVersion, notAnUpgrade, versionOfTag, type TagPolicy } from '../policy/tag-policy';
import { executionNameFor } from './identity';

/**
 * The state of one slot, as the slot table holds it, and every change to it as
 * a pure function: (record, what happened, now) → (record, what to do). The store
 * applies them with a conditional write on `version`; nothing here does I/O.
 *
 * The rules (README, "Concurrency and ordering"):
 * - desired state moves forward only, in push time (a person's request counts from when it was made);
 * - one deployment holds the slot at a time, under a lease; it deploys a snapshot;
 * - its release records what runs, and hands the slot to what waits: a person first, then pushes.
 */

/** An image a target should run: a push, or what a person asked for. */
interface WantedImage {
  digest: string;
  tag?: string;
  /** The push time (the ECR event's `time`), or when a person asked: what "newer" means. */
  at: string;
  trigger: Trigger;
  /** A rollback: the deployment (id) it undoes. */
  rollbackOf?: string;
  /** Under `tagPolicy: semver`, the version its tag names (`v1.4.0` → `1.4.0`): what "newer" means then. */
  version?: string;
}

/** How a deployment of a target ended, as far as the slot is concerned. */
type SlotOutcome = 'SUCCEEDED' | 'FAILED' | 'ROLLED_BACK' | 'ROLLBACK_FAILED' | 'REJECTED' | 'ABORTED' | 'TIMED_OUT' | 'LEASE_EXPIRED';

interface TargetSlotState {
  /** The newest image the target should run. */
  desired?: WantedImage;
  /** `desired` has not been handed to a deployment yet. */
  pending?: boolean;
  /**
   * What the target runs as far as the deployer knows: what its last successful deployment left,
   * and the revision it left (task or job definition ARN, Lambda version ARN or image), which the reconciler compares with what runs.
   */
  deployed?: { digest: string; tag?: string; at: string; deploymentId: string; revision?: string; version?: string };
  /** The last deployment of the target and how it ended. */
  last?: { deploymentId: string; digest: string; status: SlotOutcome; at: string };
  /** Digests rolled back (or undone by a rollback): pushes of them never deploy by themselves. Newest last. */
  rolledBack?: string[];
  /** Digests of the target's successful deployments, newest last (at most 20): what `rollbackWindow` reaches back to. */
  succeeded?: string[];
  /** The target runs something else than `deployed` says (functions/reconcile): reported once per revision seen. */
  drift?: { observed: string; since: string; deploymentId: string; reported: boolean };
}

/** The deployment that holds the slot. */
interface Lease {
  /** Its execution name. */
  holder: string;
  generation: number;
  /** The execution confirmed it runs. Until then the claim may be started again (same name, same input). */
  running: boolean;
  /** A push deployment's execution input, exactly as started: StartExecution is idempotent on name and input. */
  input?: string;
  /** The snapshot it deploys, per target. */
  images: Record<string, WantedImage>;
  since: string;
  expiresAt: string;
  /** A target with `approval.required`: the deployment waits for a decision while it holds the slot (functions/approval). */
  approval?: ApprovalRequest;
}

/** A person's request waiting for the slot (a manual deployment polls until it holds it, or its deadline). */
interface Waiter {
  execution: string;
  target: string;
  since: string;
  until: string;
}

interface SlotRecord {
  /** The slot key: `ecs:<cluster>/<service>`, … */
  key: string;
  kind: TargetKind;
  /** Bumped by every write; a write is conditional on the version it read. */
  version: number;
  /** The last generation handed out: execution names are `<slot>-<hash>-g<generation>`, never reused. */
  generation: number;
  lease?: Lease;
  waiting?: Waiter[];
  targets: Record<string, TargetSlotState>;
}

/** A push deployment's execution input: the slot, the generation and the snapshot, nothing a target is defined by. */
interface SlotExecutionInput {
  slot: string;
  generation: number;
  images: Record<string, { digest: string; tag?: string; pushedAt: string; rollbackOf?: string }>;
  trigger: Trigger;
}

/** A push that will never deploy, and why: published as a SKIPPED event. */
interface SkippedPush {
  target: string;
  image: WantedImage;
  reason: string;
  supersededBy?: string;
}

/** An execution to start for a claim: its name and exact input. */
interface StartRequest {
  name: string;
  input: string;
}

/** How long a claim may wait for its execution to confirm before another may take over. */
const CLAIM_SECONDS = 300;
/** Rolled-back (and succeeded) digests remembered per target. */
const MAX_ROLLED_BACK = 20;

function emptyRecord(key: string, kind: TargetKind): SlotRecord {
  return { key, kind, version: 0, generation: 0, targets: {} };
}

const plusSeconds = (now: Date, seconds: number): string => new Date(now.getTime() + seconds * 1000).toISOString();
const isPast = (iso: string, now: Date): boolean => Date.parse(iso) <= now.getTime();
const short = (digest: string): string => `sha256:${shortDigest(digest)}`;

function copyOf(record: SlotRecord): SlotRecord {
  return JSON.parse(JSON.stringify(record)) as SlotRecord;
}

function targetOf(record: SlotRecord, name: string): TargetSlotState {
  record.targets[name] ??= {};
  return record.targets[name];
}

function remember(list: string[] | undefined, digest: string): string[] {
  return [...(list ?? []).filter((d) => d !== digest), digest].slice(-MAX_ROLLED_BACK);
}

/** The image a push must beat: what the target should run, else what it runs. */
function newestKnown(state: TargetSlotState): { digest: string; at: string; tag?: string; version?: string } | undefined {
  return state.desired ?? state.deployed;
}

/**
 * Why a push is not newer than what the target runs or will run, or undefined when it is (pure):
 * its version under a semver policy (when what it must beat has one), else its push time.
 */
function notNewer(policy: TagPolicy, push: WantedImage, known: { digest: string; at: string; tag?: string; version?: string }, target = 'the target'): string | undefined {
  if (policy.kind === 'semver' && push.version && known.version) return notAnUpgrade(policy, push.version, { version: known.version, ...(known.tag ? { tag: known.tag } : {}) });
  return push.at <= known.at ? `older than ${short(known.digest)} (pushed at ${known.at}), which ${target} runs or will run: a push never downgrades` : undefined;
}

/** The push event ids a deployment carries, for tracing: the latest few, so that its input stays bounded. */
const MAX_EVENT_IDS = 20;
const latestEventIds = (ids: string[]): string[] => ids.slice(-MAX_EVENT_IDS);

/**
 * Records a push of `target` (pure; mutates `record`, a copy the caller owns).
 * Newer pushes become desired; older ones, rolled-back digests and repeats change
 * nothing. A pending image it replaces is returned as superseded.
 */
function applyPush(record: SlotRecord, target: string, pushed: WantedImage, policy: TagPolicy = { kind: 'glob' }): { recorded: boolean; skipped?: SkippedPush; superseded?: SkippedPush; duplicate?: string } {
  const state = targetOf(record, target);
  let push = pushed;
  if (policy.kind === 'semver') {
    const named = versionOfTag(policy, pushed.tag ?? '');
    if ('refused' in named) return { recorded: false, skipped: { target, image: pushed, reason: named.refused } };
    push = { ...pushed, version: named.version };
  }
  const eventId = push.trigger.eventIds?.[0];
  if (state.rolledBack?.includes(push.digest)) {
    return {
      recorded: false,
      skipped: {
        target,
        image: push,
        reason: `${short(push.digest)} was rolled back on ${target}; a push does not deploy it again. Deploy it by hand if you mean to: npx ecr-deployer deploy ${target} --digest ${push.digest}`,
      },
    };
  }
  const known = newestKnown(state);
  if (known?.digest === push.digest) {
    const desired = state.desired;
    if (eventId && desired?.trigger.eventIds?.includes(eventId)) return { recorded: false, duplicate: 'the same push event, delivered again' };
    // One image pushed under several version tags: the highest names it.
    if (desired?.digest === push.digest && push.version && desired.version && higherVersion(push.version, desired.version) !== desired.version) {
      state.desired = { ...desired, ...(push.tag ? { tag: push.tag } : {}), version: push.version };
    }
    const failedBefore = state.last?.digest === push.digest && state.last.status !== 'SUCCEEDED' && state.deployed?.digest !== push.digest;
    const inFlight = record.lease?.images[target]?.digest === push.digest;
    if (desired && failedBefore && !state.pending && !inFlight) {
      // Its deployment failed before changing anything (or was stopped): a new push of it is a retry.
      state.desired = { ...desired, at: push.at > desired.at ? push.at : desired.at, trigger: { ...push.trigger, eventIds: latestEventIds([...(desired.trigger.eventIds ?? []), ...(push.trigger.eventIds ?? [])]) } };
      state.pending = true;
      return { recorded: true };
    }
    return { recorded: false, duplicate: `${short(push.digest)} is already ${state.pending ? 'waiting to deploy' : inFlight ? 'deploying' : 'deployed or deploying'}` };
  }
  const older = known ? notNewer(policy, push, known, target) : undefined;
  if (older) return { recorded: false, skipped: { target, image: push, reason: older } };
  const previous = state.pending ? state.desired : undefined;
  state.desired = push;
  state.pending = state.deployed?.digest !== push.digest;
  const superseded = previous
    ? { target, image: previous, supersededBy: push.digest, reason: `superseded by ${short(push.digest)}${push.tag ? ` (${push.tag})` : ''} before it deployed` }
    : undefined;
  return { recorded: true, superseded };
}

/**
 * The successful images of a target before the one it runs now, newest last, at most `window` (pure):
 * a person deploying one of them rolls back (`rollbackWindow`).
 */
function withinRollbackWindow(state: TargetSlotState | undefined, digest: string, window: number): boolean {
  if (!state || window <= 0) return false;
  const before = (state.succeeded ?? []).filter((d) => d !== state.deployed?.digest);
  return before.slice(-window).includes(digest);
}

/**
 * Ends a lease whose holder is gone (pure). A claim whose execution never started
 * hands its images back to be claimed again; an execution that ran (or started
 * and failed) records how it ended, and its images wait for a new push or a person.
 */
function endLease(record: SlotRecord, status: SlotOutcome, now: Date): void {
  const lease = record.lease;
  if (!lease) return;
  const neverStarted = status === 'LEASE_EXPIRED' && !lease.running;
  for (const [target, image] of Object.entries(lease.images)) {
    const state = targetOf(record, target);
    if (neverStarted) {
      if (state.desired?.digest === image.digest && state.deployed?.digest !== image.digest) state.pending = true;
    } else {
      state.last = { deploymentId: lease.holder, digest: image.digest, status, at: now.toISOString() };
    }
  }
  delete record.lease;
}

/** A request that waited for the slot leaves the line (it holds the slot now, gave up, or ended). */
function leaveLine(record: SlotRecord, execution: string): void {
  record.waiting = record.waiting?.filter((w) => w.execution !== execution);
  if (record.waiting?.length === 0) delete record.waiting;
}

/** Drops an expired lease and waiters whose deadline passed (pure). */
function expire(record: SlotRecord, now: Date): void {
  if (record.lease && isPast(record.lease.expiresAt, now)) endLease(record, 'LEASE_EXPIRED', now);
  if (record.waiting) {
    record.waiting = record.waiting.filter((w) => !isPast(w.until, now));
    if (record.waiting.length === 0) delete record.waiting;
  }
}

function pendingTargets(record: SlotRecord): string[] {
  return Object.entries(record.targets)
    .filter(([, state]) => state.pending && state.desired)
    .map(([name]) => name)
    .sort();
}

/** A claim carries pushes (`ecr-push`), unless all it carries came from the reconciler: then what the reconciler said. */
function claimTriggerKind(images: WantedImage[]): Trigger['kind'] {
  const kinds = new Set(images.map((image) => image.trigger.kind));
  if (kinds.size === 1 && (kinds.has('reconcile') || kinds.has('drift'))) return [...kinds][0] ?? 'ecr-push';
  return 'ecr-push';
}

/**
 * Claims the slot for a push deployment of every pending target, if the slot is
 * free and no person waits for it (pure). The claim is the execution's name and
 * exact input; whoever made it starts it.
 */
function claimForPushes(record: SlotRecord, now: Date): StartRequest | undefined {
  expire(record, now);
  if (record.lease || (record.waiting?.length ?? 0) > 0) return undefined;
  const targets = pendingTargets(record);
  if (targets.length === 0) return undefined;
  const generation = record.generation + 1;
  const images: Record<string, WantedImage> = {};
  for (const target of targets) {
    const state = targetOf(record, target);
    if (!state.desired) continue;
    images[target] = state.desired;
    state.pending = false;
  }
  const eventIds = latestEventIds([...new Set(Object.values(images).flatMap((image) => image.trigger.eventIds ?? []))]);
  const input: SlotExecutionInput = {
    slot: record.key,
    generation,
    images: Object.fromEntries(
      Object.entries(images).map(([target, image]) => [target, { digest: image.digest, ...(image.tag ? { tag: image.tag } : {}), pushedAt: image.at }]),
    ),
    trigger: { kind: claimTriggerKind(Object.values(images)), eventIds },
  };
  const name = executionNameFor(record.key, generation);
  const text = JSON.stringify(input);
  record.generation = generation;
  record.lease = { holder: name, generation, running: false, input: text, images, since: now.toISOString(), expiresAt: plusSeconds(now, CLAIM_SECONDS) };
  return { name, input: text };
}

/** A claim made but not yet confirmed running: anyone may (re)start it, which is harmless (same name, same input). */
function unconfirmedClaim(record: SlotRecord): StartRequest | undefined {
  const lease = record.lease;
  return lease && !lease.running && lease.input ? { name: lease.holder, input: lease.input } : undefined;
}

type HoldResult = { held: true; images: Record<string, WantedImage>; superseded: SkippedPush[] } | { held: false; holder?: Lease; lost?: string };

/**
 * A push deployment confirms the claim made for it, carrying exactly the claim's
 * `images` (digest by target) (pure), and with `merge` takes
 * into its snapshot every other target of the slot whose image waits: images
 * pushed together deploy together. Safe to repeat. Not its claim (it expired and
 * was taken over): it must not deploy.
 */
function confirmClaim(
  record: SlotRecord,
  execution: string,
  generation: number,
  images: Record<string, string>,
  leaseSeconds: number,
  now: Date,
  merge: boolean,
): HoldResult {
  const lease = record.lease;
  if (!lease || lease.holder !== execution || lease.generation !== generation) {
    return { held: false, lost: lease ? `the slot is held by ${lease.holder}` : 'the slot is free: the claim expired before this execution confirmed it' };
  }
  // The execution deploys what the slot handed it, and only that: an input written by hand under a claim's name does not.
  const foreign = Object.entries(images).filter(([target, digest]) => lease.images[target]?.digest !== digest);
  if (foreign.length > 0) return { held: false, lost: `its input names ${foreign.map(([target]) => target).join(', ')} with images the slot did not hand it` };
  if (!lease.running) {
    lease.running = true;
    lease.expiresAt = plusSeconds(now, leaseSeconds);
  }
  if (merge) {
    for (const target of pendingTargets(record)) {
      const state = targetOf(record, target);
      if (!state.desired) continue;
      lease.images[target] = state.desired;
      state.pending = false;
    }
  }
  return { held: true, images: lease.images, superseded: [] };
}

/**
 * A person's request takes the slot if it is free, else waits in line until
 * `until` (pure). It deploys exactly what was asked, even an older image; a
 * pending push of the same target it replaces is superseded. Safe to repeat.
 */
function acquireForRequest(record: SlotRecord, execution: string, target: string, image: WantedImage, until: string, leaseSeconds: number, now: Date): HoldResult {
  expire(record, now);
  const lease = record.lease;
  if (lease?.holder === execution) return { held: true, images: lease.images, superseded: [] };
  const waiting = record.waiting ?? [];
  const mine = waiting.find((w) => w.execution === execution);
  // First come, first served among people: only those in line before this request go first.
  const ahead = waiting.filter((w) => w.execution !== execution && (!mine || w.since < mine.since));
  if (lease || ahead.length > 0) {
    if (!mine) record.waiting = [...waiting, { execution, target, since: now.toISOString(), until }];
    return { held: false, holder: lease };
  }
  const state = targetOf(record, target);
  const superseded: SkippedPush[] =
    state.pending && state.desired && state.desired.digest !== image.digest
      ? [{ target, image: state.desired, supersededBy: image.digest, reason: `superseded by a deployment of ${short(image.digest)} asked for by hand` }]
      : [];
  state.desired = image;
  state.pending = false;
  record.generation += 1;
  record.lease = { holder: execution, generation: record.generation, running: true, images: { [target]: image }, since: now.toISOString(), expiresAt: plusSeconds(now, leaseSeconds) };
  leaveLine(record, execution);
  return { held: true, images: record.lease.images, superseded };
}

/**
 * A deployment ends (pure): records per target how, what runs now, and which
 * digest was rolled back; gives the slot up; and claims it for the pushes that
 * wait, if any. Not the holder (a request that never got the slot): only leaves the line.
 */
function release(record: SlotRecord, execution: string, status: SlotOutcome, now: Date, revisions: Record<string, string> = {}): { released: boolean; next?: StartRequest } {
  leaveLine(record, execution);
  const lease = record.lease;
  if (lease?.holder !== execution) return { released: false, next: claimForPushes(record, now) };
  for (const [target, image] of Object.entries(lease.images)) {
    const state = targetOf(record, target);
    const at = now.toISOString();
    state.last = { deploymentId: execution, digest: image.digest, status, at };
    if (status === 'SUCCEEDED') {
      // A rollback that worked undid what ran before it: a push of that digest must not bring it back.
      if (image.rollbackOf && state.deployed && state.deployed.digest !== image.digest) state.rolledBack = remember(state.rolledBack, state.deployed.digest);
      state.rolledBack = state.rolledBack?.filter((d) => d !== image.digest);
      if (state.rolledBack?.length === 0) delete state.rolledBack;
      const revision = revisions[target];
      state.deployed = { digest: image.digest, ...(image.tag ? { tag: image.tag } : {}), at: image.at, deploymentId: execution, ...(revision ? { revision } : {}), ...(image.version ? { version: image.version } : {}) };
      state.succeeded = remember(state.succeeded, image.digest);
      if (state.desired?.digest === image.digest) state.pending = false;
      delete state.drift;
    } else if (status === 'ROLLED_BACK' || status === 'ROLLBACK_FAILED') {
      state.rolledBack = remember(state.rolledBack, image.digest);
      // Back on what it ran before: what the reconciler compares with from now on.
      const revision = revisions[target];
      if (status === 'ROLLED_BACK' && revision && state.deployed) state.deployed.revision = revision;
    }
  }
  // Targets sharing the service (or job definition) run the revision too: the deployment kept their images.
  const slotRevision = Object.keys(lease.images).map((target) => revisions[target]).find(Boolean);
  if (slotRevision && (status === 'SUCCEEDED' || status === 'ROLLED_BACK')) {
    for (const [target, state] of Object.entries(record.targets)) if (!(target in lease.images) && state.deployed) state.deployed.revision = slotRevision;
  }
  delete record.lease;
  return { released: true, next: claimForPushes(record, now) };
}

/**
 * An execution ended without releasing (stopped, timed out, or its release step
 * failed), as Step Functions reports it (pure). If it still holds the slot, the
 * slot is released and what waits goes on.
 */
function recover(record: SlotRecord, execution: string, status: 'ABORTED' | 'TIMED_OUT' | 'FAILED', now: Date): { released: boolean; next?: StartRequest } {
  leaveLine(record, execution);
  // A claim its execution never confirmed says nothing about an execution that FAILED (it may not even be
  // the one the claim was made for: an input written by hand under its name): it expires by itself and
  // hands its images back. One stopped or timed out was the claim's, and its name is spent: it is ended
  // now, so that its step still running cannot confirm it afterwards and hold the slot for a dead execution.
  const unconfirmed = record.lease?.holder === execution && !record.lease.running;
  if (record.lease?.holder !== execution || (unconfirmed && status === 'FAILED')) return { released: false, next: claimForPushes(record, now) };
  endLease(record, status, now);
  return { released: true, next: claimForPushes(record, now) };
}

export { emptyRecord, copyOf, withinRollbackWindow, applyPush, notNewer, claimForPushes, unconfirmedClaim, confirmClaim, acquireForRequest, release, recover, expire, CLAIM_SECONDS };
export type { SlotRecord, TargetSlotState, WantedImage, Lease, Waiter, SlotOutcome, SlotExecutionInput, SkippedPush, StartRequest, HoldResult };
