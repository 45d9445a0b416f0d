import type { DeploymentState } from '../shared/deployment';
import { smokeChecksFor } from '../smoke/checks';
import { runSmokeTestRound } from '../smoke/run';
import { step } from '../shared/step';

export const handler = step('RunSmokeTests', (state: DeploymentState) => runSmokeTestRound(smokeChecksFor(state), state.smoke));
