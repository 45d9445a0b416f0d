import { z } from 'zod';
import { describeIssues, loadDeploymentsFile } from '../config/load';
import type { DeploymentsFile } from '../config/schema';
import type { Deployment, DeploymentSettings, ResolvedTarget, TargetChange, Trigger } from '../shared/deployment';
import { InvalidInput, TargetNotFound } from '../shared/errors';
import { IMAGE_TAG_GRAMMAR, IMAGE_TAG_PATTERN, ecrRegistry, imageRef } from '../shared/image';
import { slotOf } from '../slots/identity';
import { resolveTarget } from '../trigger/targets';
import { stateMachineArnOf } from './history';
import { findRequestedImage, type FoundImage, type ImageLookup, type LookupContext } from './lookup';

const digestSchema = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must be sha256:<64 hex digits>');
const tagSchema = z.string().regex(IMAGE_TAG_PATTERN, `must be an image tag: ${IMAGE_TAG_GRAMMAR}`);

const triggerSchema = z
  .object({
    kind: z.enum(['ecr-push', 'manual']),
    // A burst merged into one deployment carries its pushes' event ids; bounded like the input.
    eventIds: z.array(z.string().min(1).max(128)).max(100).optional(),
    requestedBy: z.string().min(1).max(256).optional(),
  })
  .strict()
  .default({ kind: 'manual' });

/**
 * What the trigger (or a release, handing the slot on) starts: the slot, the
 * generation of its claim and the image per target. Targets are named, never
 * defined: their settings come from deployments.yml (README, "Execution input").
 */
const slotInputSchema = z
  .object({
    slot: z.string().min(1),
    generation: z.number().int().min(1),
    images: z
      .record(
        z.string().min(1),
        z
          .object({
            digest: digestSchema,
            tag: tagSchema.optional(),
            pushedAt: z.string().min(1),
            rollbackOf: z.string().min(1).optional(),
          })
          .strict(),
      )
      .refine((images) => Object.keys(images).length > 0, 'name at least one target'),
    trigger: triggerSchema,
  })
  .strict();

/**
 * The short input a person types in the console: a target's name and a tag, a
 * digest (a tag may go with it), or `rollback: true`. The first state looks the
 * image up.
 */
const consoleInputSchema = z
  .object({
    target: z.string().min(1),
    tag: tagSchema.optional(),
    digest: digestSchema.optional(),
    rollback: z.boolean().optional(),
    trigger: triggerSchema,
  })
  .strict()
  .superRefine((input, ctx) => {
    const byImage = input.tag !== undefined || input.digest !== undefined;
    if (input.rollback === true && byImage) {
      ctx.addIssue({
        code: 'custom',
        path: ['rollback'],
        message: 'give "rollback": true or a "tag"/"digest", not both: rollback goes back to the image before the last deployment, a tag or digest deploys that image',
      });
    }
    if (input.rollback !== true && !byImage) ctx.addIssue({ code: 'custom', path: [], message: 'say which image to deploy: "tag", "digest", or "rollback": true' });
  });

type SlotExecutionInput = z.input<typeof slotInputSchema>;
type ConsoleInput = z.input<typeof consoleInputSchema>;

const ACCEPTED_FORMS = [
  'Expected one of:',
  '  {"target": "<name>", "tag": "<tag>"}',
  '  {"target": "<name>", "digest": "sha256:…"}',
  '  {"target": "<name>", "rollback": true}',
  'A deployment defines nothing itself: targets, registries and smoke tests come from deployments.yml.',
].join('\n');

interface ExecutionContext {
  name: string;
  arn?: string;
  startTime?: string;
}

/** What an input asks for, validated, with its targets resolved: a push deployment of a slot, or a person's request to look up. */
type DeploymentRequest =
  | { form: 'slot'; generation: number; changes: TargetChange[]; trigger: Trigger }
  | { form: 'console'; target: ResolvedTarget; trigger: Trigger; lookup: ImageLookup };

/** The target named `name` in deployments.yml, or `TargetNotFound` listing the known ones. */
function findTarget(config: DeploymentsFile, name: string): ResolvedTarget {
  const found = config.targets.find((t) => t.name === name);
  if (!found) throw new TargetNotFound(`no target named "${name}" in deployments.yml (known: ${config.targets.map((t) => t.name).join(', ')}).`);
  return resolveTarget(found);
}

function invalidInput(error: z.ZodError): InvalidInput {
  return new InvalidInput(`the execution input is not a deployment request:\n${describeIssues(error)}\n${ACCEPTED_FORMS}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** This account's and region's ECR registry, where every target's repository is. */
function defaultRegistry(): string {
  const accountId = process.env.AWS_ACCOUNT_ID;
  const region = process.env.AWS_REGION;
  if (!accountId || !region) throw new InvalidInput('AWS_ACCOUNT_ID/AWS_REGION are not set: the registry of the targets cannot be derived.');
  return ecrRegistry(accountId, region);
}

/**
 * The changes for images named by target, each target checked to be in
 * deployments.yml and on `slot`, in name order (pure but for the registry).
 */
function changesOfImages(slot: string, images: Record<string, { digest: string; tag?: string; rollbackOf?: string }>, config: DeploymentsFile): TargetChange[] {
  const registry = defaultRegistry();
  return Object.entries(images)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, image]) => {
      const target = findTarget(config, name);
      const key = slotOf(target).key;
      if (key !== slot) throw new InvalidInput(`target ${name} deploys to ${key}, not to ${slot}: one deployment changes one slot.`);
      return { target, image: imageRef(registry, target.repository, image.digest, image.tag), ...(image.rollbackOf ? { rollbackOf: image.rollbackOf } : {}) };
    });
}

/**
 * Validates an execution input and resolves its targets from deployments.yml
 * (pure but for reading it). Named errors (`InvalidInput`, `TargetNotFound`,
 * `ConfigError`) before anything changes. An input with `slot` is what the
 * trigger starts; any other is a person's request.
 */
function parseDeploymentRequest(rawInput: unknown, loadConfig: () => DeploymentsFile = loadDeploymentsFile): DeploymentRequest {
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
  if (input.rollback === true) lookup = { by: 'rollback' };
  else if (input.digest !== undefined) lookup = { by: 'digest', digest: input.digest, tag: input.tag };
  else lookup = { by: 'tag', tag: input.tag ?? '' };
  return { form: 'console', target, trigger: input.trigger, lookup };
}

/**
 * The targets an input names, as far as it can be read and deployments.yml knows
 * them (pure but for reading it): for the event of an input refused before it
 * resolved. Nothing for an input that names none.
 */
function targetsNamedBy(rawInput: unknown, config: DeploymentsFile): { targets: ResolvedTarget[]; images: Record<string, { digest?: string; tag?: string }>; trigger: Trigger } {
  const input = isRecord(rawInput) ? rawInput : {};
  const parsedTrigger = triggerSchema.safeParse(input.trigger);
  const trigger: Trigger = parsedTrigger.success ? parsedTrigger.data : { kind: 'manual' };
  const known = (name: unknown): ResolvedTarget[] => {
    const found = typeof name === 'string' ? config.targets.find((t) => t.name === name) : undefined;
    return found ? [resolveTarget(found)] : [];
  };
  if (isRecord(input.images)) {
    const images = Object.fromEntries(
      Object.entries(input.images).map(([name, image]) => [name, isRecord(image) ? { digest: typeof image.digest === 'string' ? image.digest : undefined, tag: typeof image.tag === 'string' ? image.tag : undefined } : {}]),
    );
    return { targets: Object.keys(images).flatMap(known), images, trigger };
  }
  const targets = known(input.target);
  const image = { digest: typeof input.digest === 'string' ? input.digest : undefined, tag: typeof input.tag === 'string' ? input.tag : undefined };
  return { targets, images: Object.fromEntries(targets.map((t) => [t.name, image])), trigger };
}

/**
 * What the changes of one deployment share (pure): the longest deadlines, the
 * shortest poll, and every target's smoke tests once each.
 */
function settingsFor(changes: TargetChange[]): DeploymentSettings {
  const targets = changes.map((c) => c.target);
  const seen = new Set<string>();
  const smokeTests = targets.flatMap((t) => t.smokeTests).filter((test) => {
    const key = JSON.stringify(test);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    rollout: {
      timeoutSeconds: Math.max(...targets.map((t) => t.rollout.timeoutSeconds)),
      rollbackTimeoutSeconds: Math.max(...targets.map((t) => t.rollout.rollbackTimeoutSeconds)),
      pollSeconds: Math.min(...targets.map((t) => t.rollout.pollSeconds)),
      waitForSlotSeconds: Math.max(...targets.map((t) => t.rollout.waitForSlotSeconds)),
      mergeWindowSeconds: Math.max(...targets.map((t) => t.rollout.mergeWindowSeconds)),
    },
    smokeTests,
  };
}

/** A deployment of `changes` (at least one, all of one slot) by the execution `execution` (pure). */
function deploymentOf(changes: TargetChange[], trigger: Trigger, execution: ExecutionContext, generation?: number): Deployment {
  const [first] = changes;
  if (!first) throw new InvalidInput('a deployment needs at least one target to change.');
  return {
    id: execution.name,
    executionArn: execution.arn,
    startedAt: execution.startTime ?? new Date().toISOString(),
    slot: slotOf(first.target),
    ...(generation !== undefined ? { generation } : {}),
    changes,
    settings: settingsFor(changes),
    trigger,
  };
}

/** A person's request, with the image its lookup found (pure). */
function requestedDeployment(request: Extract<DeploymentRequest, { form: 'console' }>, execution: ExecutionContext, found: FoundImage): Deployment {
  const image = imageRef(found.registry, request.target.repository, found.digest, found.tag);
  return deploymentOf([{ target: request.target, image, ...(found.rollbackOf ? { rollbackOf: found.rollbackOf } : {}) }], request.trigger, execution);
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
