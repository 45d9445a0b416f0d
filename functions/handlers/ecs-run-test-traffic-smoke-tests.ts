import type { DeploymentState } from '../shared/deployment';
import { smokeChecksFor } from '../smoke/checks';
import { runSmokeTestRound } from '../smoke/run';
import { step } from '../shared/step';

/** While ECS holds the deployment at POST_TEST_TRAFFIC_SHIFT: one round of the smoke tests against its test listener. */
export const handler = step('EcsRunTestTrafficSmokeTests', (state: DeploymentState) => runSmokeTestRound(smokeChecksFor(state, undefined, 'test-traffic'), state.testTrafficSmoke));
