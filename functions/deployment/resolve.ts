import { z } from 'zod';
import { describeIssues, loadDeploymentsFile } from '../config/load';
import { targetSchema, type DeploymentsFile } from '../config/schema';
import type { Deployment, DeploymentSettings, ResolvedTarget, TargetChange, Trigger } from '../shared/deployment';
import { InvalidInput, TargetNotFound, ConfigError } from '../shared/errors';
import { ecrRegistry, imageRef, type ImageRef } from '../shared/image';
import { slotOf } from '../slots/identity';
import { resolveTarget } from '../trigger/targets';
import { stateMachineArnOf } from './history';
import { findRequestedImage, type FoundImage, type ImageLookup, type LookupContext } from './lookup';

const digestSchema = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must be sha256:<64 hex digits>');

const triggerSchema = z
  .object({
    kind: z.enum(['ecr-push', 'manual']),
    eventIds: z.array(z.string()).optional(),
    requestedBy: z.string().optional(),
  })
  .strict()
  .default({ kind: 'manual' });

/** The full execution input, as the trigger sends it (README, "Execution input"). */
const executionInputSchema = z
  .object({
    target: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
    image: z
      .object({
        repository: z.string().min(1),
        tag: z.string().optional(),
        digest: digestSchema,
        registry: z.string().min(1).optional(),
      })
      .strict(),
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
    tag: z.string().min(1).max(300).optional(),
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

type ExecutionInput = z.input<typeof executionInputSchema>;
type ConsoleInput = z.input<typeof consoleInputSchema>;

const ACCEPTED_FORMS = [
  'Expected one of:',
  '  {"target": "<name>", "tag": "<tag>"}',
  '  {"target": "<name>", "digest": "sha256:…"}',
  '  {"target": "<name>", "rollback": true}',
  '  {"target": "<name>", "image": {"repository", "digest", "tag"?}}',
].join('\n');

interface ExecutionContext {
  name: string;
  arn?: string;
  startTime?: string;
}

/** What an input asks for, validated, with its target resolved. Either the image is known, or what to look up. */
interface DeploymentRequest {
  target: ResolvedTarget;
  trigger: Trigger;
  /** Full form: the image as given. */
  image?: { repository: string; digest: string; tag?: string; registry?: string };
  /** Console form: the image still to be looked up. */
  lookup?: ImageLookup;
}

/** The target named `name` in deployments.yml, or `TargetNotFound` listing the known ones. */
function findTarget(config: DeploymentsFile, name: string): ResolvedTarget {
  const found = config.targets.find((t) => t.name === name);
  if (!found) throw new TargetNotFound(`no target named "${name}" in deployments.yml (known: ${config.targets.map((t) => t.name).join(', ')}).`);
  return resolveTarget(found);
}

function resolveTargetSpec(target: string | Record<string, unknown>, loadConfig: () => DeploymentsFile): ResolvedTarget {
  if (typeof target === 'string') return findTarget(loadConfig(), target);
  const { kind: _kind, ...spec } = target;
  const parsed = targetSchema.safeParse(spec);
  if (!parsed.success) throw new ConfigError(`the target in the execution input is invalid:\n${describeIssues(parsed.error)}`);
  return resolveTarget(parsed.data);
}

function invalidInput(error: z.ZodError): InvalidInput {
  return new InvalidInput(`the execution input is not a deployment request:\n${describeIssues(error)}\n${ACCEPTED_FORMS}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Validates an execution input and resolves its target; pure but for reading
 * deployments.yml. Named errors (`InvalidInput`, `TargetNotFound`, `ConfigError`)
 * before anything changes. An input with `image` is the full form, any other the
 * console form.
 */
function parseDeploymentRequest(rawInput: unknown, loadConfig: () => DeploymentsFile = loadDeploymentsFile): DeploymentRequest {
  if (isRecord(rawInput) && 'image' in rawInput) {
    const parsed = executionInputSchema.safeParse(rawInput);
    if (!parsed.success) throw invalidInput(parsed.error);
    const input = parsed.data;
    const target = resolveTargetSpec(input.target, loadConfig);
    if (input.image.repository !== target.repository) {
      throw new InvalidInput(`image repository "${input.image.repository}" is not the repository "${target.repository}" that target ${target.name} follows.`);
    }
    return { target, trigger: input.trigger, image: input.image };
  }
  const parsed = consoleInputSchema.safeParse(rawInput);
  if (!parsed.success) throw invalidInput(parsed.error);
  const input = parsed.data;
  const target = resolveTargetSpec(input.target, loadConfig);
  let lookup: ImageLookup;
  if (input.rollback === true) lookup = { by: 'rollback' };
  else if (input.digest !== undefined) lookup = { by: 'digest', digest: input.digest, tag: input.tag };
  else lookup = { by: 'tag', tag: input.tag ?? '' };
  return { target, trigger: input.trigger, lookup };
}

/** This account's and region's ECR registry, where a target's repository is. */
function defaultRegistry(): string {
  const accountId = process.env.AWS_ACCOUNT_ID;
  const region = process.env.AWS_REGION;
  if (!accountId || !region) throw new InvalidInput('image.registry is missing and AWS_ACCOUNT_ID/AWS_REGION are not set to derive it.');
  return ecrRegistry(accountId, region);
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
    },
    smokeTests,
  };
}

/** A deployment of `changes` (at least one, all of one slot) by the execution `execution` (pure). */
function deploymentOf(changes: TargetChange[], trigger: Trigger, execution: ExecutionContext): Deployment {
  const [first] = changes;
  if (!first) throw new InvalidInput('a deployment needs at least one target to change.');
  return {
    id: execution.name,
    executionArn: execution.arn,
    startedAt: execution.startTime ?? new Date().toISOString(),
    slot: slotOf(first.target),
    changes,
    settings: settingsFor(changes),
    trigger,
  };
}

/**
 * The deployment a request describes (pure). A console-form request needs the
 * image its lookup found (`findRequestedImage`).
 */
function buildDeployment(request: DeploymentRequest, execution: ExecutionContext, found?: FoundImage): Deployment {
  let image: ImageRef;
  if (request.image) {
    image = imageRef(request.image.registry ?? defaultRegistry(), request.image.repository, request.image.digest, request.image.tag);
  } else if (found) {
    image = imageRef(found.registry, request.target.repository, found.digest, found.tag);
  } else {
    throw new InvalidInput(`the input names no image by digest, and none was looked up (the first state looks up "tag", "digest" and "rollback" inputs).`);
  }
  const change: TargetChange = { target: request.target, image, ...(found?.rollbackOf ? { rollbackOf: found.rollbackOf } : {}) };
  return deploymentOf([change], request.trigger, execution);
}

/**
 * The deployment a full-form input (with `image`, as the trigger sends it)
 * describes, or a named error before anything changes. Pure but for reading
 * deployments.yml; console-form inputs need `resolveExecutionInput`.
 */
function resolveDeployment(rawInput: unknown, execution: ExecutionContext, loadConfig: () => DeploymentsFile = loadDeploymentsFile): Deployment {
  return buildDeployment(parseDeploymentRequest(rawInput, loadConfig), execution);
}

/**
 * Turns an execution input (from the trigger or a person) into the deployment it
 * describes, or a named error before anything changes. The console form's image
 * is looked up in ECR (by tag or digest) or, for a rollback, in the state
 * machine's execution history; the full form needs no lookup.
 */
async function resolveExecutionInput(
  rawInput: unknown,
  execution: ExecutionContext,
  options: { loadConfig?: () => DeploymentsFile; clients?: LookupContext['clients'] } = {},
): Promise<Deployment> {
  const request = parseDeploymentRequest(rawInput, options.loadConfig);
  if (!request.lookup) return buildDeployment(request, execution);
  const found = await findRequestedImage(request.target, request.lookup, {
    registry: defaultRegistry(),
    stateMachineArn: execution.arn ? stateMachineArnOf(execution.arn) : undefined,
    clients: options.clients,
  });
  return buildDeployment(request, execution, found);
}

export { resolveExecutionInput, resolveDeployment, buildDeployment, deploymentOf, settingsFor, parseDeploymentRequest, findTarget, defaultRegistry, executionInputSchema, consoleInputSchema, ACCEPTED_FORMS };
export type { ExecutionInput, ConsoleInput, ExecutionContext, DeploymentRequest };
