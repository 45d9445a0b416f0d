import { handler as trigger } from '../functions/handlers/trigger';
import type { SimulatedAwsAccount } from './simulated-account';
import { runDeployStateMachine, type LocalRunResult } from './state-machine';

interface PushOutcome {
  trigger: Awaited<ReturnType<typeof trigger>>;
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
 * Runs an execution the simulated account has started, with the real state
 * machine, and keeps its history and outcome in the account (what
 * ListExecutions, DescribeExecution and GetExecutionHistory answer).
 */
function runStartedExecution(account: SimulatedAwsAccount, executionName: string, options: { waitMs?: number } = {}): Promise<LocalRunResult> {
  return account.stepFunctions.run(executionName, (input, run) =>
    runDeployStateMachine(input as Parameters<typeof runDeployStateMachine>[0], { executionName: run.executionName, onEvent: run.onEvent, waitMs: options.waitMs }),
  );
}

/**
 * What AWS does with an ECR push event, locally: ECR holds the image, the trigger
 * Lambda starts executions (in the simulated account), and each one runs the real
 * state machine.
 */
async function deployPush(account: SimulatedAwsAccount, event: unknown, options: { waitMs?: number } = {}): Promise<PushOutcome> {
  process.env.STATE_MACHINE_ARN ??= `arn:aws:states:${account.region}:${account.accountId}:stateMachine:ecr-deployer-deploy`;
  const image = pushedImage(event);
  if (image) account.ecr.pushImage(image.repository, image.digest, image.tag ? [image.tag] : []);
  const before = new Set(account.executions.keys());
  const triggered = await trigger(event);
  const runs: PushOutcome['runs'] = [];
  for (const execution of account.executions.values()) {
    if (before.has(execution.name)) continue;
    const result = await runStartedExecution(account, execution.name, options);
    runs.push({ ...result, executionName: execution.name });
  }
  return { trigger: triggered, runs };
}

export { deployPush, runStartedExecution };
export type { PushOutcome };
