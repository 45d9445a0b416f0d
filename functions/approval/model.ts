import { shortDigest } from '../shared/image';
import type { Lease, SlotRecord } from '../slots/model';

/**
 * Approval before change (`approval: { required: true }` on a target), as pure
 * changes to the slot's record. The deployment holds its slot while it waits, so
 * nothing else changes the target meanwhile; the request and the decision live on
 * its lease. A decision is bound to one deployment and its digests: one that no
 * longer holds the slot, or whose images a newer push or request replaced, is not
 * approved by anyone.
 */

interface ApprovalDecision {
  decision: 'approved' | 'rejected';
  /** Who decided: the caller's identity (STS GetCallerIdentity's ARN). */
  by: string;
  at: string;
  reason?: string;
}

interface ApprovalRequest {
  requestedAt: string;
  /** After this, without a decision, the deployment is SKIPPED. */
  until: string;
  decision?: ApprovalDecision;
}

/** Where a deployment that waits for approval stands, as CheckApproval reports it to the state machine. */
type ApprovalStatus =
  | { status: 'pending'; until: string }
  | { status: 'approved'; by: string; at: string }
  | { status: 'rejected' | 'timed-out' | 'superseded'; reason: string };

const plusSeconds = (now: Date, seconds: number): string => new Date(now.getTime() + seconds * 1000).toISOString();

function leaseOf(record: SlotRecord, execution: string): Lease | undefined {
  return record.lease?.holder === execution ? record.lease : undefined;
}

/** Records that `execution`, holding the slot, waits for a decision until `timeoutSeconds` from now (pure). Safe to repeat. */
function requestApproval(record: SlotRecord, execution: string, timeoutSeconds: number, now: Date): ApprovalRequest | undefined {
  const lease = leaseOf(record, execution);
  if (!lease) return undefined;
  lease.approval ??= { requestedAt: now.toISOString(), until: plusSeconds(now, timeoutSeconds) };
  return lease.approval;
}

/** A newer image for one of the lease's targets: a push that waits, or a person in line for it. */
function supersededBy(record: SlotRecord, lease: Lease): string | undefined {
  for (const [target, image] of Object.entries(lease.images)) {
    const state = record.targets[target];
    if (state?.pending && state.desired && state.desired.digest !== image.digest) {
      return `${target} sha256:${shortDigest(state.desired.digest)}${state.desired.tag ? ` (${state.desired.tag})` : ''}, which waits to deploy`;
    }
    const waiter = record.waiting?.find((w) => w.target === target && w.since > lease.since);
    if (waiter) return `${waiter.execution}, asked for later`;
  }
  return undefined;
}

/** Where `execution`'s approval stands (pure). */
function approvalStatus(record: SlotRecord, execution: string, now: Date): ApprovalStatus {
  const lease = leaseOf(record, execution);
  const approval = lease?.approval;
  if (!lease || !approval) return { status: 'superseded', reason: `${execution} no longer holds its slot; nothing was changed` };
  const { decision } = approval;
  if (decision?.decision === 'approved') return { status: 'approved', by: decision.by, at: decision.at };
  if (decision?.decision === 'rejected') return { status: 'rejected', reason: `rejected by ${decision.by} at ${decision.at}${decision.reason ? `: ${decision.reason}` : ''}` };
  const newer = supersededBy(record, lease);
  if (newer) return { status: 'superseded', reason: `superseded while it waited for approval by ${newer}` };
  if (Date.parse(approval.until) <= now.getTime()) return { status: 'timed-out', reason: `no decision by ${approval.until} (approval.timeoutSeconds)` };
  return { status: 'pending', until: approval.until };
}

/**
 * A person's decision on `deploymentId` (pure): recorded only while that
 * deployment holds its slot, waits for approval, has no decision yet and is not
 * superseded. Otherwise nothing changes, and `refused` says why.
 */
function recordDecision(record: SlotRecord, deploymentId: string, decision: ApprovalDecision, now: Date): { recorded: true; images: Lease['images'] } | { recorded: false; refused: string } {
  const lease = leaseOf(record, deploymentId);
  if (!lease) return { recorded: false, refused: `${deploymentId} does not hold ${record.key}${record.lease ? ` (${record.lease.holder} does)` : ''}: it is not waiting for approval` };
  const approval = lease.approval;
  if (!approval) return { recorded: false, refused: `${deploymentId} is not waiting for approval` };
  if (approval.decision) return { recorded: false, refused: `${deploymentId} was already ${approval.decision.decision} by ${approval.decision.by} at ${approval.decision.at}` };
  const status = approvalStatus(record, deploymentId, now);
  if (status.status !== 'pending') return { recorded: false, refused: `${deploymentId} is no longer waiting: ${'reason' in status ? status.reason : status.status}` };
  approval.decision = decision;
  return { recorded: true, images: lease.images };
}

/** How often a waiting deployment looks for a decision: at most ~1,500 looks per wait, so its history stays far from Step Functions' 25,000 events. */
function approvalCheckSeconds(timeoutSeconds: number): number {
  return Math.max(30, Math.ceil(timeoutSeconds / 1500));
}

export { requestApproval, approvalStatus, recordDecision, approvalCheckSeconds };
export type { ApprovalDecision, ApprovalRequest, ApprovalStatus };
