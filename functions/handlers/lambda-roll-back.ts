import { rollBackFunction } from '../lambda/function';
import type { DeploymentState } from '../shared/deployment';
import { requireLambdaProgress } from '../shared/state';
import { step } from '../shared/step';

export const handler = step('LambdaRollBack', (state: DeploymentState) => rollBackFunction(state.deployment, requireLambdaProgress(state)));
