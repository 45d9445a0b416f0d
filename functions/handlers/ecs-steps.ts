import { dispatchSteps } from '../shared/dispatch';
import { handler as checkPreDeployTask } from './ecs-check-pre-deploy-task';
import { handler as checkRollback } from './ecs-check-rollback';
import { handler as checkRollout } from './ecs-check-rollout';
import { handler as continueServiceDeployment } from './ecs-continue-service-deployment';
import { handler as deployNewRevision } from './ecs-deploy-new-revision';
import { handler as deregisterOrphan } from './ecs-deregister-orphan';
import { handler as judgeRollback } from './ecs-judge-rollback';
import { handler as registerNewRevision } from './ecs-register-new-revision';
import { handler as repointScheduledTasks } from './ecs-repoint-scheduled-tasks';
import { handler as rollBackService } from './ecs-roll-back-service';
import { handler as runPreDeployTask } from './ecs-run-pre-deploy-task';
import { handler as verifyRunningImage } from './ecs-verify-running-image';

/** Every step that reads or changes an ECS service. */
export const handler = dispatchSteps('ecs-steps', { registerNewRevision, runPreDeployTask, checkPreDeployTask, deployNewRevision, checkRollout, continueServiceDeployment, verifyRunningImage, repointScheduledTasks, rollBackService, checkRollback, deregisterOrphan, judgeRollback });
