import { deregisterOrphanRevision } from '../ecs/service';
import type { DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

export const handler = step('EcsDeregisterOrphan', (state: DeploymentState) => deregisterOrphanRevision(state.deployment));
