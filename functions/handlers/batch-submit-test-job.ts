import { submitTestJob } from '../batch/test-job';
import type { DeploymentState } from '../shared/deployment';
import { requireBatchProgress } from '../shared/state';
import { step } from '../shared/step';

export const handler = step('BatchSubmitTestJob', (state: DeploymentState) => submitTestJob(state.deployment, requireBatchProgress(state)));
