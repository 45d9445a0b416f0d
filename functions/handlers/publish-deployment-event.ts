import { buildDeploymentEvent, publishDeploymentEvent, type DeploymentEventDetail, type DeploymentStatus } from '../events/deployment-events';
import type { DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

interface PublishEvent {
  status: DeploymentStatus;
  state: DeploymentState;
}

/** Publishes a "Deployment State Change" event to EventBridge. */
export const handler = step('PublishDeploymentEvent', async (event: PublishEvent): Promise<DeploymentEventDetail> => {
  const detail = buildDeploymentEvent(event.state, event.status);
  await publishDeploymentEvent(detail);
  return detail;
});
