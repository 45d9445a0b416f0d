import { prepareFunction } from '../lambda/function';
import type { DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

export const handler = step('LambdaPrepareFunction', (state: DeploymentState) => prepareFunction(state.deployment));
