import { createHash } from 'node:crypto';
import type { TargetConfig, TargetKind } from '../config/schema';

const SLOT_KINDS: readonly TargetKind[] = ['ecs', 'batch', 'lambda'];

/**
 * A slot is what one deployment changes: an ECS service, a Batch job definition
 * name, a Lambda function. Targets that name the same one share a slot (seed 002:
 * two repositories feeding two containers of one service), and a slot has at most
 * one deployment running.
 */
interface SlotRef {
  /** `ecs:<cluster>/<service>`, `batch:<job definition>`, `lambda:<function>`: names, never ARNs. */
  key: string;
  kind: TargetKind;
}

/** The last part of an ARN or a name (`arn:…:cluster/prod` → `prod`, `prod` → `prod`). */
function nameOf(nameOrArn: string): string {
  return nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1);
}

/** `arn:aws:lambda:us-east-1:123456789012:function:web[:live]`, `123456789012:function:web` or `web` → `web`. */
function functionNameOf(nameOrArn: string): string {
  const match = /(?:^|:)function:([^:]+)/.exec(nameOrArn);
  return match?.[1] ?? nameOrArn;
}

/** The slot a target deploys to; two spellings of one service (a name and an ARN) are one slot. */
function slotOf(target: Pick<TargetConfig, 'ecs' | 'batch' | 'lambda'>): SlotRef {
  if (target.ecs) return { key: `ecs:${nameOf(target.ecs.cluster)}/${nameOf(target.ecs.service)}`, kind: 'ecs' };
  if (target.batch) return { key: `batch:${nameOf(target.batch.jobDefinition)}`, kind: 'batch' };
  if (target.lambda) return { key: `lambda:${functionNameOf(target.lambda.function)}`, kind: 'lambda' };
  throw new Error('a target names one of ecs, batch or lambda (the schema guarantees it)');
}

/** Step Functions execution names: 1-80 characters; we keep to [A-Za-z0-9-] for CloudWatch. */
const MAX_EXECUTION_NAME = 80;

/**
 * The name of the execution that holds a slot for one generation: readable, unique
 * per slot and generation, never reused (generations only grow). A hash of the key
 * keeps apart slots whose names read alike (`ecs:a/b-c` and `ecs:a-b/c`).
 *
 * @example executionNameFor('ecs:emotional-parrot/stream-ml-service-1', 7) // 'ecs-emotional-parrot-stream-ml-service-1-3c5a9e-g7'
 */
function executionNameFor(slotKey: string, generation: number): string {
  const suffix = `-${createHash('sha256').update(slotKey).digest('hex').slice(0, 6)}-g${generation}`;
  const readable = slotKey.replace(/[^A-Za-z0-9-]+/g, '-');
  return `${readable.slice(0, MAX_EXECUTION_NAME - suffix.length)}${suffix}`;
}

/** `ecs:prod/web` → `{ key, kind: 'ecs' }`; undefined for anything that is not a slot key. */
function parseSlotKey(key: string): SlotRef | undefined {
  const kind = SLOT_KINDS.find((k) => key.startsWith(`${k}:`) && key.length > k.length + 1);
  return kind ? { key, kind } : undefined;
}

export { slotOf, parseSlotKey, executionNameFor, functionNameOf };
export type { SlotRef };
