import { updateServiceToRevision } from '../ecs/service';
import type { DeploymentState } from '../shared/deployment';
import { requireEcsProgress } from '../shared/state';
import { step } from '../shared/step';

export const handler = step('EcsUpdateService', (state: DeploymentState) => updateServiceToRevision(state.deployment, requireEcsProgress(state)));
