import { z } from 'zod';
import { NOTIFIABLE_STATUSES } from '../config/notifications-schema';
import type { DeploymentEventDetail } from '../events/deployment-events';
import { MalformedEvent } from '../shared/errors';

/** The source and detail-type the notifier's EventBridge rule matches (functions/events/deployment-events.ts). */
const DEPLOYMENT_EVENT_SOURCE = 'ecr-deployer';
const DEPLOYMENT_EVENT_DETAIL_TYPE = 'Deployment State Change';

/**
 * The detail the notifier relies on. Lenient where a consumer should be (unknown
 * fields are kept, optional ones may be absent), strict on what a message needs.
 */
const detailSchema = z.looseObject({
  deploymentId: z.string().min(1),
  target: z.string().min(1),
  environment: z.string().min(1),
  kind: z.string().min(1),
  image: z.looseObject({ repository: z.string(), tag: z.string().optional(), digest: z.string(), uri: z.string() }),
  status: z.enum(NOTIFIABLE_STATUSES),
  phase: z.string(),
  reason: z.string().optional(),
  previous: z.string().nullable(),
  current: z.string().nullable(),
  executionArn: z.string().nullable(),
  startedAt: z.string(),
  at: z.string(),
  slot: z.string().optional(),
  trigger: z.looseObject({ kind: z.enum(['ecr-push', 'manual']), requestedBy: z.string().optional() }).optional(),
  rollbackOf: z.string().optional(),
  supersededBy: z.string().optional(),
  cleanup: z.string().optional(),
});

const eventSchema = z.looseObject({
  'source': z.literal(DEPLOYMENT_EVENT_SOURCE),
  'detail-type': z.literal(DEPLOYMENT_EVENT_DETAIL_TYPE),
  'detail': detailSchema,
});

/**
 * The deployment event an EventBridge rule delivered.
 *
 * @throws MalformedEvent when it is not a `Deployment State Change` from ecr-deployer.
 */
function parseDeploymentEvent(event: unknown): DeploymentEventDetail {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`).join('; ');
    throw new MalformedEvent(`not an ecr-deployer "Deployment State Change" event: ${problems}`);
  }
  return parsed.data.detail;
}

export { parseDeploymentEvent, DEPLOYMENT_EVENT_SOURCE, DEPLOYMENT_EVENT_DETAIL_TYPE };
