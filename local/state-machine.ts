import './polyfills';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { deployDefinitionJson } from '../statemachines/definition';
import { handler as batchSteps } from '../functions/handlers/batch-steps';
import { handler as deploymentCoordinator } from '../functions/handlers/deployment-coordinator';
import { handler as ecsSteps } from '../functions/handlers/ecs-steps';
import { handler as lambdaSteps } from '../functions/handlers/lambda-steps';
import { handler as smokeTests } from '../functions/handlers/smoke-tests';

type StepHandler = (input: never) => Promise<unknown>;
/** aws-local-stepfunctions passes and expects JSON values. */
type JsonValue = Parameters<StateMachine['run']>[0];
type LocalTaskHandler = (input: JsonValue) => Promise<JsonValue>;

/**
 * Every step Lambda (function group) of the state machine, by the name its ARN placeholder uses in
 * statemachines/deploy.asl.yaml (`${<Name>FunctionArn}`) and serverless.yml.
 */
const STEP_HANDLERS: Record<string, StepHandler> = {
  DeploymentCoordinator: deploymentCoordinator,
  EcsSteps: ecsSteps,
  BatchSteps: batchSteps,
  LambdaSteps: lambdaSteps,
  SmokeTests: smokeTests,
};

const PLACEHOLDER = /\$\{([A-Za-z0-9]+)FunctionArn\}/g;

interface TaskState {
  Type: string;
  Resource?: string;
}

function localFunctionArn(name: string): string {
  return `arn:aws:lambda:us-east-1:123456789012:function:ecr-deployer-local-${name}`;
}

/** The deployed definition with every `${…FunctionArn}` substituted, as CloudFormation would. */
function loadDeployDefinition(): StateMachineDefinition {
  const text = deployDefinitionJson().replace(PLACEHOLDER, (_, name: string) => {
    if (!STEP_HANDLERS[name]) throw new Error(`statemachines/deploy.asl.yaml refers to \${${name}FunctionArn}, but no step handler is named ${name}`);
    return localFunctionArn(name);
  });
  return JSON.parse(text) as StateMachineDefinition;
}

/**
 * Wraps every invocation of a Task state's Lambda, as the fault matrix does: it
 * may fail the invocation before or after the real handler ran (`invoke`).
 */
/** Wraps a Task state's handler: `invoke` runs it; `input` is what it was given (after Parameters). */
type TaskInterceptor = (stateName: string, invoke: () => Promise<JsonValue>, input: JsonValue) => Promise<JsonValue>;

/** Binds each Task state to the real handler behind the Lambda its Resource names. */
function localTaskHandlers(definition: StateMachineDefinition, intercept?: TaskInterceptor): Record<string, LocalTaskHandler> {
  const byArn = new Map(Object.entries(STEP_HANDLERS).map(([name, handler]) => [localFunctionArn(name), handler]));
  const bound: Record<string, LocalTaskHandler> = {};
  for (const [stateName, state] of Object.entries(definition.States as Record<string, TaskState>)) {
    if (state.Type !== 'Task') continue;
    const handler = byArn.get(state.Resource ?? '');
    if (!handler) throw new Error(`Task state ${stateName} has resource ${state.Resource}, which no step handler serves`);
    const invoke = async (input: JsonValue) => (await handler(input as never)) as JsonValue;
    bound[stateName] = intercept ? (input: JsonValue) => intercept(stateName, () => invoke(input), input) : invoke;
  }
  return bound;
}

interface LocalRunOptions {
  executionName: string;
  /**
   * Milliseconds every Wait state and every Retry pause lasts locally (default 0);
   * `as-defined`: the seconds the definition says (on a virtual clock, as the benchmark runs it).
   */
  waitMs?: number | 'as-defined';
  /** Called with each event as it happens (the simulated Step Functions history follows a run live). */
  onEvent?: (event: ExecutionEvent) => void;
  /** StopExecution: the run ends ABORTED. */
  signal?: AbortSignal;
  /** Around every Lambda invocation (the fault matrix injects its faults here). */
  intercept?: TaskInterceptor;
}

/** The parts of aws-local-stepfunctions' event log the timeline reads. */
interface ExecutionEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  Error?: string;
  Cause?: unknown;
  /** ExecutionStarted's input, ExecutionSucceeded's output. */
  input?: unknown;
  output?: unknown;
}

interface LocalRunResult {
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  output?: unknown;
  error?: string;
  cause?: string;
  events: ExecutionEvent[];
}

let loaded: { definition: StateMachineDefinition; stateMachine: StateMachine } | undefined;

/** The definition, read and validated once per process: every execution runs the same one. */
function deployStateMachine(): { definition: StateMachineDefinition; stateMachine: StateMachine } {
  if (!loaded) {
    const definition = loadDeployDefinition();
    loaded = { definition, stateMachine: new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } }) };
  }
  return loaded;
}

/** Runs the real deploy state machine locally; Task states call the real handlers in-process. */
async function runDeployStateMachine(input: JsonValue, options: LocalRunOptions): Promise<LocalRunResult> {
  const { definition, stateMachine } = deployStateMachine();
  const waitMs = options.waitMs ?? 0;
  const states = Object.entries(definition.States as Record<string, TaskState>);
  const overridden = (type: string) => (waitMs === 'as-defined' ? {} : Object.fromEntries(states.filter(([, s]) => s.Type === type).map(([name]) => [name, waitMs])));
  const execution = stateMachine.run(input, {
    overrides: {
      taskResourceLocalHandlers: localTaskHandlers(definition, options.intercept),
      waitTimeOverrides: overridden('Wait'),
      retryIntervalOverrides: overridden('Task'),
    },
    context: {
      Execution: {
        Id: `arn:aws:states:us-east-1:123456789012:execution:ecr-deployer-deploy:${options.executionName}`,
        Name: options.executionName,
      },
    },
  });
  const events: ExecutionEvent[] = [];
  let aborted = false;
  options.signal?.addEventListener('abort', () => {
    aborted = true;
    execution.abort();
  });
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      events.push(event as ExecutionEvent);
      options.onEvent?.(event as ExecutionEvent);
    }
  })();
  try {
    const output = await execution.result;
    await collecting;
    return { status: 'SUCCEEDED', output, events };
  } catch (error) {
    await collecting;
    if (aborted) return { status: 'ABORTED', events };
    // ExecutionError wraps the Fail state's (or the uncaught) error in `cause`.
    const failure = ((error as Error).cause ?? error) as Error;
    return { status: 'FAILED', error: failure.name, cause: failure.message, events };
  }
}

export { STEP_HANDLERS, loadDeployDefinition, localTaskHandlers, runDeployStateMachine, localFunctionArn };
export type { LocalRunOptions, LocalRunResult, ExecutionEvent, TaskInterceptor };
