import { requestApprovalFor } from '../approval/coordinator';
import type { ApprovalProgress, DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

/** With the slot held and nothing changed: record that the deployment waits for a decision, and say so (AWAITING_APPROVAL). */
export const handler = step('RequestApproval', (state: DeploymentState): Promise<ApprovalProgress> => requestApprovalFor(state));
