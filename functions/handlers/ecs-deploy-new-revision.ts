import { deployNewRevision } from '../ecs/service';
import type { DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

export const handler = step('EcsDeployNewRevision', (state: DeploymentState) => deployNewRevision(state.deployment));
