import type { DeploymentState } from '../shared/deployment';
import { httpSmokeTests, runSmokeTestRound } from '../smoke/run';
import { step } from '../shared/step';

export const handler = step('RunSmokeTests', (state: DeploymentState) => runSmokeTestRound(httpSmokeTests(state.deployment.target.smokeTests), state.smoke));
