import { judgeFunctionRollback } from '../lambda/function';
import type { DeploymentState } from '../shared/deployment';
import { requireLambdaProgress } from '../shared/state';
import { step } from '../shared/step';

/** As EcsJudgeRollback: ROLLED_BACK only when the function (its alias, or $LATEST) is verifiably back on what it ran. */
export const handler = step('LambdaJudgeRollback', (state: DeploymentState) => judgeFunctionRollback(requireLambdaProgress(state)));
