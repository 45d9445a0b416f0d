import { cachedDeploymentsFile } from '../config/packaged';
import { buildDeploymentEvents, type DeploymentEventDetail } from '../events/deployment-events';
import type { DeploymentState } from '../shared/deployment';
import type { SlotOutcome } from '../slots/model';
import { ledgerEntriesOf } from './entry';
import { recordInLedger } from './store';

/** How long entries are kept, from deployments.yml. */
function retentionDays(): number {
  return cachedDeploymentsFile().ledger.retentionDays;
}

/**
 * A deployment that reached its release: its outcome per target, as its last
 * event told it (a deployment not approved was SKIPPED).
 */
async function recordOutcomeInLedger(state: DeploymentState, status: Extract<SlotOutcome, 'SUCCEEDED' | 'FAILED' | 'ROLLED_BACK' | 'ROLLBACK_FAILED' | 'REJECTED'>, now = new Date()): Promise<void> {
  const eventStatus = status === 'REJECTED' ? (state.approval ? 'SKIPPED' : 'FAILED') : status;
  await recordInLedger(ledgerEntriesOf(buildDeploymentEvents(state, eventStatus, now), state, now, retentionDays()));
}

/** A deployment stopped (or timed out) before its release: the last events the recovery rule published for it. */
async function recordStoppedInLedger(state: DeploymentState, events: DeploymentEventDetail[], now = new Date()): Promise<void> {
  await recordInLedger(ledgerEntriesOf(events, state, now, retentionDays()));
}

export { recordOutcomeInLedger, recordStoppedInLedger };
