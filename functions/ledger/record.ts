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

type ReleasedOutcome = Extract<SlotOutcome, 'SUCCEEDED' | 'FAILED' | 'ROLLED_BACK' | 'ROLLBACK_FAILED' | 'REJECTED'>;

/** The last events of a deployment that reached its release, one per target, as its publish state built them (not approved: SKIPPED). */
function lastEventsOf(state: DeploymentState, status: ReleasedOutcome, now = new Date()): DeploymentEventDetail[] {
  return buildDeploymentEvents(state, status === 'REJECTED' ? (state.approval ? 'SKIPPED' : 'FAILED') : status, now);
}

/** A deployment that reached its release: its outcome per target, as its last events told it. */
async function recordOutcomeInLedger(state: DeploymentState, events: DeploymentEventDetail[], now = new Date()): Promise<void> {
  await recordInLedger(ledgerEntriesOf(events, state, now, retentionDays()));
}

/** A deployment stopped (or timed out) before its release: the last events the recovery rule published for it. */
async function recordStoppedInLedger(state: DeploymentState, events: DeploymentEventDetail[], now = new Date()): Promise<void> {
  await recordInLedger(ledgerEntriesOf(events, state, now, retentionDays()));
}

export { lastEventsOf, recordOutcomeInLedger, recordStoppedInLedger };
export type { ReleasedOutcome };
