import { continueAfterTestTraffic } from '../ecs/service-deployments';
import type { DeploymentState } from '../shared/deployment';
import { requireEcsProgress } from '../shared/state';
import { step } from '../shared/step';

/** The test-traffic smoke tests passed: continue ECS's PAUSE hook, so that production traffic moves. */
export const handler = step('EcsContinueServiceDeployment', async (state: DeploymentState) => {
  const native = requireEcsProgress(state).native;
  if (!native) throw new Error('EcsContinueServiceDeployment runs only for a native deployment paused for test traffic');
  return continueAfterTestTraffic(native);
});
