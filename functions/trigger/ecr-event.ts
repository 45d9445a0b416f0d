import type { EventBridgeEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import '../shared/validation-messages';
import { describeIssues } from '../config/issues';
import { MalformedEvent } from '../shared/errors';

/** `detail` of an "ECR Image Action" event; `image-tag` may be "" or absent (tagless pushes). */
interface EcrImageActionDetail {
  result: string;
  'repository-name': string;
  'image-digest'?: string;
  'action-type': string;
  'image-tag'?: string;
  'manifest-media-type'?: string;
  'artifact-media-type'?: string;
}

type EcrImageActionEvent = EventBridgeEvent<'ECR Image Action', EcrImageActionDetail>;

const ecrImageActionEventSchema = z.object({
  id: z.string().check(z.minLength(1)),
  source: z.literal('aws.ecr'),
  'detail-type': z.literal('ECR Image Action'),
  account: z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id')),
  region: z.string().check(z.minLength(1)),
  time: z.optional(z.string()),
  detail: z.looseObject({
    result: z.string(),
    'repository-name': z.string().check(z.minLength(1)),
    'image-digest': z.optional(z.string()),
    'action-type': z.string(),
    'image-tag': z.optional(z.string()),
  }),
});

/** Validates the envelope; unknown extra fields are kept (AWS adds fields over time). */
function parseEcrImageActionEvent(event: unknown): EcrImageActionEvent {
  const result = ecrImageActionEventSchema.safeParse(event);
  if (!result.success) {
    throw new MalformedEvent(`not an ECR "ECR Image Action" event:\n${describeIssues(result.error)}\nThe EventBridge rule should send only aws.ecr image actions to this function.`);
  }
  return result.data as unknown as EcrImageActionEvent;
}

export { parseEcrImageActionEvent };
export type { EcrImageActionEvent, EcrImageActionDetail };
