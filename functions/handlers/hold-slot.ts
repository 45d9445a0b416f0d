import { cachedDeploymentsFile } from '../config/packaged';
import { changesOfImages, deploymentOf } from '../deployment/build';
import { buildDeploymentEvents, publishDeploymentEvents } from '../events/deployment-events';
import type { DeploymentState } from '../shared/deployment';
import { logger } from '../shared/logger';
import { step } from '../shared/step';
import { slotOf } from '../slots/identity';
import { holdSlot } from '../slots/coordinator';
import { copyPromotedImages } from '../promotion/copy';

/**
 * Publishes STARTED once the slot is held, in the same invocation: off the path to
 * the first change. A failure to publish never fails the deployment; the state
 * machine then publishes it in AnnounceStarted, retrying at length.
 */
async function announceStarted(held: DeploymentState): Promise<DeploymentState> {
  try {
    await publishDeploymentEvents(buildDeploymentEvents(held, 'STARTED'));
    return { ...held, slotHold: { held: true, announced: true } };
  } catch (error) {
    logger.warn('STARTED not published with the hold: AnnounceStarted retries it', { error: error as Error });
    return held;
  }
}

async function holdTheSlot(state: DeploymentState): Promise<DeploymentState> {
  const { deployment } = state;
  const config = cachedDeploymentsFile();
  if (deployment.generation === undefined) {
    const hold = await holdSlot(deployment, { until: state.slotHold?.until });
    return { ...state, slotHold: hold.held ? { held: true } : { held: false, until: hold.until, retryAfterSeconds: hold.retryAfterSeconds, ...(hold.heldBy ? { heldBy: hold.heldBy } : {}) } };
  }
  const carried = new Set(deployment.changes.map((c) => c.target.name));
  const siblings = config.targets.some((t) => !carried.has(t.name) && (t.ecs || t.batch || t.lambda) && slotOf(t).key === deployment.slot.key);
  const hold = await holdSlot(deployment, { generation: deployment.generation, siblings, merged: state.slotHold?.merged === true });
  if (!hold.held) return { ...state, slotHold: { held: false, retryAfterSeconds: hold.retryAfterSeconds, merged: true } };
  // A slot's images carry their push time as `at`: the changes keep it for their lead time (functions/metrics).
  const pushed = hold.images && Object.fromEntries(Object.entries(hold.images).map(([target, image]) => [target, { ...image, pushedAt: image.at }]));
  const changes = pushed ? changesOfImages(deployment.slot.key, pushed, config) : deployment.changes;
  if (!hold.images || changes.length === deployment.changes.length) return { ...state, slotHold: { held: true } };
  const eventIds = [...new Set(Object.values(hold.images).flatMap((image) => image.trigger.eventIds ?? []))];
  const grown = deploymentOf(changes, { ...deployment.trigger, eventIds }, { name: deployment.id, arn: deployment.executionArn, startTime: deployment.startedAt }, deployment.generation);
  return { ...state, deployment: grown, slotHold: { held: true } };
}

/**
 * Before anything changes: take the slot. A push deployment confirms the claim it
 * was started for and takes in the images of its slot's other targets that wait
 * (after a merge window, once); a person's request takes the slot or waits its
 * turn (the state machine polls), then is refused with SlotBusy. Returns the
 * whole state: the deployment may have grown. Once held, copies a promoted image
 * into the target's repository where asked, and announces it (STARTED).
 */
export const handler = step('HoldSlot', async (state: DeploymentState): Promise<DeploymentState> => {
  const hold = await holdTheSlot(state);
  if (!hold.slotHold?.held) return hold;
  // Only now, with the slot held: the copy's own push event then finds the image already deploying.
  await copyPromotedImages(hold.deployment);
  // A deployment that needs approval says AWAITING_APPROVAL first (RequestApproval), STARTED once approved.
  return hold.deployment.settings.approval ? hold : announceStarted(hold);
});
