import { handler as trigger } from '../functions/handlers/trigger';
import type { SimulatedAwsAccount } from './simulated-account';
import type { LocalRunResult } from './state-machine';

type TriggerResult = Awaited<ReturnType<typeof trigger>>;

interface PushOutcome {
  trigger: TriggerResult;
  /** The executions that ran meanwhile, by name: this push's, and those it waited for or handed on to. */
  runs: (LocalRunResult & { executionName: string })[];
}

/** The image an ECR push event says was pushed, if it is one (ECR has it whether or not anything deploys it). */
function pushedImage(event: unknown): { repository: string; digest: string; tag?: string } | undefined {
  const detail = (event as { detail?: Record<string, unknown> } | undefined)?.detail;
  if (!detail || detail['action-type'] !== 'PUSH' || detail.result !== 'SUCCESS') return undefined;
  const repository = detail['repository-name'];
  const digest = detail['image-digest'];
  const tag = detail['image-tag'];
  if (typeof repository !== 'string' || typeof digest !== 'string') return undefined;
  return { repository, digest, tag: typeof tag === 'string' && tag !== '' ? tag : undefined };
}

/**
 * What AWS does with an ECR push event, locally: ECR holds the image and the
 * trigger Lambda records it; a deployment it starts runs by itself (see
 * startLocalStack). Returns at once, as EventBridge does.
 */
async function deliverPush(account: SimulatedAwsAccount, event: unknown): Promise<TriggerResult> {
  const image = pushedImage(event);
  if (image) account.ecr.pushImage(image.repository, image.digest, image.tag ? [image.tag] : []);
  return trigger(event);
}

/** The executions started since `before`, each with how it ended (waits for them). */
async function runsSince(account: SimulatedAwsAccount, before: Set<string>): Promise<PushOutcome['runs']> {
  await account.stepFunctions.settle();
  const runs: PushOutcome['runs'] = [];
  for (const execution of account.executions.values()) {
    if (before.has(execution.name)) continue;
    const result = await account.stepFunctions.result(execution.name);
    if (result) runs.push({ ...result, executionName: execution.name });
  }
  return runs;
}

/** Delivers a push, and waits until everything it set off has finished. */
async function deployPush(account: SimulatedAwsAccount, event: unknown): Promise<PushOutcome> {
  const before = new Set(account.executions.keys());
  const triggered = await deliverPush(account, event);
  return { trigger: triggered, runs: await runsSince(account, before) };
}

export { deliverPush, deployPush, runsSince };
export type { PushOutcome, TriggerResult };
