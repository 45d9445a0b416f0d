import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionStatus,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import * as z from 'zod/mini';
import '../shared/validation-messages';
import { sfn } from '../shared/clients/sfn';
import { NoRollbackTarget } from '../shared/errors';
import { parseImageReference, shortDigest } from '../shared/image';

/**
 * The deployments of a target, read back from the executions of the deploy state
 * machine (`ListExecutions`, `DescribeExecution`): what each was asked to do, what
 * it deployed, and what the target ran before it. Step Functions keeps closed
 * executions for 90 days; that is how far back this sees.
 */

/** One execution of the deploy state machine, as far as its input and output tell. */
interface DeploymentRecord {
  executionName: string;
  executionArn: string;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE. */
  status: string;
  startDate?: Date;
  stopDate?: Date;
  /** The target's name (undefined: the input named none it could be read from). */
  target?: string;
  /** Every target the deployment changed (a deployment of a shared service may change several). */
  targets?: string[];
  kind?: string;
  /** What was asked for, from the input. */
  request: {
    form: 'push' | 'full' | 'tag' | 'digest' | 'rollback' | 'promotion' | 'unknown';
    /** A promotion: the source target. */
    promoteFrom?: string;
    tag?: string;
    digest?: string;
    /** `ecr-push`, `manual` or `promotion`. */
    triggerKind?: string;
    requestedBy?: string;
  };
  /** The image deployed: from the output, or from a full-form input. Unknown for a console input that did not finish. */
  image?: { repository?: string; tag?: string; digest: string };
  /** The images the target ran before, as the deployment recorded them (output of SUCCEEDED executions). */
  previousImages: string[];
  /** The revision (task or job definition ARN, Lambda version) before and after. */
  revisions?: { previous?: string; next?: string };
  /** Set for a rollback: the execution name of the deployment it undid. */
  rollbackOf?: string;
  error?: string;
  cause?: string;
}

const optionalString = () => z.optional(z.string());

const imageSchema = z.looseObject({ repository: optionalString(), tag: optionalString(), digest: z.string() });

const inputSchema = z.looseObject({
  target: z.optional(z.union([z.string(), z.looseObject({ name: z.string() })])),
  image: z.optional(imageSchema),
  /** A push deployment (slot form): the images by target. */
  images: z.optional(z.record(z.string(), z.looseObject({ digest: z.string(), tag: optionalString() }))),
  tag: optionalString(),
  digest: optionalString(),
  rollback: z.optional(z.boolean()),
  promoteFrom: optionalString(),
  trigger: z.optional(z.looseObject({ kind: optionalString(), requestedBy: optionalString() })),
});

const previousImageSchema = z.looseObject({ previousImage: z.string(), target: optionalString() });

const changeSchema = z.looseObject({
  target: z.looseObject({ name: z.string(), kind: optionalString() }),
  image: imageSchema,
  rollbackOf: optionalString(),
});

const slotDeploymentSchema = z.looseObject({ slot: z.looseObject({ kind: z.string() }), changes: z.array(changeSchema).check(z.minLength(1)) });

/** A deployment state as executions record it: `changes` per target, or (before slots) one `target` and `image`. */
const stateSchema = z.looseObject({
  deployment: z.union([slotDeploymentSchema, changeSchema]),
  ecs: z.optional(z.looseObject({ containers: z.optional(z.array(previousImageSchema)), previousTaskDefinitionArn: optionalString(), newTaskDefinitionArn: optionalString() })),
  batch: z.optional(z.looseObject({ containers: z.optional(z.array(previousImageSchema)), previousJobDefinitionArn: optionalString(), newJobDefinitionArn: optionalString() })),
  lambda: z.optional(
    z.looseObject({
      functionName: optionalString(),
      previousImageUri: optionalString(),
      previousResolvedImageUri: optionalString(),
      previousVersion: optionalString(),
      newVersion: optionalString(),
    }),
  ),
});

type RecordedState = z.infer<typeof stateSchema>;

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

type RecordedChange = z.infer<typeof changeSchema>;

/** The changes a recorded state made, with the kind of their slot. */
function changesOf(state: RecordedState): { kind?: string; changes: RecordedChange[] } {
  const bySlot = slotDeploymentSchema.safeParse(state.deployment);
  if (bySlot.success) return { kind: bySlot.data.slot.kind, changes: bySlot.data.changes };
  const legacy = changeSchema.parse(state.deployment);
  return { kind: legacy.target.kind, changes: [legacy] };
}

/** What `target` ran before, by kind, as the deployment's steps recorded it. */
function previousImagesOf(state: RecordedState, kind: string | undefined, target: string): string[] {
  const ofTarget = (containers: { previousImage: string; target?: string }[] | undefined) =>
    (containers ?? []).filter((c) => c.target === undefined || c.target === target).map((c) => c.previousImage);
  switch (kind) {
    case 'ecs':
      return ofTarget(state.ecs?.containers);
    case 'batch':
      return ofTarget(state.batch?.containers);
    case 'lambda': {
      // The resolved URI is pinned by digest even when the function was configured with a tag.
      const image = state.lambda?.previousResolvedImageUri ?? state.lambda?.previousImageUri;
      return image ? [image] : [];
    }
    default:
      return [];
  }
}

function revisionsOf(state: RecordedState): DeploymentRecord['revisions'] {
  if (state.ecs) return { previous: state.ecs.previousTaskDefinitionArn, next: state.ecs.newTaskDefinitionArn };
  if (state.batch) return { previous: state.batch.previousJobDefinitionArn, next: state.batch.newJobDefinitionArn };
  if (state.lambda) {
    const name = state.lambda.functionName ?? 'version';
    return { previous: state.lambda.previousVersion && `${name}:${state.lambda.previousVersion}`, next: state.lambda.newVersion && `${name}:${state.lambda.newVersion}` };
  }
  return undefined;
}

function requestOf(input: z.infer<typeof inputSchema>): DeploymentRecord['request'] {
  const trigger = { triggerKind: input.trigger?.kind ?? 'manual', requestedBy: input.trigger?.requestedBy };
  if (input.image) return { form: 'full', tag: input.image.tag, digest: input.image.digest, ...trigger };
  if (input.images) return { form: 'push', ...trigger };
  if (input.rollback === true) return { form: 'rollback', ...trigger };
  if (input.promoteFrom) return { form: 'promotion', promoteFrom: input.promoteFrom, ...trigger };
  if (input.digest) return { form: 'digest', digest: input.digest, tag: input.tag, ...trigger };
  if (input.tag) return { form: 'tag', tag: input.tag, ...trigger };
  return { form: 'unknown', ...trigger };
}

/**
 * Completes a record with what a deployment state says (the output of a finished
 * execution, or the input of the last state it entered): the image deployed to
 * `target` (default: the record's, else the first changed), what ran before, the
 * revisions, and whether it was a rollback.
 */
function withRecordedState(record: DeploymentRecord, stateSource: unknown, target = record.target): DeploymentRecord {
  const state = stateSchema.safeParse(stateSource);
  if (!state.success) return record;
  const { kind, changes } = changesOf(state.data);
  const change = changes.find((c) => c.target.name === target) ?? changes[0];
  if (!change) return record;
  return {
    ...record,
    target: change.target.name,
    targets: changes.map((c) => c.target.name),
    kind: kind ?? record.kind,
    image: { repository: change.image.repository, tag: change.image.tag, digest: change.image.digest },
    previousImages: previousImagesOf(state.data, kind, change.target.name),
    revisions: revisionsOf(state.data),
    rollbackOf: change.rollbackOf,
  };
}

/**
 * Reads a described execution: the input says what was asked, the output (of a
 * finished execution) what happened, to `target` if it changed several.
 */
function deploymentRecordOf(described: DescribeExecutionCommandOutput, target?: string): DeploymentRecord {
  const input = inputSchema.safeParse(parseJson(described.input));
  const request: DeploymentRecord['request'] = input.success ? requestOf(input.data) : { form: 'unknown' };
  const inputTarget = input.success ? input.data.target : undefined;
  // A push deployment names its targets as the keys of `images`.
  const pushed = input.success && input.data.images ? Object.entries(input.data.images) : [];
  const [pushedName, pushedImage] = pushed.find(([name]) => name === target) ?? pushed[0] ?? [];
  const record: DeploymentRecord = {
    executionName: described.name ?? described.executionArn?.split(':').pop() ?? '',
    executionArn: described.executionArn ?? '',
    status: described.status ?? 'UNKNOWN',
    startDate: described.startDate,
    stopDate: described.stopDate,
    target: pushedName ?? (typeof inputTarget === 'string' ? inputTarget : inputTarget?.name),
    ...(pushed.length > 0 ? { targets: pushed.map(([name]) => name) } : {}),
    kind: typeof inputTarget === 'object' && typeof inputTarget.kind === 'string' ? inputTarget.kind : undefined,
    request,
    image: pushedImage
      ? { tag: pushedImage.tag, digest: pushedImage.digest }
      : input.success && input.data.image
        ? { repository: input.data.image.repository, tag: input.data.image.tag, digest: input.data.image.digest }
        : undefined,
    previousImages: [],
    error: described.error,
    cause: described.cause,
  };
  return withRecordedState(record, parseJson(described.output), target ?? record.target);
}

const TRIGGER_NAME = /^(.+)-[0-9a-f]{32}$/;
const CLI_NAME = /^(?:manual|rollback)-(.+)-\d{8}T\d{6}Z$/;

/**
 * False only when an execution's name says it belongs to another target: the
 * trigger's `<target>-<32 hex>` and the CLI's `manual-<target>[-<12 hex>]-<time>`,
 * `rollback-<target>[-<12 hex>]-<time>`. Any other name (the console's default
 * is a UUID) may belong to any target; its input tells.
 */
function mayBelongTo(executionName: string, target: string): boolean {
  const byTrigger = TRIGGER_NAME.exec(executionName);
  if (byTrigger) return byTrigger[1] === target;
  const byCli = CLI_NAME.exec(executionName);
  if (byCli) {
    const middle = byCli[1] ?? '';
    return middle === target || (middle.startsWith(`${target}-`) && /^[0-9a-f]{12}$/.test(middle.slice(target.length + 1)));
  }
  return true;
}

/** `arn:aws:states:us-east-1:123456789012:execution:deploy:name` → `arn:aws:states:us-east-1:123456789012:stateMachine:deploy`. */
function stateMachineArnOf(executionArn: string): string | undefined {
  const match = /^(arn:[^:]+:states:[^:]*:[^:]*):execution:([^:]+):[^:]+$/.exec(executionArn);
  return match ? `${match[1]}:stateMachine:${match[2]}` : undefined;
}

/** The ARN of an execution of a (standard) state machine, from its name. */
function executionArnOf(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

/** How far a search through the executions went. */
interface ScanStats {
  listed: number;
  described: number;
  /** The search stopped at its limit, not at the oldest execution. */
  limited: boolean;
  /** The deployment ledger answered instead: the entries it read. */
  ledgerEntries?: number;
}

interface HistoryQuery {
  stateMachineArn: string;
  /** Only this target's deployments. */
  target?: string;
  statusFilter?: ExecutionStatus;
  client?: SFNClient;
  /** Executions to list, and to describe, at most (default 5000 and 200). */
  maxListed?: number;
  maxDescribed?: number;
  /** Filled in as the search goes. */
  stats?: ScanStats;
}

/**
 * The deployments of the state machine (of one target), newest first. Stops at
 * the limits; `stats.limited` says whether it did.
 *
 * @example
 * for await (const record of deploymentRecords({ stateMachineArn, target: 'web', statusFilter: 'SUCCEEDED' })) console.log(record.image);
 */
async function* deploymentRecords(query: HistoryQuery): AsyncGenerator<DeploymentRecord> {
  const client = query.client ?? sfn;
  const stats = query.stats ?? { listed: 0, described: 0, limited: false };
  const maxListed = query.maxListed ?? 5000;
  const maxDescribed = query.maxDescribed ?? 200;
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListExecutionsCommand({ stateMachineArn: query.stateMachineArn, statusFilter: query.statusFilter, maxResults: 100, nextToken }),
    );
    for (const item of page.executions ?? []) {
      if (stats.listed >= maxListed || stats.described >= maxDescribed) {
        stats.limited = true;
        return;
      }
      stats.listed += 1;
      if (!item.executionArn || (query.target && item.name && !mayBelongTo(item.name, query.target))) continue;
      stats.described += 1;
      const described = await client.send(new DescribeExecutionCommand({ executionArn: item.executionArn }));
      const record = deploymentRecordOf(described, query.target);
      if (query.target && record.target !== query.target) continue;
      yield record;
    }
    nextToken = page.nextToken;
  } while (nextToken);
}

interface RollbackChoice {
  /** The deployment the rollback undoes. */
  undoes: DeploymentRecord;
  /** What the target ran before it, as it recorded (`<registry>/<repository>@sha256:…`, or by tag). */
  previousImage: string;
}

function describeRecord(record: DeploymentRecord): string {
  const image = record.image ? `${record.image.tag ?? '-'} @ sha256:${shortDigest(record.image.digest)}` : 'an image';
  return `${record.executionName} (${image})`;
}

/**
 * What `rollback: true` goes back to: the image the target ran before its most
 * recent successful deployment that is not undone yet. Rollbacks undo, they do
 * not stack: after a rollback of D, the next rollback undoes the deployment
 * before D — so rolling back twice goes two deployments back, not back and forth.
 * A deployment that did not change the image (a redeploy) is passed over.
 *
 * @param records the target's SUCCEEDED deployments, newest first
 */
async function chooseRollback(records: AsyncIterable<DeploymentRecord>, target: string, stats?: ScanStats): Promise<RollbackChoice> {
  const undone = new Set<string>();
  for await (const record of records) {
    if (record.status !== 'SUCCEEDED' || undone.has(record.executionName)) continue;
    if (record.rollbackOf) {
      undone.add(record.rollbackOf);
      continue;
    }
    const previous = [...new Set(record.previousImages)];
    if (previous.length === 0) {
      throw new NoRollbackTarget(
        `the last deployment of ${target}, ${describeRecord(record)}, recorded no image from before it. Roll back to a named image instead: {"target": "${target}", "tag": "<tag>"}.`,
      );
    }
    if (previous.length > 1) {
      throw new NoRollbackTarget(
        `before ${describeRecord(record)}, the containers of ${target} ran different images (${previous.join(', ')}). Roll back to a named image instead: {"target": "${target}", "tag": "<tag>"}.`,
      );
    }
    const [image] = previous as [string];
    if (record.image && parseImageReference(image).digest === record.image.digest) continue;
    return { undoes: record, previousImage: image };
  }
  const searched = stats?.ledgerEntries !== undefined
    ? ` (searched the deployment ledger: ${stats.ledgerEntries} entr${stats.ledgerEntries === 1 ? 'y' : 'ies'})`
    : stats
    ? ` (searched ${stats.listed} successful execution${stats.listed === 1 ? '' : 's'}${stats.limited ? ', then stopped' : ', back to the oldest Step Functions keeps'})`
    : '';
  throw new NoRollbackTarget(
    `there is no successful deployment of ${target} left to undo${searched}. Roll back to a named image instead: {"target": "${target}", "tag": "<tag>"}.`,
  );
}

export { deploymentRecordOf, withRecordedState, deploymentRecords, chooseRollback, mayBelongTo, stateMachineArnOf, executionArnOf };
export type { DeploymentRecord, RollbackChoice, ScanStats, HistoryQuery };
