import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  type StopExecutionCommandInput,
  type DescribeExecutionCommandInput,
  type GetExecutionHistoryCommandInput,
  type HistoryEvent,
  type HistoryEventType,
  type ListExecutionsCommandInput,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { ExecutionEvent, LocalRunResult } from './state-machine';

/**
 * The Step Functions side of the simulated account beyond StartExecution (which
 * the account fakes itself): executions run locally keep their history, output
 * and outcome, and answer `ListExecutions`, `DescribeExecution` and
 * `GetExecutionHistory` as Step Functions would — the history in Step Functions'
 * own event types (`TaskStateEntered`, `LambdaFunctionFailed`, …), live while the
 * execution runs.
 */

/** Wraps a fake command: records the call, fails it when a failure is injected. */
type Handle = <I, O>(service: string, command: string, run: (input: I) => O) => (input: I) => Promise<O>;

/** The account's record of a started execution (see SimulatedAwsAccount.executions). */
interface StartedExecution {
  name: string;
  arn: string;
  input: string;
  status: ExecutionStatus;
}

type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/** Runs one execution locally (the real state machine), reporting each event as it happens; `signal` is StopExecution. */
type ExecutionRunner = (input: unknown, options: { executionName: string; onEvent: (event: ExecutionEvent) => void; signal: AbortSignal }) => Promise<LocalRunResult>;

/** What EventBridge delivers when an execution ends: "Step Functions Execution Status Change". */
interface ExecutionStatusChange {
  source: 'aws.states';
  'detail-type': 'Step Functions Execution Status Change';
  detail: { executionArn: string; stateMachineArn: string; name: string; status: ExecutionStatus; input: string; startDate: number; stopDate: number };
}

interface ExecutionDetails {
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  run?: Promise<LocalRunResult>;
  stop?: AbortController;
}

const STATE_EVENT_TYPES: Record<string, { entered: HistoryEventType; exited?: HistoryEventType }> = {
  Task: { entered: 'TaskStateEntered', exited: 'TaskStateExited' },
  Choice: { entered: 'ChoiceStateEntered', exited: 'ChoiceStateExited' },
  Wait: { entered: 'WaitStateEntered', exited: 'WaitStateExited' },
  Pass: { entered: 'PassStateEntered', exited: 'PassStateExited' },
  Succeed: { entered: 'SucceedStateEntered', exited: 'SucceedStateExited' },
  Fail: { entered: 'FailStateEntered' },
  Parallel: { entered: 'ParallelStateEntered', exited: 'ParallelStateExited' },
  Map: { entered: 'MapStateEntered', exited: 'MapStateExited' },
};

type NewHistoryEvent = Omit<HistoryEvent, 'id' | 'previousEventId' | 'timestamp'>;

function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function causeText(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return typeof cause === 'string' ? cause : json(cause);
}

/**
 * Turns aws-local-stepfunctions' events into the events Step Functions records
 * for Lambda Task states. Stateful: a Task that failed and was caught exits
 * without a `LambdaFunctionSucceeded`.
 */
function historyConverter(): (event: ExecutionEvent) => NewHistoryEvent[] {
  const failedTasks = new Set<string>();
  return (event) => {
    const state = event.state;
    const types = state ? STATE_EVENT_TYPES[state.type] : undefined;
    switch (event.type) {
      case 'ExecutionStarted':
        return [{ type: 'ExecutionStarted', executionStartedEventDetails: { input: json(event.input) } }];
      case 'ExecutionSucceeded':
        return [{ type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: json(event.output) } }];
      case 'ExecutionFailed':
        return [{ type: 'ExecutionFailed', executionFailedEventDetails: { error: event.Error, cause: causeText(event.Cause) } }];
      case 'StateEntered': {
        if (!state || !types) return [];
        const entered: NewHistoryEvent = { type: types.entered, stateEnteredEventDetails: { name: state.name, input: json(state.input) } };
        if (state.type !== 'Task') return [entered];
        failedTasks.delete(state.name);
        return [entered, { type: 'LambdaFunctionScheduled', lambdaFunctionScheduledEventDetails: { resource: state.name, input: json(state.input) } }, { type: 'LambdaFunctionStarted' }];
      }
      case 'StateExited': {
        if (!state || !types?.exited) return [];
        const exited: NewHistoryEvent = { type: types.exited, stateExitedEventDetails: { name: state.name, output: json(state.output) } };
        if (state.type !== 'Task' || failedTasks.delete(state.name)) return [exited];
        return [{ type: 'LambdaFunctionSucceeded', lambdaFunctionSucceededEventDetails: { output: json(state.output) } }, exited];
      }
      case 'StateFailed':
        if (state?.type !== 'Task') return [];
        failedTasks.add(state.name);
        return [{ type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: { error: event.Error, cause: causeText(event.Cause) } }];
      case 'StateRetried':
        if (state?.type !== 'Task') return [];
        failedTasks.delete(state.name);
        return [{ type: 'LambdaFunctionScheduled', lambdaFunctionScheduledEventDetails: { resource: state.name, input: json(state.input) } }, { type: 'LambdaFunctionStarted' }];
      default:
        return [];
    }
  };
}

class SimulatedExecutions {
  public readonly stateMachineArn: string;
  private readonly details = new Map<string, ExecutionDetails>();
  private runner?: ExecutionRunner;
  private readonly statusListeners: ((event: ExecutionStatusChange) => Promise<unknown>)[] = [];
  private readonly deliveries: Promise<unknown>[] = [];

  public constructor(
    sfnMock: AwsClientStub<SFNClient>,
    private readonly executions: Map<string, StartedExecution>,
    accountId: string,
    region: string,
    handle: Handle,
  ) {
    this.stateMachineArn = `arn:aws:states:${region}:${accountId}:stateMachine:ecr-deployer-deploy`;
    this.install(sfnMock, handle);
  }

  /**
   * Step Functions keeps a closed execution 90 days after it ended, then it is gone
   * from ListExecutions and DescribeExecution: this forgets those closed before `before`.
   */
  public forgetClosedBefore(before: Date): void {
    for (const [name, execution] of this.executions) {
      const stopped = this.details.get(name)?.stopDate;
      if (execution.status !== 'RUNNING' && stopped && stopped < before) {
        this.executions.delete(name);
        this.details.delete(name);
      }
    }
  }

  /**
   * Runs a started execution with `runner`, keeping its history as it goes and
   * its outcome at the end. Running it again returns the same run.
   */
  public run(name: string, runner: ExecutionRunner): Promise<LocalRunResult> {
    const execution = this.executions.get(name);
    if (!execution) throw new Error(`no execution named ${name} was started`);
    const details = this.detailsOf(name);
    if (details.run) return details.run;
    details.startDate = new Date();
    const convert = historyConverter();
    const append = (event: ExecutionEvent) => {
      for (const entry of convert(event)) {
        const id = details.history.length + 1;
        details.history.push({ ...entry, id, previousEventId: id - 1, timestamp: new Date(event.timestamp) });
      }
    };
    const stop = new AbortController();
    details.stop = stop;
    // Claimed before it starts: the run's own Step Functions calls (a rollback reads the history) must not start it again.
    details.run = (async (): Promise<LocalRunResult> => {
      let result: LocalRunResult;
      try {
        await Promise.resolve();
        result = await runner(JSON.parse(execution.input) as unknown, { executionName: name, onEvent: append, signal: stop.signal });
      } catch (error) {
        result = { status: 'FAILED', error: 'States.Runtime', cause: (error as Error).message, events: [] };
      }
      execution.status = result.status;
      details.stopDate = new Date();
      details.output = result.status === 'SUCCEEDED' ? json(result.output) : undefined;
      details.error = result.error;
      details.cause = result.cause;
      if (result.status !== 'SUCCEEDED') this.announce(execution, details);
      return result;
    })();
    return details.run;
  }

  /** Subscribes to executions that end ABORTED, TIMED_OUT or FAILED, as an EventBridge rule on "Step Functions Execution Status Change" would. */
  public onExecutionEnded(listener: (event: ExecutionStatusChange) => Promise<unknown>): void {
    this.statusListeners.push(listener);
  }

  /** Stops a running execution, as StopExecution does: it ends ABORTED wherever it is. */
  public stop(name: string): void {
    this.details.get(name)?.stop?.abort();
  }

  /** Called by StartExecution: with a runner installed, the execution runs by itself, as in AWS. */
  public started(name: string): void {
    const runner = this.runner;
    if (runner) void this.run(name, runner);
  }

  private announce(execution: StartedExecution, details: ExecutionDetails): void {
    const event: ExecutionStatusChange = {
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: {
        executionArn: execution.arn,
        stateMachineArn: this.stateMachineArn,
        name: execution.name,
        status: execution.status,
        input: execution.input,
        startDate: details.startDate.getTime(),
        stopDate: (details.stopDate ?? new Date()).getTime(),
      },
    };
    for (const listener of this.statusListeners) this.deliveries.push(listener(event).catch(() => undefined));
  }

  /** From now on, executions started by StartExecution run by themselves (as in AWS), picked up by the next Step Functions call or `settle()`. */
  public runStartedExecutions(runner: ExecutionRunner): void {
    this.runner = runner;
  }

  /** Waits until every execution that was started has finished, and what their ends set off (recovery, the next deployment). */
  public async settle(): Promise<void> {
    for (;;) {
      this.pickUp();
      const runs = [...this.details.values()].map((d) => d.run).filter((run): run is Promise<LocalRunResult> => run !== undefined);
      const deliveries = this.deliveries.length;
      await Promise.all([...runs, ...this.deliveries]);
      await new Promise((resolve) => setImmediate(resolve));
      // Done when nothing new was started or delivered while waiting, and nothing runs.
      const quiet = this.deliveries.length === deliveries && this.details.size === runs.length;
      if (quiet && [...this.executions.values()].every((e) => e.status !== 'RUNNING' || !this.runner)) return;
    }
  }

  /** How a run ended, once it has (undefined while it runs, or if it never ran). */
  public async result(name: string): Promise<LocalRunResult | undefined> {
    return this.details.get(name)?.run;
  }

  /** The history recorded for an execution (Step Functions' event types). */
  public history(name: string): HistoryEvent[] {
    return this.details.get(name)?.history ?? [];
  }

  private pickUp(): void {
    const runner = this.runner;
    if (!runner) return;
    for (const execution of this.executions.values()) {
      if (execution.status === 'RUNNING' && !this.details.get(execution.name)?.run) void this.run(execution.name, runner);
    }
  }

  private detailsOf(name: string): ExecutionDetails {
    let details = this.details.get(name);
    if (!details) {
      details = { startDate: new Date(), history: [] };
      this.details.set(name, details);
    }
    return details;
  }

  private requireStateMachine(arn: string | undefined): void {
    if (arn !== this.stateMachineArn) {
      throw new StateMachineDoesNotExist({ message: `State Machine Does Not Exist: '${arn}'`, $metadata: { httpStatusCode: 400 } });
    }
  }

  private requireExecution(arn: string | undefined): StartedExecution {
    const execution = [...this.executions.values()].find((e) => e.arn === arn);
    if (!execution) throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${arn}'`, $metadata: { httpStatusCode: 400 } });
    return execution;
  }

  private install(sfnMock: AwsClientStub<SFNClient>, handle: Handle): void {
    sfnMock.on(ListExecutionsCommand).callsFake(
      handle('StepFunctions', 'ListExecutions', (input: ListExecutionsCommandInput) => {
        this.requireStateMachine(input.stateMachineArn);
        this.pickUp();
        const newestFirst = [...this.executions.values()].reverse().filter((e) => !input.statusFilter || e.status === input.statusFilter);
        const start = Number(input.nextToken ?? 0);
        const size = input.maxResults || 100;
        return {
          executions: newestFirst.slice(start, start + size).map((e) => {
            const details = this.detailsOf(e.name);
            return { executionArn: e.arn, stateMachineArn: this.stateMachineArn, name: e.name, status: e.status, startDate: details.startDate, stopDate: details.stopDate };
          }),
          nextToken: start + size < newestFirst.length ? String(start + size) : undefined,
        };
      }),
    );

    sfnMock.on(StopExecutionCommand).callsFake(
      handle('StepFunctions', 'StopExecution', (input: StopExecutionCommandInput) => {
        const execution = this.requireExecution(input.executionArn);
        this.stop(execution.name);
        return { stopDate: new Date() };
      }),
    );

    sfnMock.on(DescribeExecutionCommand).callsFake(
      handle('StepFunctions', 'DescribeExecution', (input: DescribeExecutionCommandInput) => {
        const execution = this.requireExecution(input.executionArn);
        this.pickUp();
        const details = this.detailsOf(execution.name);
        return {
          executionArn: execution.arn,
          stateMachineArn: this.stateMachineArn,
          name: execution.name,
          status: execution.status,
          startDate: details.startDate,
          stopDate: details.stopDate,
          input: execution.input,
          output: details.output,
          error: details.error,
          cause: details.cause,
        };
      }),
    );

    sfnMock.on(GetExecutionHistoryCommand).callsFake(
      handle('StepFunctions', 'GetExecutionHistory', (input: GetExecutionHistoryCommandInput) => {
        const execution = this.requireExecution(input.executionArn);
        this.pickUp();
        const history = this.detailsOf(execution.name).history;
        const ordered = input.reverseOrder ? [...history].reverse() : history;
        const start = Number(input.nextToken ?? 0);
        const size = input.maxResults || 1000;
        return {
          events: structuredClone(ordered.slice(start, start + size)),
          nextToken: start + size < ordered.length ? String(start + size) : undefined,
        };
      }),
    );
  }
}

export { SimulatedExecutions, historyConverter };
export type { ExecutionRunner, StartedExecution, ExecutionStatus, ExecutionStatusChange };
