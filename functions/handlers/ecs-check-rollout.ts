import { checkDeploymentRollout } from '../ecs/service';
import type { DeploymentState } from '../shared/deployment';
import { requireEcsProgress } from '../shared/state';
import { step } from '../shared/step';

export const handler = step('EcsCheckRollout', (state: DeploymentState) => checkDeploymentRollout(requireEcsProgress(state)));
