import { handler as trigger } from '../functions/handlers/trigger';
import type { SimulatedAwsAccount } from './simulated-account';
import { runDeployStateMachine, type LocalRunResult } from './state-machine';

interface PushOutcome {
  trigger: Awaited<ReturnType<typeof trigger>>;
  runs: (LocalRunResult & { executionName: string })[];
}

/**
 * What AWS does with an ECR push event, locally: the trigger Lambda starts
 * executions (in the simulated account), and each one runs the real state machine.
 */
async function deployPush(account: SimulatedAwsAccount, event: unknown, options: { waitMs?: number } = {}): Promise<PushOutcome> {
  process.env.STATE_MACHINE_ARN ??= `arn:aws:states:${account.region}:${account.accountId}:stateMachine:ecr-deployer-deploy`;
  const before = new Set(account.executions.keys());
  const triggered = await trigger(event);
  const runs: PushOutcome['runs'] = [];
  for (const execution of account.executions.values()) {
    if (before.has(execution.name)) continue;
    const result = await runDeployStateMachine(JSON.parse(execution.input), { executionName: execution.name, waitMs: options.waitMs });
    execution.status = result.status;
    runs.push({ ...result, executionName: execution.name });
  }
  return { trigger: triggered, runs };
}

export { deployPush };
export type { PushOutcome };
