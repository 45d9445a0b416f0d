import { handler as recoverSlot } from '../functions/handlers/recover-slot';
import { createLocalTables, startLocalDynamoDb, throttleDynamoDbWhen, useLocalDynamoDb, type LocalDynamoDb } from './dynamodb';
import type { SimulatedAwsAccount } from './simulated-account';
import { runDeployStateMachine, type LocalRunOptions, type TaskInterceptor } from './state-machine';
import { decideApproval } from '../functions/approval/coordinator';
import type { DeploymentState } from '../functions/shared/deployment';

/**
 * What the stack wires together in AWS, locally around a simulated account: the
 * slot and notification tables (in a local DynamoDB), executions that run by
 * themselves once started (the real state machine, the real step handlers), and
 * the rule that sends executions ending badly to the slot recovery Lambda.
 */

interface LocalStack {
  close: () => Promise<void>;
}

/**
 * Who decides, here, a deployment that waits for approval: called once it has asked
 * (RequestApproval), with its state. Nobody can run `ecr-deployer approve` while a
 * local run waits in this process, so the default rejects at once, saying so.
 */
type LocalApprover = (state: DeploymentState) => Promise<void>;

function rejectingApprover(reason: string): LocalApprover {
  return async (state) => {
    await decideApproval(state.deployment.slot, state.deployment.id, { decision: 'rejected', by: 'local run', at: new Date(Date.now()).toISOString(), reason });
  };
}

/** Approves every request at once, as `by`. */
function approvingApprover(by: string): LocalApprover {
  return async (state) => {
    await decideApproval(state.deployment.slot, state.deployment.id, { decision: 'approved', by, at: new Date(Date.now()).toISOString() });
  };
}

const NOBODY_TO_APPROVE = 'nobody can approve while a local run waits: rehearse it with --approve';

/** The step interceptor with the approver after RequestApproval. */
function withApprover(approver: LocalApprover, intercept: TaskInterceptor | undefined): TaskInterceptor {
  return async (stateName, invoke, input) => {
    const output = intercept ? await intercept(stateName, invoke, input) : await invoke();
    if (stateName === 'RequestApproval' && (output as { status?: string } | null)?.status === 'pending') {
      await approver((input as unknown as { payload: DeploymentState }).payload);
    }
    return output;
  };
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
async function startLocalStack(account: SimulatedAwsAccount, options: Pick<LocalRunOptions, 'waitMs' | 'intercept'> & { approver?: LocalApprover } = {}): Promise<LocalStack> {
  const intercept = withApprover(options.approver ?? rejectingApprover(NOBODY_TO_APPROVE), options.intercept);
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
      intercept,
    }),
  );
  account.stepFunctions.onExecutionEnded((event) => recoverSlot(event));
  return { close: async () => dynamo?.close() };
}

export { startLocalStack, useStackEnvironment, approvingApprover, rejectingApprover };
export type { LocalStack, LocalApprover };
