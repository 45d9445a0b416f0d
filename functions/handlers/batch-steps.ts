import { dispatchSteps } from '../shared/dispatch';
import { handler as checkTestJob } from './batch-check-test-job';
import { handler as judgeRollback } from './batch-judge-rollback';
import { handler as registerJobDefinition } from './batch-register-job-definition';
import { handler as repointScheduledJobs } from './batch-repoint-scheduled-jobs';
import { handler as rollBackJobDefinition } from './batch-roll-back-job-definition';
import { handler as submitTestJob } from './batch-submit-test-job';

/** Every step that reads or changes an AWS Batch job definition, and its test job. */
export const handler = dispatchSteps('batch-steps', { registerJobDefinition, submitTestJob, checkTestJob, repointScheduledJobs, rollBackJobDefinition, judgeRollback });
