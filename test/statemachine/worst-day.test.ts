import { TERMINAL_EVENT_NOT_PUBLISHED } from '../../functions/events/deployment-events';
import { taskDefinitionLabel } from '../../functions/ecs/task-definition';
import { logger } from '../../functions/shared/logger';
import { readSlot } from '../../functions/slots/store';
import { ML_INFERENCE_CURRENT_DIGEST, STREAM_ML_CURRENT_DIGEST } from '../../local/sample-world';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import type { TaskInterceptor } from '../../local/state-machine';
import {
  createTestWorld,
  digest,
  eventStatuses,
  executionInput,
  ML_INFERENCE,
  mlInferenceTarget,
  runDeployment,
  settle,
  SPLITTER,
  splitterTarget,
  startExecution,
  statesEntered,
  STREAM_ML,
  streamMlTarget,
  useDeploymentsFile,
} from '../support/world';

/**
 * One test per way a deployment used to go wrong on a bad day (a timeout, a
 * crash, an error that would not go away), on the real state machine and
 * handlers against the simulated account.
 */

const NEW_DIGEST = digest('v1.4.0');
let account: SimulatedAwsAccount;

afterEach(() => {
  account.restore();
});

/**
 * Fails `state` with `error` on its next `times` invocations: before the step
 * runs, or once it has run (`after`), as Step Functions reports a Lambda that
 * did not answer.
 */
function failing(state: string, error: string, times = 1, when: 'before' | 'after' = 'before'): TaskInterceptor {
  let left = times;
  return async (name, invoke) => {
    if (name !== state || left <= 0) return invoke();
    left -= 1;
    if (when === 'after') await invoke();
    throw Object.assign(new Error(`${error} (injected)`), { name: error });
  };
}

const runningLabel = () => taskDefinitionLabel(account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn ?? '');
const lastEvent = () => account.events.at(-1);

type WorldOptions = Parameters<typeof createTestWorld>[0];

const FINAL_EVENT_CASES: [state: string, status: string, arrange: () => void, world: WorldOptions][] = [
  ['PublishSucceeded', 'SUCCEEDED', () => undefined, {}],
  ['PublishRolledBack', 'ROLLED_BACK', () => account.setImageBehaviour(NEW_DIGEST, 'crashes'), { circuitBreaker: { enable: true, rollback: false } }],
  [
    'PublishRollbackFailed',
    'ROLLBACK_FAILED',
    () => {
      account.setImageBehaviour(NEW_DIGEST, 'crashes');
      account.setImageBehaviour(STREAM_ML_CURRENT_DIGEST, 'crashes');
    },
    { circuitBreaker: { enable: true, rollback: false } },
  ],
  ['PublishFailed', 'FAILED', () => account.failNext('UpdateService', 1, 'AccessDeniedException'), {}],
];

describe('a final event', () => {
  it.each(FINAL_EVENT_CASES)('is published after %s times out (States.Timeout, then Sandbox.Timedout)', async (state, status, arrange, world) => {
    const timeouts: TaskInterceptor[] = [failing(state, 'States.Timeout'), failing(state, 'Sandbox.Timedout')];
    account = await createTestWorld(world, { intercept: (name, invoke, input) => timeouts[0]!(name, () => timeouts[1]!(name, invoke, input), input) });
    arrange();

    const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));

    expect(statesEntered(result).filter((s) => s === state)).toHaveLength(1);
    expect(eventStatuses(account).filter((s) => s === status)).toEqual([status]);
    expect(lastEvent()).toMatchObject({ status });
  });

  it('that cannot be published at all leaves the execution telling the truth, and the release step logs it for the alarm', async () => {
    account = await createTestWorld();
    account.failNext('PutEvents', 1000, 'AccessDeniedException');
    const errors = jest.spyOn(logger, 'error');

    const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ terminalEventFailure: { Error: 'AccessDeniedException' }, slotRelease: { released: true } });
    expect(runningLabel()).toBe('stream-ml-service:2');
    expect(account.events).toEqual([]);
    expect(errors).toHaveBeenCalledWith(TERMINAL_EVENT_NOT_PUBLISHED, expect.objectContaining({ status: 'SUCCEEDED', error: 'AccessDeniedException' }));
  });
});

describe('resolving', () => {
  it('retries a timeout instead of rejecting the push: the deployment runs and says so', async () => {
    account = await createTestWorld({}, { intercept: failing('ResolveDeployment', 'States.Timeout', 2) });

    const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));

    expect(result.status).toBe('SUCCEEDED');
    expect(eventStatuses(account)).toEqual(['STARTED', 'SUCCEEDED']);
  });

  it('that keeps failing for a transient reason ends FAILED with an event for the target, not a rejection', async () => {
    account = await createTestWorld();
    useDeploymentsFile([streamMlTarget()]);
    account.failNext('DescribeImages', 1000, 'ServerException');

    const result = await startExecution(account, { target: 'stream-ml-service', tag: 'v1.4.0' });

    expect(result).toMatchObject({ status: 'FAILED', error: 'AwsTransientError' });
    expect(statesEntered(result)).toEqual(['WrapInput', 'ResolveDeployment', 'PublishResolveFailed', 'ReleaseAfterFailed', 'DeploymentFailed']);
    expect(account.events).toEqual([expect.objectContaining({ target: 'stream-ml-service', status: 'FAILED', phase: 'resolve', reason: expect.stringContaining('AwsTransientError') })]);
    expect(runningLabel()).toBe('stream-ml-service:1');
  });

  it.each([['a string'], [[1, 2, 3]], [7]])('refuses %j, which is JSON but not an object, with InvalidInput, changing nothing', async (input) => {
    account = await createTestWorld();
    useDeploymentsFile([streamMlTarget()]);

    const result = await startExecution(account, input);

    expect(result).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(result.cause).toMatch(/expected object, received (string|array|number)/);
    expect(result.cause).toContain('{"target": "<name>", "tag": "<tag>"}');
    expect(statesEntered(result)).toEqual(['WrapInput', 'ResolveDeployment', 'PublishRejected', 'ReleaseAfterRejected', 'RejectInput']);
    // No target is named: there is nobody to tell but the execution itself.
    expect(account.events).toEqual([]);
    expect(account.calls.filter((call) => call.startsWith('ECS.'))).toEqual([]);
  });
});

describe('rolling back an ECS service', () => {
  it('retries a timeout in EcsRollBackService: the failed revision does not keep serving', async () => {
    account = await createTestWorld({ circuitBreaker: { enable: true, rollback: false } }, { intercept: failing('EcsRollBackService', 'States.Timeout') });
    account.setImageBehaviour(NEW_DIGEST, 'crashes');

    const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));

    expect(result).toMatchObject({ status: 'FAILED', error: 'RolloutFailed' });
    expect(runningLabel()).toBe('stream-ml-service:1');
    expect(lastEvent()).toMatchObject({ status: 'ROLLED_BACK' });
  });

  it('judges a rollback whose check keeps timing out on what the service runs: back on the recorded revision is ROLLED_BACK', async () => {
    // Every check runs and then does not answer; the service meanwhile completes its rollback.
    account = await createTestWorld({ circuitBreaker: { enable: true, rollback: false } }, { intercept: failing('EcsCheckRollback', 'States.Timeout', 1000, 'after') });
    account.setImageBehaviour(NEW_DIGEST, 'crashes');

    const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));

    expect(statesEntered(result)).toContain('EcsJudgeRollback');
    expect(runningLabel()).toBe('stream-ml-service:1');
    expect(lastEvent()).toMatchObject({ status: 'ROLLED_BACK', current: expect.stringMatching(/stream-ml-service:1$/) });
    expect(lastEvent()?.reason).toContain('the service is back on stream-ml-service:1');
  });

  it('reports ROLLBACK_FAILED when the service is verifiably not back', async () => {
    // The deployment's own update goes through; the rollback's is refused, for good.
    const refuseRollback: TaskInterceptor = (name, invoke) => {
      if (name === 'EcsRollBackService') account.failNext('UpdateService', 1000, 'AccessDeniedException');
      return invoke();
    };
    account = await createTestWorld({ circuitBreaker: { enable: true, rollback: false } }, { intercept: refuseRollback });
    account.setImageBehaviour(NEW_DIGEST, 'crashes');

    const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));

    expect(result).toMatchObject({ status: 'FAILED', error: 'RollbackFailed' });
    expect(runningLabel()).toBe('stream-ml-service:2');
    expect(lastEvent()).toMatchObject({ status: 'ROLLBACK_FAILED' });
    expect(lastEvent()?.reason).toContain('the service runs stream-ml-service:2, not the recorded stream-ml-service:1');
  });
});

describe('clean-up that fails', () => {
  it('an orphan revision left ACTIVE is named in the FAILED event, with the command that removes it', async () => {
    account = await createTestWorld();
    account.failNext('UpdateService', 1, 'AccessDeniedException');
    account.failNext('DeregisterTaskDefinition', 1000, 'AccessDeniedException');

    const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));

    expect(result).toMatchObject({ status: 'FAILED', error: 'AccessDeniedException' });
    expect(runningLabel()).toBe('stream-ml-service:1');
    expect(lastEvent()).toMatchObject({ status: 'FAILED', cleanup: expect.stringContaining('stream-ml-service:2 was registered and may still be ACTIVE') });
    expect(lastEvent()?.cleanup).toContain('aws ecs deregister-task-definition --task-definition arn:aws:ecs:us-east-1:123456789012:task-definition/stream-ml-service:2');
  });

  it('a Batch test job that could not be stopped is named in the ROLLED_BACK event', async () => {
    // The test job is never seen to finish (its check keeps timing out), and Batch refuses to terminate it.
    account = await createTestWorld({}, { intercept: failing('BatchCheckTestJob', 'States.Timeout', 1000) });
    account.setImageBehaviour(digest('splitter-c0ffee1'), 'never-stabilises');
    account.failNext('TerminateJob', 1000, 'AccessDeniedException');

    const result = await runDeployment(executionInput(account, splitterTarget(), digest('splitter-c0ffee1'), 'c0ffee1'));

    expect(result.status).toBe('FAILED');
    expect(account.batch.latestActive(SPLITTER.jobDefinition)?.revision).toBe(2);
    expect(lastEvent()).toMatchObject({ status: 'ROLLED_BACK', cleanup: expect.stringMatching(/test job .* may still run: stopping it failed \(AccessDeniedException/) });
    expect(lastEvent()?.cleanup).toContain('aws batch terminate-job --job-id');
  });
});

describe('a Lambda function without an alias whose update fails', () => {
  it('ends ROLLED_BACK: Lambda kept the previous code, which the deployer checks', async () => {
    account = await createTestWorld();
    account.setImageBehaviour(digest('ml-inference-9a8b7c6'), 'crashes');

    const result = await runDeployment(executionInput(account, mlInferenceTarget({}, { alias: undefined }), digest('ml-inference-9a8b7c6'), '9a8b7c6'));

    expect(result).toMatchObject({ status: 'FAILED', error: 'RolloutFailed' });
    expect(account.lambda.function(ML_INFERENCE.function).resolvedImageUri).toContain(ML_INFERENCE_CURRENT_DIGEST);
    expect(lastEvent()).toMatchObject({ status: 'ROLLED_BACK', current: expect.stringContaining(ML_INFERENCE_CURRENT_DIGEST) });
    expect(lastEvent()?.reason).toContain('nothing to undo: Lambda kept the previous code');
    expect(account.calls.filter((call) => call === 'Lambda.UpdateFunctionCode')).toHaveLength(1);
  });
});

describe('a deployment stopped by hand (StopExecution)', () => {
  /**
   * Stops every running execution when `state` is entered, as a person at the console would.
   * The step's invocation goes on, as a Lambda does after its execution stopped; each test
   * waits for it, so that it ends within the test's world.
   */
  const invocationsAfterStop: Promise<unknown>[] = [];
  const stopAt =
    (state: string): TaskInterceptor =>
    (name, invoke) => {
      if (name !== state) return invoke();
      for (const execution of account.executions.keys()) account.stepFunctions.stop(execution);
      const invocation = invoke();
      invocationsAfterStop.push(invocation.catch(() => undefined));
      return invocation;
    };
  afterEach(async () => {
    await Promise.all(invocationsAfterStop.splice(0));
  });
  const slotOfStreamMl = () => readSlot(`ecs:${STREAM_ML.cluster}/${STREAM_ML.service}`, 'ecs');

  it('during the rollout ends with ROLLBACK_FAILED, since nothing rolled the service back, and frees the slot', async () => {
    account = await createTestWorld({}, { intercept: stopAt('EcsCheckRollout') });

    const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));
    await settle(account);

    expect(result.status).toBe('ABORTED');
    expect(eventStatuses(account)).toEqual(['STARTED', 'ROLLBACK_FAILED']);
    expect(lastEvent()).toMatchObject({ phase: 'rollout', previous: expect.stringMatching(/stream-ml-service:1$/) });
    expect(lastEvent()?.reason).toMatch(/^ExecutionStopped: the execution was stopped \(ABORTED\) in EcsCheckRollout, after the target may have changed, and nothing rolled it back/);
    expect((await slotOfStreamMl()).lease).toBeUndefined();
  });

  it('before anything changed ends with FAILED, saying so', async () => {
    account = await createTestWorld({}, { intercept: stopAt('HoldSlot') });

    const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));
    await settle(account);

    expect(result.status).toBe('ABORTED');
    // HoldSlot's invocation goes on after the stop: it may announce STARTED before the recovery
    // rule runs, never after it (the recovery ends the claim, and a late confirm holds nothing).
    expect(eventStatuses(account).filter((status) => status !== 'STARTED')).toEqual(['FAILED']);
    expect(lastEvent()?.status).toBe('FAILED');
    expect(lastEvent()?.reason).toBe('ExecutionStopped: the execution was stopped (ABORTED) in HoldSlot before anything changed');
    await Promise.all(invocationsAfterStop.splice(0));
    expect(lastEvent()?.status).toBe('FAILED');
    expect((await slotOfStreamMl()).lease).toBeUndefined();
    expect(runningLabel()).toBe('stream-ml-service:1');
  });

  it('after its last event was published adds none', async () => {
    account = await createTestWorld({}, { intercept: stopAt('ReleaseAfterSucceeded') });

    const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));
    await settle(account);

    expect(result.status).toBe('ABORTED');
    expect(eventStatuses(account)).toEqual(['STARTED', 'SUCCEEDED']);
    expect((await slotOfStreamMl()).lease).toBeUndefined();
  });
});
