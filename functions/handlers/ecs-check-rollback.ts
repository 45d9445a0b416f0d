import { checkRollbackRollout } from '../ecs/service';
import type { DeploymentState } from '../shared/deployment';
import { requireEcsProgress } from '../shared/state';
import { step } from '../shared/step';

export const handler = step('EcsCheckRollback', (state: DeploymentState) => checkRollbackRollout(requireEcsProgress(state)));
