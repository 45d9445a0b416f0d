import { dispatchSteps } from '../shared/dispatch';
import { handler as checkRollback } from './ecs-check-rollback';
import { handler as checkRollout } from './ecs-check-rollout';
import { handler as deployNewRevision } from './ecs-deploy-new-revision';
import { handler as deregisterOrphan } from './ecs-deregister-orphan';
import { handler as judgeRollback } from './ecs-judge-rollback';
import { handler as rollBackService } from './ecs-roll-back-service';
import { handler as verifyRunningImage } from './ecs-verify-running-image';

/** Every step that reads or changes an ECS service. */
export const handler = dispatchSteps('ecs-steps', { deployNewRevision, checkRollout, verifyRunningImage, rollBackService, checkRollback, deregisterOrphan, judgeRollback });
