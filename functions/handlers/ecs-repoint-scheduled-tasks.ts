import { repointScheduledTasks } from '../scheduled-tasks/repoint';
import type { DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

/** After the smoke tests passed: the service's scheduled tasks (ecs.scheduledTasks) onto the new revision. */
export const handler = step('EcsRepointScheduledTasks', (state: DeploymentState) => repointScheduledTasks(state));
