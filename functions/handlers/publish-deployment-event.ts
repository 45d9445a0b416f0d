import { buildDeploymentEvents, publishDeploymentEvents, type DeploymentEventDetail, type DeploymentStatus } from '../events/deployment-events';
import type { DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

interface PublishEvent {
  status: DeploymentStatus;
  state: DeploymentState;
}

/** Publishes a "Deployment State Change" event per target of the deployment to EventBridge. */
export const handler = step('PublishDeploymentEvent', async (event: PublishEvent): Promise<DeploymentEventDetail[]> => {
  const details = buildDeploymentEvents(event.state, event.status);
  await publishDeploymentEvents(details);
  return details;
});
