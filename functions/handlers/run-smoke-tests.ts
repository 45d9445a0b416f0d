import type { DeploymentState } from '../shared/deployment';
import { runSmokeTestRound } from '../smoke/run';
import { step } from '../shared/step';

export const handler = step('RunSmokeTests', (state: DeploymentState) => runSmokeTestRound(state.deployment.target.smokeTests, state.smoke));
