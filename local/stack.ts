import { handler as recoverSlot } from '../functions/handlers/recover-slot';
import { createLocalTables, startLocalDynamoDb, throttleDynamoDbWhen, useLocalDynamoDb, type LocalDynamoDb } from './dynamodb';
import type { SimulatedAwsAccount } from './simulated-account';
import { runDeployStateMachine, type LocalRunOptions } from './state-machine';

/**
 * What the stack wires together in AWS, locally around a simulated account: the
 * slot and notification tables (in a local DynamoDB), executions that run by
 * themselves once started (the real state machine, the real step handlers), and
 * the rule that sends executions ending badly to the slot recovery Lambda.
 */

interface LocalStack {
  close: () => Promise<void>;
}

/** The environment the stack's functions see. */
function useStackEnvironment(account: SimulatedAwsAccount): void {
  // A call nothing here answers goes to a closed port on 127.0.0.1, never to AWS.
  process.env.AWS_ENDPOINT_URL ??= 'http://127.0.0.1:9';
  process.env.AWS_REGION = account.region;
  process.env.AWS_ACCOUNT_ID = account.accountId;
  process.env.STATE_MACHINE_ARN = account.stepFunctions.stateMachineArn;
}

/**
 * Starts the stack's moving parts for `account`. A local DynamoDB is started
 * unless one is given already (AWS_ENDPOINT_URL_DYNAMODB, as the tests do);
 * the tables are new each time.
 */
async function startLocalStack(account: SimulatedAwsAccount, options: Pick<LocalRunOptions, 'waitMs' | 'intercept'> = {}): Promise<LocalStack> {
  useStackEnvironment(account);
  let dynamo: LocalDynamoDb | undefined;
  if (process.env.AWS_ENDPOINT_URL_DYNAMODB) useLocalDynamoDb(process.env.AWS_ENDPOINT_URL_DYNAMODB);
  else dynamo = await startLocalDynamoDb();
  await createLocalTables();
  throttleDynamoDbWhen(() => account.throttledNow());
  account.stepFunctions.runStartedExecutions((input, run) =>
    runDeployStateMachine(input as Parameters<typeof runDeployStateMachine>[0], {
      executionName: run.executionName,
      onEvent: run.onEvent,
      signal: run.signal,
      waitMs: options.waitMs,
      intercept: options.intercept,
    }),
  );
  account.stepFunctions.onExecutionEnded((event) => recoverSlot(event));
  return { close: async () => dynamo?.close() };
}

export { startLocalStack, useStackEnvironment };
export type { LocalStack };
