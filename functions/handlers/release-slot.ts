import { stateMachineArnOf } from '../deployment/history';
import { step } from '../shared/step';
import { cachedDeploymentsFile } from '../config/packaged';
import { startAutomaticPromotions } from '../promotion/automatic';
import type { DeploymentState } from '../shared/deployment';
import { releaseSlot, type SlotRelease } from '../slots/coordinator';
import { slotOfExecution } from '../slots/of-execution';
import { TERMINAL_EVENT_NOT_PUBLISHED } from '../events/deployment-events';
import { lastEventsOf, recordOutcomeInLedger, type ReleasedOutcome } from '../ledger/record';
import { SLOT_LOST } from '../shared/error-names';
import { logger } from '../shared/logger';
import { publishDeploymentMetrics } from '../metrics/deployment-metrics';

interface ReleaseSlotEvent {
  status: ReleasedOutcome;
  execution: { name: string; arn: string };
  /** The deployment state, or the input when it was rejected before it resolved. */
  state: unknown;
}

/** Every terminal path: record how it ended, give the slot up, start what waits; after a success, the automatic promotions from it. */
export const handler = step('ReleaseSlot', async (event: ReleaseSlotEvent): Promise<SlotRelease & { promotions?: string[] }> => {
  const unpublished = (event.state as { terminalEventFailure?: { Error?: string; Cause?: string } } | undefined)?.terminalEventFailure;
  if (unpublished) logger.error(TERMINAL_EVENT_NOT_PUBLISHED, { status: event.status, execution: event.execution.name, error: unpublished.Error, cause: unpublished.Cause });
  const slot = slotOfExecution(event.state);
  // SlotLost: the slot is not this execution's to give up, whatever its name says.
  if (!slot || (event.state as { failure?: { Error?: string } } | undefined)?.failure?.Error === SLOT_LOST) return { released: false };
  const stateMachineArn = stateMachineArnOf(event.execution.arn) ?? process.env.STATE_MACHINE_ARN ?? '';
  const deployment = (event.state as Partial<DeploymentState> | undefined)?.deployment;
  const now = new Date();
  const lastEvents = deployment ? lastEventsOf(event.state as DeploymentState, event.status, now) : [];
  // What each target runs now, for the reconciler to compare with.
  const revisions = Object.fromEntries(lastEvents.flatMap((last) => (last.current ? [[last.target, last.current]] : [])));
  const release = await releaseSlot(slot, event.execution.name, event.status, stateMachineArn, now, revisions);
  if (deployment) await recordOutcomeInLedger(event.state as DeploymentState, lastEvents, now);
  publishDeploymentMetrics(event.status, deployment);
  if (event.status !== 'SUCCEEDED' || !deployment) return release;
  const promotions = await startAutomaticPromotions(deployment, cachedDeploymentsFile(), stateMachineArn);
  return promotions.length > 0 ? { ...release, promotions } : release;
});
