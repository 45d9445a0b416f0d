import { shiftTraffic } from '../lambda/function';
import type { DeploymentState } from '../shared/deployment';
import { requireLambdaProgress } from '../shared/state';
import { step } from '../shared/step';

export const handler = step('LambdaShiftTraffic', (state: DeploymentState) => shiftTraffic(state.deployment, requireLambdaProgress(state)));
