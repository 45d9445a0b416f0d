import { repointScheduledJobs } from '../scheduled-tasks/repoint';
import type { DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

/** After the smoke tests passed: the rules submitting the job definition by name:revision (batch.scheduledJobs) onto the new revision. */
export const handler = step('BatchRepointScheduledJobs', (state: DeploymentState) => repointScheduledJobs(state));
