import * as z from 'zod/mini';
import '../shared/validation-messages';
import { describeIssues, type SchemaIssues } from '../config/issues';
import { cachedDeploymentsFile } from '../config/packaged';
import type { DeploymentsFile } from '../config/schema';
import { TRIGGER_KINDS, type Deployment, type ResolvedTarget, type TargetChange, type Trigger } from '../shared/deployment';
import { InvalidInput } from '../shared/errors';
import { IMAGE_TAG_GRAMMAR, IMAGE_TAG_PATTERN, imageRef } from '../shared/image';
import { stateMachineArnOf } from './history';
import { changesOfImages, defaultRegistry, deploymentOf, findTarget, isRecord, settingsFor, targetsNamedBy, type ExecutionContext } from './build';
import { findRequestedImage, type FoundImage, type ImageLookup, type LookupContext } from './lookup';

const digestSchema = z.string().check(z.regex(/^sha256:[a-f0-9]{64}$/, 'must be sha256:<64 hex digits>'));
const tagSchema = z.string().check(z.regex(IMAGE_TAG_PATTERN, `must be an image tag: ${IMAGE_TAG_GRAMMAR}`));
const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

const triggerSchema = z._default(
  z.strictObject({
    kind: z.enum(TRIGGER_KINDS),
    // A burst merged into one deployment carries its pushes' event ids; bounded like the input.
    eventIds: z.optional(z.array(text(128)).check(z.maxLength(100))),
    requestedBy: z.optional(text(256)),
  }),
  { kind: 'manual' },
);

/**
 * What the trigger (or a release, handing the slot on) starts: the slot, the
 * generation of its claim and the image per target. Targets are named, never
 * defined: their settings come from deployments.yml (README, "Execution input").
 */
const slotInputSchema = z.strictObject({
  slot: z.string().check(z.minLength(1)),
  generation: z.int().check(z.gte(1)),
  images: z
    .record(
      z.string().check(z.minLength(1)),
      z.strictObject({
        digest: digestSchema,
        tag: z.optional(tagSchema),
        pushedAt: z.string().check(z.minLength(1)),
        rollbackOf: z.optional(z.string().check(z.minLength(1))),
      }),
    )
    .check(z.refine((images) => Object.keys(images).length > 0, 'name at least one target')),
  trigger: triggerSchema,
});

/**
 * The short input a person types in the console: a target's name and a tag, a
 * digest (a tag may go with it), or `rollback: true`. The first state looks the
 * image up.
 */
const consoleInputSchema = z
  .strictObject({
    target: z.string().check(z.minLength(1)),
    tag: z.optional(tagSchema),
    digest: z.optional(digestSchema),
    rollback: z.optional(z.boolean()),
    promoteFrom: z.optional(z.string().check(z.minLength(1))),
    trigger: triggerSchema,
  })
  .check(
    z.superRefine((input, ctx) => {
      const byImage = input.tag !== undefined || input.digest !== undefined;
      if (input.promoteFrom !== undefined && (byImage || input.rollback === true)) {
        ctx.addIssue({
          code: 'custom',
          path: ['promoteFrom'],
          message: 'give "promoteFrom" alone: a promotion deploys exactly the image the source target runs and last SUCCEEDED with, not a tag, a digest or a rollback',
        });
        return;
      }
      if (input.promoteFrom !== undefined) return;
      if (input.rollback === true && byImage) {
        ctx.addIssue({
          code: 'custom',
          path: ['rollback'],
          message: 'give "rollback": true or a "tag"/"digest", not both: rollback goes back to the image before the last deployment, a tag or digest deploys that image',
        });
      }
      if (input.rollback !== true && !byImage) ctx.addIssue({ code: 'custom', path: [], message: 'say which image to deploy: "tag", "digest", or "rollback": true' });
    }),
  );

type SlotExecutionInput = z.input<typeof slotInputSchema>;
type ConsoleInput = z.input<typeof consoleInputSchema>;

const ACCEPTED_FORMS = [
  'Expected one of:',
  '  {"target": "<name>", "tag": "<tag>"}',
  '  {"target": "<name>", "digest": "sha256:…"}',
  '  {"target": "<name>", "rollback": true}',
  '  {"target": "<name>", "promoteFrom": "<source target>"}',
  'A deployment defines nothing itself: targets, registries and smoke tests come from deployments.yml.',
].join('\n');

/** What an input asks for, validated, with its targets resolved: a push deployment of a slot, or a person's request to look up. */
type DeploymentRequest =
  | { form: 'slot'; generation: number; changes: TargetChange[]; trigger: Trigger }
  | { form: 'console'; target: ResolvedTarget; trigger: Trigger; lookup: ImageLookup };

function invalidInput(error: SchemaIssues): InvalidInput {
  return new InvalidInput(`the execution input is not a deployment request:\n${describeIssues(error)}\n${ACCEPTED_FORMS}`);
}

/**
 * Validates an execution input and resolves its targets from deployments.yml
 * (pure but for reading it). Named errors (`InvalidInput`, `TargetNotFound`,
 * `ConfigError`) before anything changes. An input with `slot` is what the
 * trigger starts; any other is a person's request.
 */
function parseDeploymentRequest(rawInput: unknown, loadConfig: () => DeploymentsFile = cachedDeploymentsFile): DeploymentRequest {
  if (isRecord(rawInput) && 'slot' in rawInput) {
    const parsed = slotInputSchema.safeParse(rawInput);
    if (!parsed.success) throw invalidInput(parsed.error);
    return { form: 'slot', generation: parsed.data.generation, changes: changesOfImages(parsed.data.slot, parsed.data.images, loadConfig()), trigger: parsed.data.trigger };
  }
  const parsed = consoleInputSchema.safeParse(rawInput);
  if (!parsed.success) throw invalidInput(parsed.error);
  const input = parsed.data;
  const target = findTarget(loadConfig(), input.target);
  let lookup: ImageLookup;
  if (input.promoteFrom !== undefined) {
    if (input.promoteFrom === input.target) throw new InvalidInput(`"promoteFrom" names ${input.target} itself: promote from another target (the one whose tested image ${input.target} should run).`);
    lookup = { by: 'promotion', from: findTarget(loadConfig(), input.promoteFrom) };
  } else if (input.rollback === true) lookup = { by: 'rollback' };
  else if (input.digest !== undefined) lookup = { by: 'digest', digest: input.digest, tag: input.tag };
  else lookup = { by: 'tag', tag: input.tag ?? '' };
  return { form: 'console', target, trigger: input.trigger, lookup };
}

/** A person's request, with the image its lookup found (pure). */
function requestedDeployment(request: Extract<DeploymentRequest, { form: 'console' }>, execution: ExecutionContext, found: FoundImage): Deployment {
  const image = imageRef(found.registry, request.target.repository, found.digest, found.tag);
  const fastRollback = found.rollbackOf ? 'rollback' : found.withinRollbackWindow ? 'window' : undefined;
  return deploymentOf(
    [{ target: request.target, image, ...(found.rollbackOf ? { rollbackOf: found.rollbackOf } : {}), ...(fastRollback ? { fastRollback } : {}), ...(found.promotedFrom ? { promotedFrom: found.promotedFrom } : {}) }],
    request.trigger,
    execution,
  );
}

/**
 * Turns an execution input (from the trigger or a person) into the deployment it
 * describes, or a named error before anything changes. A person's image is
 * looked up in ECR (by tag or digest) or, for a rollback, in the state machine's
 * execution history.
 */
async function resolveExecutionInput(
  rawInput: unknown,
  execution: ExecutionContext,
  options: { loadConfig?: () => DeploymentsFile; clients?: LookupContext['clients'] } = {},
): Promise<Deployment> {
  const request = parseDeploymentRequest(rawInput, options.loadConfig);
  if (request.form === 'slot') return deploymentOf(request.changes, request.trigger, execution, request.generation);
  const found = await findRequestedImage(request.target, request.lookup, {
    registry: defaultRegistry(),
    stateMachineArn: execution.arn ? stateMachineArnOf(execution.arn) : undefined,
    clients: options.clients,
  });
  return requestedDeployment(request, execution, found);
}

export { resolveExecutionInput, deploymentOf, settingsFor, changesOfImages, targetsNamedBy, parseDeploymentRequest, findTarget, defaultRegistry, slotInputSchema, consoleInputSchema, ACCEPTED_FORMS };
export type { SlotExecutionInput, ConsoleInput, ExecutionContext, DeploymentRequest };
