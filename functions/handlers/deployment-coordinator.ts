import { dispatchSteps } from '../shared/dispatch';
import { handler as checkApproval } from './check-approval';
import { handler as checkScanFindings } from './check-scan-findings';
import { handler as holdSlot } from './hold-slot';
import { handler as publishDeploymentEvent } from './publish-deployment-event';
import { handler as releaseSlot } from './release-slot';
import { handler as requestApproval } from './request-approval';
import { handler as resolveDeployment } from './resolve-deployment';

/** The deployment's own bookkeeping: the request, its slot, its gates and approval, its events. */
export const handler = dispatchSteps('deployment-coordinator', { resolveDeployment, holdSlot, checkScanFindings, requestApproval, checkApproval, releaseSlot, publishDeploymentEvent });
