import { registerTaskDefinitionRevision } from '../ecs/service';
import type { DeploymentState } from '../shared/deployment';
import { requireEcsProgress } from '../shared/state';
import { step } from '../shared/step';

export const handler = step('EcsRegisterTaskDefinition', (state: DeploymentState) => registerTaskDefinitionRevision(state.deployment, requireEcsProgress(state)));
