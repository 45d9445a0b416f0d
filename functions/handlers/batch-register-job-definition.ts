import { registerJobDefinitionRevision } from '../batch/job-definitions';
import type { DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

export const handler = step('BatchRegisterJobDefinition', (state: DeploymentState) => registerJobDefinitionRevision(state.deployment));
