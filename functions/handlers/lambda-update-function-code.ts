import { updateFunctionCode } from '../lambda/function';
import type { DeploymentState } from '../shared/deployment';
import { requireLambdaProgress } from '../shared/state';
import { step } from '../shared/step';

export const handler = step('LambdaUpdateFunctionCode', (state: DeploymentState) => updateFunctionCode(state.deployment, requireLambdaProgress(state)));
