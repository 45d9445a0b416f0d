import { dispatchSteps } from '../shared/dispatch';
import { handler as checkApproval } from './check-approval';
import { handler as holdSlot } from './hold-slot';
import { handler as publishDeploymentEvent } from './publish-deployment-event';
import { handler as releaseSlot } from './release-slot';
import { handler as requestApproval } from './request-approval';
import { handler as resolveDeployment } from './resolve-deployment';

/** The deployment's own bookkeeping: the request, its slot, its approval, its events. */
export const handler = dispatchSteps('deployment-coordinator', { resolveDeployment, holdSlot, requestApproval, checkApproval, releaseSlot, publishDeploymentEvent });
