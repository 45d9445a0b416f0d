import { judgeJobDefinitionRollback } from '../batch/job-definitions';
import type { DeploymentState } from '../shared/deployment';
import { requireBatchProgress } from '../shared/state';
import { step } from '../shared/step';

/** As EcsJudgeRollback: ROLLED_BACK only when the job definition is verifiably back where it was. */
export const handler = step('BatchJudgeRollback', (state: DeploymentState) => judgeJobDefinitionRollback(requireBatchProgress(state)));
