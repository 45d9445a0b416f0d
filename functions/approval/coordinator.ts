import { buildDeploymentEvents, publishDeploymentEvents } from '../events/deployment-events';
import type { ApprovalProgress, DeploymentState } from '../shared/deployment';
import { logger } from '../shared/logger';
import type { SlotRef } from '../slots/identity';
import { readSlot, updateSlot, type SlotTable } from '../slots/store';
import { approvalCheckSeconds, approvalStatus, recordDecision, requestApproval, type ApprovalDecision } from './model';

/**
 * What RequestApproval and CheckApproval do (one read or read-modify-write of the
 * slot's record, ./model), and what `ecr-deployer approve`/`reject` write.
 */

function approvalTimeout(state: DeploymentState): number {
  const timeout = state.deployment.settings.approval?.timeoutSeconds;
  if (timeout === undefined) throw new Error(`deployment ${state.deployment.id} needs no approval`);
  return timeout;
}

/** Records the request on the deployment's lease and publishes AWAITING_APPROVAL (`announced: false` if that failed). Safe to repeat (the request keeps its first deadline). */
async function requestApprovalFor(state: DeploymentState, now = new Date(Date.now())): Promise<ApprovalProgress> {
  const { deployment } = state;
  const timeout = approvalTimeout(state);
  const { result } = await updateSlot(deployment.slot.key, deployment.slot.kind, (record) => requestApproval(record, deployment.id, timeout, now));
  if (!result) return { status: 'superseded', reason: `${deployment.id} no longer holds its slot; nothing was changed` };
  const progress: ApprovalProgress = { status: 'pending', until: result.until, checkAfterSeconds: approvalCheckSeconds(timeout) };
  logger.info('waiting for approval', { deploymentId: deployment.id, until: result.until });
  try {
    await publishDeploymentEvents(buildDeploymentEvents({ ...state, approval: progress }, 'AWAITING_APPROVAL', now));
    return progress;
  } catch (error) {
    // As for STARTED: the state machine publishes it in AnnounceAwaitingApproval, retrying at length; it never fails the deployment.
    logger.warn('AWAITING_APPROVAL not published with the request: AnnounceAwaitingApproval retries it', { error: error as Error, deploymentId: deployment.id });
    return { ...progress, announced: false };
  }
}

/** Where the approval stands now (one read). */
async function checkApprovalOf(state: DeploymentState, now = new Date(Date.now())): Promise<ApprovalProgress> {
  const { deployment } = state;
  const status = approvalStatus(await readSlot(deployment.slot.key, deployment.slot.kind), deployment.id, now);
  return status.status === 'pending' ? { ...status, checkAfterSeconds: approvalCheckSeconds(approvalTimeout(state)) } : status;
}

/** A person's decision, recorded if the deployment still waits for one (else `refused` says why, and nothing changed). */
async function decideApproval(slot: SlotRef, deploymentId: string, decision: ApprovalDecision, table?: SlotTable, now = new Date(Date.now())) {
  const { result } = await updateSlot(slot.key, slot.kind, (record) => recordDecision(record, deploymentId, decision, now), table);
  return result;
}

export { requestApprovalFor, checkApprovalOf, decideApproval };
