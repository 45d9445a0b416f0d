import { publishVersion } from '../lambda/function';
import type { DeploymentState } from '../shared/deployment';
import { requireLambdaProgress } from '../shared/state';
import { step } from '../shared/step';

export const handler = step('LambdaPublishVersion', (state: DeploymentState) => publishVersion(requireLambdaProgress(state)));
