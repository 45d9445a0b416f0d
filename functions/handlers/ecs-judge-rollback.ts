import { judgeServiceRollback } from '../ecs/service';
import type { DeploymentState } from '../shared/deployment';
import { requireEcsProgress } from '../shared/state';
import { step } from '../shared/step';

/**
 * A rollback step failed (a timeout, an error, a deadline): look at what the
 * service runs. ROLLED_BACK only when it is verifiably back on the revision
 * recorded before the deployment; anything else is ROLLBACK_FAILED.
 */
export const handler = step('EcsJudgeRollback', (state: DeploymentState) => judgeServiceRollback(requireEcsProgress(state)));
