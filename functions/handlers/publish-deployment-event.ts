import { cachedDeploymentsFile } from '../config/packaged';
import { defaultRegistry, targetsNamedBy } from '../deployment/build';
import { buildDeploymentEvents, buildRejectionEvents, publishDeploymentEvents, type DeploymentEventDetail, type DeploymentStatus } from '../events/deployment-events';
import type { CaughtError, DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

interface PublishEvent {
  status: DeploymentStatus;
  /** The deployment state; or, for an input refused before it resolved, the input (`input`) and why (`failure`). */
  state: DeploymentState | { input?: unknown; failure?: CaughtError };
  /** The execution, for an input refused before it resolved. */
  execution?: { name: string; arn?: string; startTime?: string };
}

/**
 * Publishes a "Deployment State Change" event per target of the deployment to
 * EventBridge; for an input refused before it resolved, per target it names.
 */
export const handler = step('PublishDeploymentEvent', async (event: PublishEvent): Promise<DeploymentEventDetail[]> => {
  const { state } = event;
  let details: DeploymentEventDetail[];
  if ('deployment' in state && state.deployment) {
    details = buildDeploymentEvents(state, event.status);
  } else {
    const named = targetsNamedBy((state as { input?: unknown }).input, cachedDeploymentsFile());
    details = buildRejectionEvents({ execution: event.execution ?? { name: 'unknown' }, registry: defaultRegistry(), failure: state.failure, ...named });
  }
  await publishDeploymentEvents(details);
  return details;
});
