import { checkTestJob } from '../batch/test-job';
import type { DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

export const handler = step('BatchCheckTestJob', (state: DeploymentState) => checkTestJob(state.batchTest ?? { submitted: false }));
