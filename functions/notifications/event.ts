import * as z from 'zod/mini';
import '../shared/validation-messages';
import { DEPLOYMENT_STATUSES } from '../events/statuses';
import type { DeploymentEventDetail } from '../events/deployment-events';
import { MalformedEvent } from '../shared/errors';
import { SCHEDULED_TASK_ERRORS } from '../shared/error-names';
import { TRIGGER_KINDS } from '../shared/deployment';

/** The source and detail-type the notifier's EventBridge rule matches (functions/events/deployment-events.ts). */
const DEPLOYMENT_EVENT_SOURCE = 'ecr-deployer';
const DEPLOYMENT_EVENT_DETAIL_TYPE = 'Deployment State Change';

/**
 * The detail the notifier relies on. Lenient where a consumer should be (unknown
 * fields are kept, optional ones may be absent), strict on what a message needs.
 */
const detailSchema = z.looseObject({
  deploymentId: z.string().check(z.minLength(1)),
  target: z.string().check(z.minLength(1)),
  environment: z.string().check(z.minLength(1)),
  kind: z.string().check(z.minLength(1)),
  image: z.looseObject({ repository: z.string(), tag: z.optional(z.string()), digest: z.string(), uri: z.string() }),
  status: z.enum(DEPLOYMENT_STATUSES),
  phase: z.string(),
  reason: z.optional(z.string()),
  previous: z.nullable(z.string()),
  current: z.nullable(z.string()),
  executionArn: z.nullable(z.string()),
  startedAt: z.string(),
  at: z.string(),
  slot: z.optional(z.string()),
  trigger: z.optional(z.looseObject({ kind: z.enum(TRIGGER_KINDS), requestedBy: z.optional(z.string()) })),
  rollbackOf: z.optional(z.string()),
  fastRollback: z.optional(z.enum(['rollback', 'window'])),
  promotedFrom: z.optional(z.looseObject({ target: z.string(), deploymentId: z.string() })),
  approvedBy: z.optional(z.looseObject({ by: z.string(), at: z.string() })),
  supersededBy: z.optional(z.string()),
  cleanup: z.optional(z.string()),
  scheduledTasks: z.optional(
    z.looseObject({
      repointed: z.array(z.looseObject({ rule: z.string(), targetId: z.string(), from: z.optional(z.string()), to: z.string() })),
      failed: z.array(z.looseObject({ rule: z.string(), targetId: z.optional(z.string()), error: z.enum(SCHEDULED_TASK_ERRORS), message: z.string() })),
      omitted: z.optional(z.number()),
    }),
  ),
  alarms: z.optional(z.looseObject({ alreadyInAlarm: z.array(z.looseObject({ name: z.string(), reason: z.string(), since: z.optional(z.string()) })) })),
  drift: z.optional(
    z.looseObject({ expected: z.string(), observed: z.string(), since: z.string(), deployedBy: z.string(), differences: z.array(z.string()), action: z.enum(['report', 'redeploy']) }),
  ),
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
