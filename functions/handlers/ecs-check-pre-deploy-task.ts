import { checkPreDeployTask } from '../ecs/pre-deploy-task';
import type { DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

/** Looks at the pre-deploy task: exited 0, still running, or failed (PreDeployTaskFailed, stopped past its deadline). */
export const handler = step('EcsCheckPreDeployTask', (state: DeploymentState) => checkPreDeployTask(state));
