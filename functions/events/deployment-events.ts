import { createHash } from 'node:crypto';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SLOT_BUSY } from '../shared/error-names';
import { eventBridge } from '../shared/clients/eventbridge';
import type { CaughtError, DeploymentState, ResolvedTarget, TargetChange, Trigger } from '../shared/deployment';
import { shortDigest, type ImageRef } from '../shared/image';
import { slotOf } from '../slots/identity';
import { AwsTransientError } from '../shared/errors';
import { redactDeep } from '../shared/redact';
import { DEPLOYMENT_STATUSES, type DeploymentStatus } from './statuses';
import type { ScheduledTasksOutcome } from '../scheduled-tasks/model';
import type { PreexistingAlarm } from '../alarms/model';

const EVENT_SOURCE = 'ecr-deployer';
const EVENT_DETAIL_TYPE = 'Deployment State Change';


interface DeploymentEventDetail {
  deploymentId: string;
  target: string;
  environment: string;
  kind: string;
  /** The slot the deployment holds (`ecs:<cluster>/<service>`, …): targets of one service share it. */
  slot?: string;
  image: { repository: string; tag?: string; digest: string; uri: string };
  status: DeploymentStatus;
  phase: string;
  reason?: string;
  /** What the target ran before this deployment (null until recorded). */
  previous: string | null;
  /** What the target runs, or is moving to, as of this event (null when unknown). */
  current: string | null;
  executionArn: string | null;
  startedAt: string;
  at: string;
  /** Who asked: a push (`ecr-push`) or a person (`manual`, with `requestedBy` when known). */
  trigger?: { kind: Trigger['kind']; requestedBy?: string };
  /** A rollback: the deployment (id) it undoes. */
  rollbackOf?: string;
  /** A fast rollback (no canary, no bake): it undoes a deployment (`rollback`), or deploys one of the target's last `rollbackWindow` successful images (`window`). */
  fastRollback?: 'rollback' | 'window';
  /** A promotion: the target whose tested image this is, and the deployment that tested it there. */
  promotedFrom?: { target: string; deploymentId: string };
  /** A target that requires approval: who approved this deployment, and when. */
  approvedBy?: { by: string; at: string };
  /** SKIPPED because a newer image of the target came first: that image's digest. */
  supersededBy?: string;
  /** What clean-up after the failure did not manage, and what to do about it (an orphan revision left ACTIVE, a test job not terminated). */
  cleanup?: string;
  /**
   * SUCCEEDED, for a target with scheduled tasks (ecs.scheduledTasks, batch.scheduledJobs): the rules'
   * targets moved to the new revision, and by name what could not follow (the deployment is not affected).
   */
  scheduledTasks?: ScheduledTasksOutcome;
  /** A target with `alarms`: those already in ALARM when the deployment began, reported and not blamed on the new image. */
  alarms?: { alreadyInAlarm: PreexistingAlarm[] };
  /** DRIFT_DETECTED: what the deployer left, what runs instead, since when it was first seen, and what the reconciler does about it. */
  drift?: DriftDetail;
}

interface DriftDetail {
  /** The revision the deployer's last deployment left. */
  expected: string;
  /** The revision the target runs. */
  observed: string;
  /** The sweep that first saw it. */
  since: string;
  /** The deployment whose result was changed. */
  deployedBy: string;
  differences: string[];
  /** `report` only, or `redeploy` (onDrift): the deployed image is put back through the slot. */
  action: 'report' | 'redeploy';
}

/** The phase a deployment reached, read off what the state already holds. */
function phaseReached(state: DeploymentState): string {
  const { ecs, batch, batchTest, lambda, lambdaUpdate, rollout, smoke } = state;
  if (state.failure?.Error === SLOT_BUSY || (state.slotHold && !state.slotHold.held)) return 'slot';
  if (state.approval && state.approval.status !== 'approved') return 'approval';
  if (state.deployment.slot.kind === 'lambda') {
    if (!lambda) return 'prepare';
    if (!lambda.codeUpdated || lambdaUpdate?.status !== 'COMPLETED') return 'update-code';
    if (!lambda.newVersion) return 'publish-version';
    if (!lambda.traffic?.complete) return 'shift-traffic';
  } else if (state.deployment.slot.kind === 'batch') {
    if (!batch) return 'register';
    if (batchTest?.submitted && batchTest.status !== 'SUCCEEDED') return 'test-job';
  } else {
    if (!ecs) return 'prepare';
    if (!ecs.newTaskDefinitionArn) return 'register';
    if (state.deployment.settings.preDeployTask && state.preDeployTask?.status !== 'SUCCEEDED' && !ecs.deploymentId) return 'pre-deploy-task';
    if (!ecs.deploymentId) return 'update-service';
    if (rollout?.status !== 'COMPLETED') return 'rollout';
    if (!state.verification) return 'verify-image';
  }
  if (!smoke?.allPassed) return 'smoke-test';
  return 'done';
}

/** The revision before the deployment, the new one, and the one a rollback returned to. */
function revisionsOf(state: DeploymentState, change: TargetChange): { previous?: string; next?: string; rolledBackTo?: string } {
  if (state.lambda) {
    const { lambda } = state;
    // With an alias, versions (as qualified ARNs); without, the images $LATEST ran.
    if (lambda.alias) {
      const version = (v: string | undefined) => (v ? `${lambda.functionArn}:${v}` : undefined);
      return { previous: version(lambda.previousVersion), next: version(lambda.newVersion), rolledBackTo: version(lambda.rollback?.target) };
    }
    return { previous: lambda.previousResolvedImageUri ?? lambda.previousImageUri, next: lambda.codeUpdated ? change.image.uri : undefined, rolledBackTo: lambda.rollback?.target };
  }
  if (state.batch) {
    return { previous: state.batch.previousJobDefinitionArn, next: state.batch.newJobDefinitionArn, rolledBackTo: state.batch.rollback?.latestJobDefinitionArn };
  }
  if (state.ecs) {
    return { previous: state.ecs.previousTaskDefinitionArn, next: state.ecs.newTaskDefinitionArn, rolledBackTo: state.ecs.rollback?.taskDefinitionArn };
  }
  return {};
}

/**
 * Step Functions hands a Lambda error's Cause as the Lambda error JSON
 * (`{"errorType","errorMessage","trace"}`); keep only the message.
 */
function describeCaught(caught: CaughtError | undefined): string | undefined {
  if (!caught) return undefined;
  let message = caught.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // not JSON: already a plain message
  }
  return message ? `${caught.Error}: ${message}` : caught.Error;
}

function currentRevision(state: DeploymentState, change: TargetChange, status: DeploymentStatus): string | null {
  const { previous, next, rolledBackTo } = revisionsOf(state, change);
  if (!previous) return null;
  if (status === 'ROLLED_BACK') return rolledBackTo ?? previous;
  if (status === 'ROLLBACK_FAILED') return null;
  if (status === 'FAILED') return previous;
  return next ?? previous;
}

/** The events of one status change: one per target the deployment changes, so each target's subscribers see its whole story. */
/**
 * Why a deployment ended as it did, in one line: the failure, and for a rollback
 * what became of it — failed, judged back on the recorded revision after its step
 * failed, or nothing to undo.
 */
function reasonOf(state: DeploymentState, status: DeploymentStatus): string | undefined {
  if (status === 'SUCCEEDED' || status === 'STARTED') return undefined;
  const { approval } = state;
  if (status === 'AWAITING_APPROVAL' && approval?.status === 'pending') {
    const id = state.deployment.id;
    return `waiting for approval until ${approval.until}. Approve: npx ecr-deployer approve ${id} — or reject: npx ecr-deployer reject ${id} --reason "…"`;
  }
  if (status === 'SKIPPED' && approval && 'reason' in approval) return `not approved: ${approval.reason}`;
  const parts = [describeCaught(state.failure)];
  if (status === 'ROLLED_BACK' && state.rollbackVerdict?.backOnRecorded) parts.push(`the rollback step failed (${describeCaught(state.rollbackFailure) ?? 'no reason given'}), but ${state.rollbackVerdict.runs}`);
  if (status === 'ROLLED_BACK' && state.lambda?.rollback?.action === 'nothing-to-undo') parts.push('nothing to undo: Lambda kept the previous code');
  if (status === 'ROLLBACK_FAILED') {
    parts.push(`then rollback failed: ${describeCaught(state.rollbackFailure) ?? 'no reason given'}`);
    if (state.rollbackVerdict) parts.push(state.rollbackVerdict.runs);
  }
  return parts.filter(Boolean).join(' — ') || undefined;
}

/** What re-pointing scheduled tasks did, once the deployment reached it; a step that failed as a whole is one problem. */
function scheduledTasksOf(state: DeploymentState): ScheduledTasksOutcome | undefined {
  if (state.scheduledTasks) return state.scheduledTasks;
  const failed = state.scheduledTasksFailure;
  if (!failed) return undefined;
  return { repointed: [], failed: [{ rule: '*', error: 'ScheduledTaskNotRepointed', message: `no rule was re-pointed: ${describeCaught(failed) ?? 'no reason given'}`.slice(0, 300) }] };
}

/** What clean-up did not manage, in words a person can act on. */
function cleanupOf(state: DeploymentState): string | undefined {
  const failed = state.cleanupFailure ?? state.orphan?.deregisterFailed;
  if (failed) {
    const orphan = state.ecs?.newTaskDefinitionArn;
    const what = orphan ? `revision ${orphan} was registered and may still be ACTIVE, the family's latest` : 'a revision this deployment registered may still be ACTIVE';
    return `${what}: deregistering it failed (${describeCaught(failed) ?? 'no reason given'}). Deregister it by hand${orphan ? `: aws ecs deregister-task-definition --task-definition ${orphan}` : ''}`;
  }
  return state.batch?.cleanup;
}

function buildDeploymentEvents(state: DeploymentState, status: DeploymentStatus, now = new Date()): DeploymentEventDetail[] {
  const { deployment } = state;
  const phase = status === 'STARTED' ? 'start' : status === 'ROLLBACK_FAILED' ? 'rollback' : phaseReached(state);
  const reason = reasonOf(state, status);
  const cleanup = cleanupOf(state);
  const scheduledTasks = status === 'SUCCEEDED' ? scheduledTasksOf(state) : undefined;
  return deployment.changes.map((change) => ({
    deploymentId: deployment.id,
    target: change.target.name,
    environment: change.target.environment,
    kind: deployment.slot.kind,
    slot: deployment.slot.key,
    image: { repository: change.image.repository, tag: change.image.tag, digest: change.image.digest, uri: change.image.uri },
    status,
    phase,
    reason,
    previous: revisionsOf(state, change).previous ?? null,
    current: currentRevision(state, change, status),
    executionArn: deployment.executionArn ?? null,
    startedAt: deployment.startedAt,
    at: now.toISOString(),
    trigger: { kind: deployment.trigger.kind, ...(deployment.trigger.requestedBy ? { requestedBy: deployment.trigger.requestedBy } : {}) },
    ...(change.rollbackOf ? { rollbackOf: change.rollbackOf } : {}),
    ...(change.fastRollback ? { fastRollback: change.fastRollback } : {}),
    ...(change.promotedFrom ? { promotedFrom: { target: change.promotedFrom.target, deploymentId: change.promotedFrom.deploymentId } } : {}),
    ...(state.approval?.status === 'approved' ? { approvedBy: { by: state.approval.by, at: state.approval.at } } : {}),
    ...(cleanup ? { cleanup } : {}),
    ...(scheduledTasks ? { scheduledTasks } : {}),
    ...(state.alarms && state.alarms.alreadyInAlarm.length > 0 ? { alarms: { alreadyInAlarm: state.alarms.alreadyInAlarm } } : {}),
  }));
}

/** An execution refused before it resolved: its input, why, and the targets (from deployments.yml) it named. */
interface Rejection {
  execution: { name: string; arn?: string; startTime?: string };
  targets: ResolvedTarget[];
  /** The image each target was to get, where the input says. */
  images: Record<string, { digest?: string; tag?: string }>;
  registry: string;
  trigger: Trigger;
  failure?: CaughtError;
}

/** The FAILED events of an execution refused before anything changed, one per target it named that deployments.yml knows. */
function buildRejectionEvents(rejection: Rejection, now = new Date()): DeploymentEventDetail[] {
  return rejection.targets.map((target) => {
    const image = rejection.images[target.name] ?? {};
    return {
      deploymentId: rejection.execution.name,
      target: target.name,
      environment: target.environment,
      kind: target.kind,
      slot: slotOf(target).key,
      image: { repository: target.repository, tag: image.tag, digest: image.digest ?? '', uri: image.digest ? `${rejection.registry}/${target.repository}@${image.digest}` : '' },
      status: 'FAILED',
      phase: 'resolve',
      reason: describeCaught(rejection.failure),
      previous: null,
      current: null,
      executionArn: rejection.execution.arn ?? null,
      startedAt: rejection.execution.startTime ?? now.toISOString(),
      at: now.toISOString(),
      trigger: { kind: rejection.trigger.kind, ...(rejection.trigger.requestedBy ? { requestedBy: rejection.trigger.requestedBy } : {}) },
    };
  });
}

/** A push that never deploys: what it was, and why (`supersededBy` when a newer image came first). */
interface SkippedPushEvent {
  target: ResolvedTarget;
  image: ImageRef;
  pushedAt: string;
  trigger: Trigger;
  reason: string;
  supersededBy?: string;
}

/**
 * The SKIPPED event of a push that will never deploy. It has no execution: its
 * deployment id is the target and digest, the same for every event about that push.
 */
function buildSkippedEvent(skipped: SkippedPushEvent, now = new Date()): DeploymentEventDetail {
  const { target, image } = skipped;
  return {
    deploymentId: `${target.name}-${shortDigest(image.digest, 32)}`,
    ...aboutTarget(target, image),
    status: 'SKIPPED',
    phase: 'queue',
    reason: skipped.reason,
    previous: null,
    current: null,
    executionArn: null,
    startedAt: skipped.pushedAt,
    at: now.toISOString(),
    trigger: { kind: skipped.trigger.kind, ...(skipped.trigger.requestedBy ? { requestedBy: skipped.trigger.requestedBy } : {}) },
    ...(skipped.supersededBy ? { supersededBy: skipped.supersededBy } : {}),
  };
}

/** The target and image the deployer left there, and what differs now. */
interface DriftEvent {
  target: ResolvedTarget;
  image: ImageRef;
  drift: DriftDetail;
}

/**
 * The DRIFT_DETECTED event of a target that runs something else than the deployer
 * left there. Its id names the target and what it runs, so each drift is one message.
 */
function buildDriftEvent(found: DriftEvent, now = new Date()): DeploymentEventDetail {
  const { target, image, drift } = found;
  return {
    deploymentId: `drift-${target.name}-${createHash('sha256').update(drift.observed).digest('hex').slice(0, 12)}`,
    ...aboutTarget(target, image),
    status: 'DRIFT_DETECTED',
    phase: 'drift',
    reason: `${drift.differences.join('; ')}${drift.action === 'redeploy' ? ' — putting the deployed image back (onDrift: redeploy)' : ''}`,
    previous: drift.expected,
    current: drift.observed,
    executionArn: null,
    startedAt: drift.since,
    at: now.toISOString(),
    trigger: { kind: 'reconcile' },
    drift,
  };
}

/** What every event about a target says of it, outside any deployment (SKIPPED, DRIFT_DETECTED). */
function aboutTarget(target: ResolvedTarget, image: ImageRef): Pick<DeploymentEventDetail, 'target' | 'environment' | 'kind' | 'slot' | 'image'> {
  return {
    target: target.name,
    environment: target.environment,
    kind: target.kind,
    slot: slotOf(target).key,
    image: { repository: image.repository, tag: image.tag, digest: image.digest, uri: image.uri },
  };
}

/** PutEvents takes at most 10 entries per call. */
const PUT_EVENTS_BATCH = 10;

/** Puts the events on the bus, ten per call; a rejected entry is a transient error (the step is retried). */
async function publishDeploymentEvents(details: DeploymentEventDetail[]): Promise<void> {
  for (let i = 0; i < details.length; i += PUT_EVENTS_BATCH) {
    const batch = details.slice(i, i + PUT_EVENTS_BATCH);
    const output = await eventBridge.send(
      new PutEventsCommand({
        Entries: batch.map((detail) => ({
          Source: EVENT_SOURCE,
          DetailType: EVENT_DETAIL_TYPE,
          EventBusName: process.env.EVENT_BUS_NAME || 'default',
          Resources: detail.executionArn ? [detail.executionArn] : [],
          Detail: JSON.stringify(redactDeep(detail)),
        })),
      }),
    );
    if (output.FailedEntryCount) {
      const entry = output.Entries?.find((e) => e.ErrorCode);
      throw new AwsTransientError(`PutEvents rejected ${output.FailedEntryCount} event(s): ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
    }
  }
}

/**
 * Logged (by the release step) when a deployment's last event could not be
 * published after retrying at length: the stack's UnpublishedTerminalEvents
 * metric filter matches this message and its alarm tells the operators' topic.
 */
const TERMINAL_EVENT_NOT_PUBLISHED = 'terminal event not published';

export { EVENT_SOURCE, EVENT_DETAIL_TYPE, DEPLOYMENT_STATUSES, TERMINAL_EVENT_NOT_PUBLISHED, buildDeploymentEvents, buildRejectionEvents, buildSkippedEvent, buildDriftEvent, publishDeploymentEvents, phaseReached, describeCaught };
export type { DeploymentStatus, DeploymentEventDetail, SkippedPushEvent, Rejection, DriftDetail, DriftEvent };
