import { judgeJobDefinitionRollback } from '../batch/job-definitions';
import { judgeServiceRollback } from '../ecs/service';
import { judgeFunctionRollback } from '../lambda/function';
import type { DeploymentState, RollbackVerdict } from '../shared/deployment';
import { requireBatchProgress, requireEcsProgress, requireLambdaProgress } from '../shared/state';
import { step } from '../shared/step';

/**
 * A rollback step failed (a timeout, an error, a deadline): look at what the
 * target runs. ROLLED_BACK only when it is verifiably back on the revision,
 * version or image recorded before the deployment; anything else is ROLLBACK_FAILED.
 */
export const handler = step('JudgeRollback', (state: DeploymentState): Promise<RollbackVerdict> => {
  switch (state.deployment.slot.kind) {
    case 'ecs':
      return judgeServiceRollback(requireEcsProgress(state));
    case 'batch':
      return judgeJobDefinitionRollback(requireBatchProgress(state));
    case 'lambda':
      return judgeFunctionRollback(requireLambdaProgress(state));
  }
});
