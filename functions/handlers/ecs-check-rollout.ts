import { checkDeploymentRollout } from '../ecs/service';
import type { DeploymentState } from '../shared/deployment';
import { requireEcsProgress } from '../shared/state';
import { step } from '../shared/step';
import { hasTestTrafficSmokeTests } from '../smoke/stages';

/** Test-traffic smoke tests not run yet: a native deployment paused for them is TEST_TRAFFIC. */
export const handler = step('EcsCheckRollout', (state: DeploymentState) =>
  checkDeploymentRollout(requireEcsProgress(state), hasTestTrafficSmokeTests(state.deployment.settings.smokeTests) && !state.testTrafficSmoke?.allPassed),
);
