import { runPreDeployTask } from '../ecs/pre-deploy-task';
import type { DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

/** Starts the one-off task (`ecs.preDeployTask`) from the new revision, in the service's network configuration; a retry starts no second one. */
export const handler = step('EcsRunPreDeployTask', (state: DeploymentState) => runPreDeployTask(state));
