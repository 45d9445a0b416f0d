import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { canarySteps } from '../lambda/function';
import { tagPolicyOf, versionOfTag } from '../policy/tag-policy';
import { buildSkippedEvent, publishDeploymentEvents, type DeploymentEventDetail } from '../events/deployment-events';
import { withTransientErrorsNamed } from '../shared/aws-errors';
import { sfn } from '../shared/clients/sfn';
import type { Deployment, ResolvedTarget } from '../shared/deployment';
import { SlotBusy, SlotLost } from '../shared/errors';
import { imageRef, shortDigest } from '../shared/image';
import { logger } from '../shared/logger';
import { slotOf, type SlotRef } from './identity';
import {
  acquireForRequest,
  applyPush,
  claimForPushes,
  confirmClaim,
  expire,
  recover,
  release,
  unconfirmedClaim,
  type SkippedPush,
  type SlotOutcome,
  type SlotRecord,
  type StartRequest,
  type WantedImage,
} from './model';
import { allSlots, updateSlot } from './store';

/**
 * What the trigger, the deployment's own steps, the recovery rule and the sweep
 * do with slots: one read-modify-write of the slot's record (./model, ./store),
 * then what it decided: start the execution it claimed, publish SKIPPED events.
 */

/** A push as the trigger saw it. */
interface PushedImage {
  repository: string;
  registry: string;
  digest: string;
  tag: string;
  /** The ECR event's time (the reconciler: the image's imagePushedAt). */
  pushedAt: string;
  /** The ECR event's id; none when the reconciler found the push EventBridge did not deliver. */
  eventId?: string;
}

interface PushReport {
  recorded: string[];
  duplicates: { target: string; reason: string }[];
  skipped: { target: string; reason: string }[];
  started: string[];
}

/** Starts the execution a claim names; an execution of that name already there is the one (same name, same input). */
async function startClaimed(stateMachineArn: string, request: StartRequest): Promise<void> {
  try {
    await withTransientErrorsNamed('StartExecution', () => sfn.send(new StartExecutionCommand({ stateMachineArn, name: request.name, input: request.input })));
    logger.info('deployment started', { executionName: request.name });
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
    logger.info('deployment already started', { executionName: request.name });
  }
}

function skippedEventOf(target: ResolvedTarget, skipped: SkippedPush, registry: string, now: Date): DeploymentEventDetail {
  return buildSkippedEvent(
    {
      target,
      image: imageRef(registry, target.repository, skipped.image.digest, skipped.image.tag),
      pushedAt: skipped.image.at,
      trigger: skipped.image.trigger,
      reason: skipped.reason,
      supersededBy: skipped.supersededBy,
    },
    now,
  );
}

/** SKIPPED events never fail what published them: the slot's record already says what happened. */
async function publishSkipped(events: DeploymentEventDetail[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await publishDeploymentEvents(events);
  } catch (error) {
    logger.warn('could not publish SKIPPED events', { error: error as Error, targets: events.map((e) => e.target) });
  }
}

/**
 * Records a push for each target it matches, slot by slot: newer images become
 * desired, the rest are SKIPPED or duplicates; a free slot is claimed and its
 * deployment started. Safe to repeat (a redelivered event changes nothing, and a
 * claim not yet running is started again under the same name and input).
 */
async function recordPush(push: PushedImage, targets: ResolvedTarget[], stateMachineArn: string, now = new Date()): Promise<PushReport> {
  const report: PushReport = { recorded: [], duplicates: [], skipped: [], started: [] };
  const bySlot = new Map<string, { slot: SlotRef; targets: ResolvedTarget[] }>();
  for (const target of targets) {
    const slot = slotOf(target);
    const group = bySlot.get(slot.key) ?? { slot, targets: [] };
    group.targets.push(target);
    bySlot.set(slot.key, group);
  }
  for (const { slot, targets: group } of bySlot.values()) {
    const trigger: WantedImage['trigger'] = push.eventId ? { kind: 'ecr-push', eventIds: [push.eventId] } : { kind: 'reconcile' };
    const wanted: WantedImage = { digest: push.digest, tag: push.tag, at: push.pushedAt, trigger };
    const { result } = await updateSlot(slot.key, slot.kind, (record) => {
      const outcomes = group.map((target) => ({ target, outcome: applyPush(record, target.name, wanted, tagPolicyOf(target)) }));
      return { outcomes, start: claimForPushes(record, now) ?? unconfirmedClaim(record) };
    });
    const events: DeploymentEventDetail[] = [];
    for (const { target, outcome } of result.outcomes) {
      if (outcome.recorded) report.recorded.push(target.name);
      if (outcome.duplicate) report.duplicates.push({ target: target.name, reason: outcome.duplicate });
      if (outcome.skipped) {
        report.skipped.push({ target: target.name, reason: outcome.skipped.reason });
        events.push(skippedEventOf(target, outcome.skipped, push.registry, now));
      }
      // The image this push replaced while it waited never deploys.
      if (outcome.superseded) events.push(skippedEventOf(target, outcome.superseded, push.registry, now));
      logger.info('push recorded', { target: target.name, slot: slot.key, digest: push.digest, tag: push.tag, ...outcome });
    }
    await publishSkipped(events);
    if (result.start) {
      await startClaimed(stateMachineArn, result.start);
      report.started.push(result.start.name);
    }
  }
  return report;
}

/**
 * How long a deployment may hold its slot: every deadline it can run into (the wait for approval included), plus
 * an hour for retries and throttling. The recovery rule releases a slot at once
 * when its execution ends badly; the lease is only the backstop.
 */
function leaseSecondsFor(deployment: Deployment): number {
  const { rollout, smokeTests } = deployment.settings;
  const smoke = smokeTests.reduce((sum, test) => {
    if ('http' in test) return sum + test.http.attempts * (test.http.intervalSeconds + test.http.timeoutSeconds);
    if ('invoke' in test) return sum + test.invoke.attempts * (test.invoke.intervalSeconds + 60);
    return sum + test.batchJob.timeoutSeconds;
  }, 0);
  const bakes = deployment.slot.kind === 'lambda' ? canarySteps(deployment).reduce((sum, step) => sum + step.bakeSeconds, 0) : 0;
  return rollout.timeoutSeconds + rollout.rollbackTimeoutSeconds + smoke + bakes + (deployment.settings.approval?.timeoutSeconds ?? 0) + (deployment.settings.scanGate?.waitSeconds ?? 0) + (deployment.settings.preDeployTask?.timeoutSeconds ?? 0) + 3600;
}

/**
 * Whether the execution holds its slot now (and the images it deploys: a push
 * deployment's snapshot may have grown), or waits, and how long before it looks again.
 */
type SlotHold =
  | { held: true; images?: Record<string, WantedImage> }
  | { held: false; until?: string; retryAfterSeconds: number; heldBy?: string; merging?: boolean };

function describeHolder(record: SlotRecord): string {
  const lease = record.lease;
  if (!lease) return 'people who asked before';
  const images = Object.entries(lease.images).map(([target, image]) => `${target} ${image.tag ?? `sha256:${shortDigest(image.digest)}`}`);
  return `${lease.holder} (deploying ${images.join(', ')} since ${lease.since})`;
}

/**
 * The deployment takes its slot before it changes anything.
 *
 * A push deployment confirms the claim made for it (`SlotLost` if it expired and
 * was taken over: it must not deploy). On a slot with other targets than those it
 * carries, it first waits `mergeWindowSeconds` (once, `merging`), so that images
 * of one release pushed one after another join it; then it takes every image
 * waiting on the slot into its snapshot.
 *
 * A person's request takes the slot if it is free, else waits its turn (the state
 * machine polls) until `until`, then `SlotBusy`.
 */
async function holdSlot(
  deployment: Deployment,
  request: { generation: number; siblings: boolean; merged: boolean } | { until?: string },
  now = new Date(),
): Promise<SlotHold> {
  const leaseSeconds = leaseSecondsFor(deployment);
  const { slot, settings } = deployment;
  if ('generation' in request) {
    const waitFirst = request.siblings && !request.merged && settings.rollout.mergeWindowSeconds > 0;
    const images = Object.fromEntries(deployment.changes.map((change) => [change.target.name, change.image.digest]));
    const { result } = await updateSlot(slot.key, slot.kind, (record) => confirmClaim(record, deployment.id, request.generation, images, leaseSeconds, now, !waitFirst));
    if (!result.held) throw new SlotLost(`${deployment.id} may not deploy to ${slot.key}: ${result.lost ?? 'its claim is gone'}. Nothing was changed; the images it carried are deployed by the slot's next deployment.`);
    return waitFirst ? { held: false, retryAfterSeconds: settings.rollout.mergeWindowSeconds, merging: true } : { held: true, images: result.images };
  }
  const [change] = deployment.changes;
  if (!change) throw new Error(`deployment ${deployment.id} has no change`);
  const until = request.until ?? new Date(now.getTime() + settings.rollout.waitForSlotSeconds * 1000).toISOString();
  // A person may deploy any version; under a semver policy its version is what later pushes must beat.
  const policy = tagPolicyOf(change.target);
  const named = policy.kind === 'semver' && change.image.tag ? versionOfTag({ ...policy, prerelease: true }, change.image.tag) : undefined;
  const wanted: WantedImage = {
    digest: change.image.digest,
    ...(change.image.tag ? { tag: change.image.tag } : {}),
    ...(named && 'version' in named ? { version: named.version } : {}),
    at: deployment.startedAt,
    trigger: deployment.trigger,
    ...(change.rollbackOf ? { rollbackOf: change.rollbackOf } : {}),
  };
  const { record, result } = await updateSlot(slot.key, slot.kind, (current) => acquireForRequest(current, deployment.id, change.target.name, wanted, until, leaseSeconds, now));
  if (result.held) {
    await publishSkipped(result.superseded.map((skipped) => skippedEventOf(change.target, skipped, change.image.registry, now)));
    return { held: true };
  }
  if (Date.parse(until) <= now.getTime()) {
    throw new SlotBusy(
      `${slot.key} is held by ${describeHolder(record)}; waited ${settings.rollout.waitForSlotSeconds} s (rollout.waitForSlotSeconds). Nothing was changed. Start this deployment again once that one has finished (npx ecr-deployer status ${change.target.name}), or stop it first.`,
    );
  }
  return { held: false, until, retryAfterSeconds: settings.rollout.pollSeconds, ...(record.lease ? { heldBy: record.lease.holder } : {}) };
}

/** How a release went: released the slot, and started the next deployment of what waits. */
interface SlotRelease {
  released: boolean;
  next?: string;
}

/**
 * Every terminal path of a deployment: records per target how it ended and what
 * runs, gives the slot up, and starts the next deployment if newer images wait.
 * Safe to repeat: a second release finds the slot no longer held by this
 * execution, and (re)starts the claim it made, which is idempotent.
 */
async function releaseSlot(slot: SlotRef, execution: string, status: SlotOutcome, stateMachineArn: string, now = new Date(), revisions: Record<string, string> = {}): Promise<SlotRelease> {
  const { result } = await updateSlot(slot.key, slot.kind, (record) => {
    const released = release(record, execution, status, now, revisions);
    return { released: released.released, start: released.next ?? unconfirmedClaim(record) };
  });
  if (result.start) await startClaimed(stateMachineArn, result.start);
  logger.info('slot released', { slot: slot.key, execution, status, released: result.released, next: result.start?.name });
  return { released: result.released, ...(result.start ? { next: result.start.name } : {}) };
}

/** An execution ended without its release (stopped, timed out, crashed): release its slot if it still holds it. */
async function recoverSlot(slot: SlotRef, execution: string, status: 'ABORTED' | 'TIMED_OUT' | 'FAILED', stateMachineArn: string, now = new Date()): Promise<SlotRelease> {
  const { result } = await updateSlot(slot.key, slot.kind, (record) => {
    const recovered = recover(record, execution, status, now);
    return { released: recovered.released, start: recovered.next ?? unconfirmedClaim(record) };
  });
  if (result.start) await startClaimed(stateMachineArn, result.start);
  if (result.released) logger.warn('slot recovered from an execution that ended without releasing it', { slot: slot.key, execution, status, next: result.start?.name });
  return { released: result.released, ...(result.start ? { next: result.start.name } : {}) };
}

/** Whether the sweep has something to do for a record: an expired lease or waiter, work with nobody on it, a claim not started. */
function needsSweep(record: SlotRecord, now: Date): boolean {
  const probe = JSON.parse(JSON.stringify(record)) as SlotRecord;
  expire(probe, now);
  const changed = JSON.stringify(probe) !== JSON.stringify(record);
  const idleWithWork = !record.lease && !record.waiting?.length && Object.values(record.targets).some((t) => t.pending);
  const unstarted = record.lease !== undefined && !record.lease.running && Date.parse(record.lease.since) + 60_000 <= now.getTime();
  return changed || idleWithWork || unstarted;
}

/**
 * The backstop, on a schedule: expired leases are ended, pending images with
 * nobody on them are claimed, and claims whose execution never confirmed are
 * started again. No slot stays blocked longer than its lease.
 */
async function sweepSlots(stateMachineArn: string, now = new Date()): Promise<{ slots: number; swept: string[]; started: string[] }> {
  const report = { slots: 0, swept: [] as string[], started: [] as string[] };
  for await (const found of allSlots()) {
    report.slots += 1;
    if (!needsSweep(found, now)) continue;
    const { result } = await updateSlot(found.key, found.kind, (record) => {
      expire(record, now);
      return claimForPushes(record, now) ?? unconfirmedClaim(record);
    });
    report.swept.push(found.key);
    if (result) {
      await startClaimed(stateMachineArn, result);
      report.started.push(result.name);
    }
  }
  return report;
}

export { recordPush, holdSlot, releaseSlot, recoverSlot, sweepSlots, leaseSecondsFor, startClaimed, publishSkipped };
export type { PushedImage, PushReport, SlotHold, SlotRelease };
