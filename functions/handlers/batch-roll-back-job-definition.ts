import { rollBackJobDefinition } from '../batch/job-definitions';
import { stopUnfinishedTestJob } from '../batch/test-job';
import type { BatchProgress, DeploymentState } from '../shared/deployment';
import { requireBatchProgress } from '../shared/state';
import { step } from '../shared/step';

/** Jobs submitted by name get the previous revision again; a test job still running on the new one is stopped. */
export const handler = step('BatchRollBackJobDefinition', async (state: DeploymentState): Promise<BatchProgress> => {
  const rolledBack = await rollBackJobDefinition(requireBatchProgress(state));
  const cleanup = await stopUnfinishedTestJob(state.batchTest);
  return cleanup ? { ...rolledBack, cleanup } : rolledBack;
});
