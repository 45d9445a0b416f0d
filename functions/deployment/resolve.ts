import { z } from 'zod';
import { describeIssues, loadDeploymentsFile } from '../config/load';
import { targetSchema, type DeploymentsFile } from '../config/schema';
import type { Deployment, ResolvedTarget } from '../shared/deployment';
import { InvalidInput, TargetNotFound, ConfigError } from '../shared/errors';
import { ecrRegistry, imageRef } from '../shared/image';
import { resolveTarget } from '../trigger/targets';

/** The execution input (README, "Execution input"). */
const executionInputSchema = z
  .object({
    target: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
    image: z
      .object({
        repository: z.string().min(1),
        tag: z.string().optional(),
        digest: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must be sha256:<64 hex digits>'),
        registry: z.string().min(1).optional(),
      })
      .strict(),
    trigger: z
      .object({
        kind: z.enum(['ecr-push', 'manual']),
        eventId: z.string().optional(),
        requestedBy: z.string().optional(),
      })
      .strict()
      .default({ kind: 'manual' }),
  })
  .strict();

type ExecutionInput = z.input<typeof executionInputSchema>;

interface ExecutionContext {
  name: string;
  arn?: string;
  startTime?: string;
}

function resolveTargetSpec(target: string | Record<string, unknown>, loadConfig: () => DeploymentsFile): ResolvedTarget {
  if (typeof target === 'string') {
    const config = loadConfig();
    const found = config.targets.find((t) => t.name === target);
    if (!found) throw new TargetNotFound(`no target named "${target}" in deployments.yml (known: ${config.targets.map((t) => t.name).join(', ')}).`);
    return resolveTarget(found);
  }
  const { kind: _kind, ...spec } = target;
  const parsed = targetSchema.safeParse(spec);
  if (!parsed.success) throw new ConfigError(`the target in the execution input is invalid:\n${describeIssues(parsed.error)}`);
  return resolveTarget(parsed.data);
}

/**
 * Turns an execution input (from the trigger or a person) into the deployment it
 * describes, or a named error before anything changes.
 */
function resolveDeployment(rawInput: unknown, execution: ExecutionContext, loadConfig: () => DeploymentsFile = loadDeploymentsFile): Deployment {
  const parsed = executionInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw new InvalidInput(
      `the execution input is not a deployment request:\n${describeIssues(parsed.error)}\nExpected {"target": "<name>", "image": {"repository", "digest", "tag"?}}.`,
    );
  }
  const input = parsed.data;
  const target = resolveTargetSpec(input.target, loadConfig);
  if (input.image.repository !== target.repository) {
    throw new InvalidInput(`image repository "${input.image.repository}" is not the repository "${target.repository}" that target ${target.name} follows.`);
  }
  const accountId = process.env.AWS_ACCOUNT_ID;
  const region = process.env.AWS_REGION;
  const registry = input.image.registry ?? (accountId && region ? ecrRegistry(accountId, region) : undefined);
  if (!registry) throw new InvalidInput('image.registry is missing and AWS_ACCOUNT_ID/AWS_REGION are not set to derive it.');
  return {
    id: execution.name,
    executionArn: execution.arn,
    startedAt: execution.startTime ?? new Date().toISOString(),
    target,
    image: imageRef(registry, input.image.repository, input.image.digest, input.image.tag),
    trigger: input.trigger,
  };
}

export { resolveDeployment, executionInputSchema };
export type { ExecutionInput, ExecutionContext };
