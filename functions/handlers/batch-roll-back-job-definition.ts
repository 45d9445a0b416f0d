import { rollBackJobDefinition } from '../batch/job-definitions';
import type { DeploymentState } from '../shared/deployment';
import { requireBatchProgress } from '../shared/state';
import { step } from '../shared/step';

export const handler = step('BatchRollBackJobDefinition', (state: DeploymentState) => rollBackJobDefinition(requireBatchProgress(state)));
