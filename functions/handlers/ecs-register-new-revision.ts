import { deployNewRevision } from '../ecs/service';
import type { DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

/** With a pre-deploy task: record what the service runs and register the new revision, without changing the service yet. */
export const handler = step('EcsRegisterNewRevision', (state: DeploymentState) => deployNewRevision(state.deployment, { update: false }));
