import { checkApprovalOf } from '../approval/coordinator';
import type { ApprovalProgress, DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

/** Looks whether a person approved or rejected the deployment, or whether it timed out or was superseded meanwhile. */
export const handler = step('CheckApproval', (state: DeploymentState): Promise<ApprovalProgress> => checkApprovalOf(state));
