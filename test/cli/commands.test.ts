import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchClient } from '@aws-sdk/client-batch';
import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, type TaskDefinition } from '@aws-sdk/client-ecs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { Deployment } from '../../functions/shared/deployment';
import { imageRef } from '../../functions/shared/image';
import { deploymentOfTarget } from '../support/deployments';
import { linesOf, runCli } from './support';

/**
 * The CLI against AWS as aws-sdk-client-mock plays it (every client intercepted
 * by class): what it sends, what it prints, and its exit codes. The repository's
 * deployments.yml is read.
 */

const sfnMock = mockClient(SFNClient);
const ecrMock = mockClient(ECRClient);
const ecsMock = mockClient(ECSClient);
const batchMock = mockClient(BatchClient);
const lambdaMock = mockClient(LambdaClient);
const mocks = [sfnMock, ecrMock, ecsMock, batchMock, lambdaMock];

const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:ecr-deployer-prod-deploy';
const V130 = `sha256:${'13'.repeat(32)}`;
const V140 = `sha256:7f5b2640fe6f${'a'.repeat(52)}`;
const NAME = 'manual-stream-ml-service-7f5b2640fe6f-20261123T101505Z';
const EXECUTION = `arn:aws:states:us-east-1:123456789012:execution:ecr-deployer-prod-deploy:${NAME}`;
const T0 = Date.parse('2026-11-23T10:15:05.000Z');

const taskDefinitionArn = (family: string, revision: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:${revision}`;
const functionArn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:ecr-deployer-prod-${name}`;

beforeEach(() => {
  for (const mock of mocks) mock.reset();
});

afterAll(() => {
  for (const mock of mocks) mock.restore();
});

function ecrHas(digest: string, tags: string[]): void {
  ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ registryId: '123456789012', repositoryName: 'stream-ml-service', imageDigest: digest, imageTags: tags }] });
}

/** A deployment state of stream-ml-service as the steps grow it. */
function state(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    deployment: deploymentOfTarget(
      { name: 'stream-ml-service', repository: 'stream-ml-service', tags: ['v*'], environment: 'prod', ecs: { cluster: 'emotional-parrot', service: 'stream-ml-service-1' } },
      imageRef(REGISTRY, 'stream-ml-service', V140, 'v1.4.0'),
      { id: NAME, executionArn: EXECUTION, startedAt: '2026-11-23T10:15:05.000Z', trigger: { kind: 'manual' } },
    ),
    ...extra,
  };
}

const ecsProgress = {
  cluster: 'emotional-parrot',
  service: 'stream-ml-service-1',
  serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/emotional-parrot/stream-ml-service-1',
  previousTaskDefinitionArn: taskDefinitionArn('stream-ml-service', 7),
  pollSeconds: 15,
  rolloutDeadline: '2026-11-23T10:30:05.000Z',
  circuitBreaker: { enable: false, rollback: false },
  containers: [{ name: 'stream-ml-service', target: 'stream-ml-service', previousImage: `${REGISTRY}/stream-ml-service@${V130}`, image: `${REGISTRY}/stream-ml-service@${V140}` }],
  newTaskDefinitionArn: taskDefinitionArn('stream-ml-service', 8),
  deploymentId: 'ecs-svc/1234',
};

/** Step Functions history events, ids and times in order. */
class History {
  public readonly events: HistoryEvent[] = [];

  public add(event: Omit<HistoryEvent, 'id' | 'timestamp'>): this {
    const id = this.events.length + 1;
    this.events.push({ ...event, id, previousEventId: id - 1, timestamp: new Date(T0 + id * 1000) } as HistoryEvent);
    return this;
  }

  public task(name: string, output: unknown, resource = functionArn(name)): this {
    return this.add({ type: 'TaskStateEntered', stateEnteredEventDetails: { name, input: '{}' } })
      .add({ type: 'LambdaFunctionScheduled', lambdaFunctionScheduledEventDetails: { resource, input: '{}' } })
      .add({ type: 'LambdaFunctionSucceeded', lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output) } })
      .add({ type: 'TaskStateExited', stateExitedEventDetails: { name, output: JSON.stringify(output) } });
  }

  public failingTask(name: string, error: string, message: string, resource = functionArn(name)): this {
    return this.add({ type: 'TaskStateEntered', stateEnteredEventDetails: { name, input: '{}' } })
      .add({ type: 'LambdaFunctionScheduled', lambdaFunctionScheduledEventDetails: { resource, input: '{}' } })
      .add({ type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: { error, cause: JSON.stringify({ errorType: error, errorMessage: message }) } });
  }
}

function successfulRun(): History {
  const rolloutOf = (status: string, running: number) => ({ status, runningCount: running, desiredCount: 2, pendingCount: 2 - running, checkedAt: '2026-11-23T10:16:00.000Z' });
  return new History()
    .add({ type: 'ExecutionStarted', executionStartedEventDetails: { input: '{}' } })
    .task('ResolveDeployment', state())
    .task('AnnounceStarted', state())
    .failingTask('EcsDeployNewRevision', 'AwsTransientError', 'EcsDeployNewRevision: ThrottlingException: Rate exceeded')
    .add({ type: 'LambdaFunctionScheduled', lambdaFunctionScheduledEventDetails: { resource: functionArn('EcsDeployNewRevision') } })
    .add({ type: 'LambdaFunctionSucceeded', lambdaFunctionSucceededEventDetails: { output: '{}' } })
    .add({ type: 'TaskStateExited', stateExitedEventDetails: { name: 'EcsDeployNewRevision', output: JSON.stringify(state({ ecs: ecsProgress })) } })
    .task('EcsCheckRollout', state({ ecs: ecsProgress, rollout: rolloutOf('IN_PROGRESS', 1) }))
    .task('EcsCheckRollout', state({ ecs: ecsProgress, rollout: rolloutOf('IN_PROGRESS', 1) }))
    .task('EcsCheckRollout', state({ ecs: ecsProgress, rollout: rolloutOf('COMPLETED', 2) }))
    .task('EcsVerifyRunningImage', state({ ecs: ecsProgress, verification: { verifiedTasks: 2, digests: [V140] } }))
    .task('RunSmokeTests', state({ ecs: ecsProgress, smoke: { checks: [{ passed: true, attempts: 1, lastResult: 'GET http://lb/health → 200 in 12 ms' }], allPassed: true, retryAfterSeconds: 10 } }))
    .task('PublishSucceeded', state({ ecs: ecsProgress }))
    .add({ type: 'SucceedStateEntered', stateEnteredEventDetails: { name: 'DeploymentSucceeded', input: '{}' } })
    .add({ type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: JSON.stringify(state({ ecs: ecsProgress })) } });
}

function rolledBackRun(): History {
  const rolledBack = state({ ecs: { ...ecsProgress, rollback: { action: 'updated-service', taskDefinitionArn: taskDefinitionArn('stream-ml-service', 7), deadline: 'x' } } });
  return new History()
    .add({ type: 'ExecutionStarted', executionStartedEventDetails: { input: '{}' } })
    .task('ResolveDeployment', state())
    .task('EcsDeployNewRevision', state({ ecs: ecsProgress }))
    .failingTask('RunSmokeTests', 'SmokeTestFailed', 'GET http://lb/health → 500 (expected 200) (after 5 attempts)', functionArn('run-smoke-tests'))
    .add({ type: 'TaskStateExited', stateExitedEventDetails: { name: 'RunSmokeTests', output: JSON.stringify(state({ ecs: ecsProgress })) } })
    .task('EcsRollBackService', rolledBack)
    .task('EcsCheckRollback', { ...rolledBack, rollbackRollout: { status: 'COMPLETED', runningCount: 2, desiredCount: 2, pendingCount: 0, checkedAt: 'x' } })
    .add({ type: 'FailStateEntered', stateEnteredEventDetails: { name: 'DeploymentRolledBack', input: JSON.stringify(rolledBack) } })
    .add({ type: 'ExecutionFailed', executionFailedEventDetails: { error: 'SmokeTestFailed', cause: 'x' } });
}

/** DescribeExecution says RUNNING, then the final status; the history grows from half to all of it. */
function execution(history: History, final: { status: 'SUCCEEDED' | 'FAILED'; error?: string; cause?: string }): void {
  const half = Math.floor(history.events.length / 2);
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date(T0) });
  sfnMock
    .on(DescribeExecutionCommand)
    .resolvesOnce({ executionArn: EXECUTION, name: NAME, status: 'RUNNING', startDate: new Date(T0) })
    .resolves({ executionArn: EXECUTION, name: NAME, startDate: new Date(T0), stopDate: new Date(T0 + 96_000), ...final });
  sfnMock.on(GetExecutionHistoryCommand).resolvesOnce({ events: history.events.slice(0, half) }).resolves({ events: history.events });
}

describe('deploy', () => {
  it('looks the tag up in ECR, then starts a uniquely named execution with the target, tag and digest', async () => {
    ecrHas(V140, ['v1.4.0']);
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date(T0) });

    const result = await runCli(['deploy', '--no-wait', 'stream-ml-service', '--tag', 'v1.4.0', '--state-machine-arn', STATE_MACHINE]);

    expect(result.code).toBe(0);
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, { repositoryName: 'stream-ml-service', imageIds: [{ imageTag: 'v1.4.0' }] });
    const start = sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(start).toMatchObject({ stateMachineArn: STATE_MACHINE, name: NAME });
    expect(start?.name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(JSON.parse(start?.input ?? '{}')).toEqual({
      target: 'stream-ml-service',
      tag: 'v1.4.0',
      digest: V140,
      trigger: { kind: 'manual', requestedBy: expect.stringContaining('(ecr-deployer CLI)') },
    });
    expect(result.stdout).toContain('deploy stream-ml-service: stream-ml-service v1.4.0 @ sha256:7f5b2640fe6f');
    expect(result.stdout).toContain(`https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXECUTION}`);
    expect(result.stdout).toContain(`follow it: npx ecr-deployer watch ${NAME}`);
  });

  it('by digest, sends the digest alone and lets the state machine record the tag', async () => {
    ecrHas(V140, ['v1.4.0']);
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION });

    const result = await runCli(['deploy', '--no-wait', 'stream-ml-service', '--digest', V140, '--state-machine-arn', STATE_MACHINE]);

    expect(result.code).toBe(0);
    expect(JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}')).toMatchObject({ target: 'stream-ml-service', digest: V140 });
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, { imageIds: [{ imageDigest: V140 }] });
  });

  it('follows the deployment without being asked (--wait is the default)', async () => {
    ecrHas(V140, ['v1.4.0']);
    execution(successfulRun(), { status: 'SUCCEEDED' });

    const result = await runCli(['deploy', 'stream-ml-service', '--tag', 'v1.4.0', '--state-machine-arn', STATE_MACHINE]);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✔ SUCCEEDED in .+ — stream-ml-service-1 runs stream-ml-service:8/);
  });

  it('with --timeout, stops following a deployment still running, says it goes on, exit code 1', async () => {
    ecrHas(V140, ['v1.4.0']);
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date(T0) });
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, name: NAME, status: 'RUNNING', startDate: new Date(T0) });
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: successfulRun().events.slice(0, 6) });
    let clock = Date.parse('2026-11-23T10:15:05.000Z');

    const result = await runCli(['deploy', 'stream-ml-service', '--tag', 'v1.4.0', '--timeout', '30', '--state-machine-arn', STATE_MACHINE], { now: () => new Date((clock += 10_000)) });

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/… still RUNNING after 30 s \(--timeout\): it goes on; follow it again with npx ecr-deployer watch manual-stream-ml-service-7f5b2640fe6f-\d{8}T\d{6}Z\n/);
    expect(sfnMock.commandCalls(DescribeExecutionCommand).length).toBeLessThanOrEqual(4);
  });

  it('with --wait, follows the phases and ends with the outcome and exit code 0', async () => {
    ecrHas(V140, ['v1.4.0']);
    execution(successfulRun(), { status: 'SUCCEEDED' });

    const result = await runCli(['deploy', 'stream-ml-service', '--tag', 'v1.4.0', '--wait', '--state-machine-arn', STATE_MACHINE]);

    expect(result.code).toBe(0);
    const lines = linesOf(result.stdout);
    expect(lines).toEqual(
      expect.arrayContaining([
        '  resolve         stream-ml-service v1.4.0 @ sha256:7f5b2640fe6f (ecs emotional-parrot/stream-ml-service-1)',
        '  update service  ✗ AwsTransientError: EcsDeployNewRevision: ThrottlingException: Rate exceeded',
        '  update service  ↻ retried after a transient error',
        '  update service  service stream-ml-service:7 (the rollback target) → stream-ml-service:8 (ECS deployment ecs-svc/1234); stream-ml-service: stream-ml-service@sha256:131313131313 → stream-ml-service@sha256:7f5b2640fe6f',
        '  rollout         IN_PROGRESS: 1/2 tasks running',
        '  rollout         COMPLETED: 2/2 tasks running',
        '  verify image    2 task(s) run sha256:7f5b2640fe6f',
        '  smoke test      pass: GET http://lb/health → 200 in 12 ms',
        '✔ SUCCEEDED in 1m 36s — stream-ml-service-1 runs stream-ml-service:8 (v1.4.0 @ sha256:7f5b2640fe6f)',
      ]),
    );
    expect(lines.filter((line) => line.includes('IN_PROGRESS: 1/2'))).toHaveLength(1);
    expect(lines.filter((line) => line.includes(' resolve '))).toHaveLength(1);
    expect(result.stdout).not.toContain('\x1b');
  });

  it('with --wait on a terminal, redraws a live status line in place and clears it', async () => {
    ecrHas(V140, ['v1.4.0']);
    execution(successfulRun(), { status: 'SUCCEEDED' });

    const result = await runCli(['deploy', 'stream-ml-service', '--tag', 'v1.4.0', '--wait', '--state-machine-arn', STATE_MACHINE], { tty: true });

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\r\x1b\[2K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] \S/);
    // Cleared before the next permanent line, and nothing left behind at the end.
    expect(result.stdout).toMatch(/\r\x1b\[2K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] [^\r\n]*\r\x1b\[2K {2}\+\d+s\s+rollout/);
    expect(result.stdout.slice(result.stdout.lastIndexOf('\x1b'))).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    expect(result.stdout).toMatch(/\n\x1b\[32m✔ SUCCEEDED in 1m 36s — stream-ml-service-1 runs stream-ml-service:8 [^\n]*\x1b\[0m\n/);
  });

  it('colours outcomes only on a terminal, and not with NO_COLOR', async () => {
    ecrHas(V140, ['v1.4.0']);
    execution(successfulRun(), { status: 'SUCCEEDED' });
    const noColour = await runCli(['deploy', 'stream-ml-service', '--tag', 'v1.4.0', '--state-machine-arn', STATE_MACHINE], { tty: true, env: { NO_COLOR: '1' } });
    execution(successfulRun(), { status: 'SUCCEEDED' });
    const piped = await runCli(['deploy', 'stream-ml-service', '--tag', 'v1.4.0', '--state-machine-arn', STATE_MACHINE]);

    expect(noColour.stdout).toContain('\n✔ SUCCEEDED in');
    expect(noColour.stdout).not.toContain('\x1b[32m');
    expect(piped.stdout).not.toMatch(/\x1b\[/);
  });

  it('with --wait, a rolled-back deployment ends with the reason, where to look, and exit code 1', async () => {
    ecrHas(V140, ['v1.4.0']);
    execution(rolledBackRun(), {
      status: 'FAILED',
      error: 'SmokeTestFailed',
      cause: JSON.stringify({ errorType: 'SmokeTestFailed', errorMessage: 'GET http://lb/health → 500 (expected 200) (after 5 attempts)' }),
    });

    const result = await runCli(['deploy', 'stream-ml-service', '--tag', 'v1.4.0', '--wait', '--state-machine-arn', STATE_MACHINE]);

    expect(result.code).toBe(1);
    expect(linesOf(result.stdout)).toEqual(
      expect.arrayContaining([
        '  smoke test      ✗ SmokeTestFailed: GET http://lb/health → 500 (expected 200) (after 5 attempts)',
        '  rollback        service → stream-ml-service:7 (the recorded revision)',
        '✘ ROLLED BACK (failed, then restored) in 1m 36s — SmokeTestFailed: GET http://lb/health → 500 (expected 200) (after 5 attempts)',
        '  stream-ml-service-1 is back on stream-ml-service:7: the failed image is not running.',
        '    step logs          CloudWatch log group /aws/lambda/ecr-deployer-prod-run-smoke-tests',
        "    service events     aws ecs describe-services --cluster emotional-parrot --services stream-ml-service-1 --query 'services[0].events[:10]'",
      ]),
    );
    expect(result.stdout).toContain(`execution history  https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXECUTION}`);
  });

  it('finds the state machine of the stage when no ARN is given', async () => {
    ecrHas(V140, ['v1.4.0']);
    sfnMock.on(ListStateMachinesCommand).resolves({ stateMachines: [{ name: 'ecr-deployer-dev-deploy', stateMachineArn: 'arn:dev', type: 'STANDARD', creationDate: new Date() }, { name: 'ecr-deployer-prod-deploy', stateMachineArn: STATE_MACHINE, type: 'STANDARD', creationDate: new Date() }] });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION });

    const result = await runCli(['deploy', '--no-wait', 'stream-ml-service', '--tag', 'v1.4.0'], { env: { ECR_DEPLOYER_STAGE: 'prod' } });

    expect(result.code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE });
  });

  it('says to check the region, stage or ARN when the stage has no state machine here', async () => {
    ecrHas(V140, ['v1.4.0']);
    sfnMock.on(ListStateMachinesCommand).resolves({ stateMachines: [] });

    const result = await runCli(['deploy', '--no-wait', 'stream-ml-service', '--tag', 'v1.4.0']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: no state machine named ecr-deployer-dev-deploy in us-east-1');
    expect(result.stderr).toContain('Wrong region? Pass --region.');
    expect(result.stderr).toContain('--state-machine-arn / ECR_DEPLOYER_STATE_MACHINE_ARN');
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('names the stages deployed in the region when the default stage is not one of them', async () => {
    ecrHas(V140, ['v1.4.0']);
    sfnMock.on(ListStateMachinesCommand).resolves({ stateMachines: [{ name: 'ecr-deployer-prod-deploy', stateMachineArn: STATE_MACHINE, type: 'STANDARD', creationDate: new Date() }, { name: 'other-machine', stateMachineArn: 'arn:other', type: 'STANDARD', creationDate: new Date() }] });

    const result = await runCli(['deploy', '--no-wait', 'stream-ml-service', '--tag', 'v1.4.0']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: no state machine named ecr-deployer-dev-deploy in us-east-1');
    expect(result.stderr).toContain('This region has ecr-deployer-prod-deploy: pass --stage prod (or set ECR_DEPLOYER_STAGE).');
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('says the region may be wrong when the state machine does not exist', async () => {
    ecrHas(V140, ['v1.4.0']);
    sfnMock.on(StartExecutionCommand).rejects(new StateMachineDoesNotExist({ message: 'State Machine Does Not Exist', $metadata: {} }));

    const result = await runCli(['deploy', '--no-wait', 'stream-ml-service', '--tag', 'v1.4.0', '--state-machine-arn', STATE_MACHINE.replace('us-east-1', 'eu-west-1')]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not exist in eu-west-1');
    expect(result.stderr).toContain('Wrong region or account? Pass --region');
  });

  it('refuses an unknown target before calling AWS, naming the known ones', async () => {
    const result = await runCli(['deploy', '--no-wait', 'nope', '--tag', 'v1', '--state-machine-arn', STATE_MACHINE]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: unknown target: no target named "nope" in \S+deployments\.yml \(known: stream-ml-service, canvas-service/);
    expect(result.stderr).toContain('deploy the stack again');
    expect(mocks.every((mock) => mock.calls().length === 0)).toBe(true);
  });

  it('refuses a tag ECR does not have, without starting anything', async () => {
    ecrMock.on(DescribeImagesCommand).rejects(new ImageNotFoundException({ message: 'The image with imageId … does not exist', $metadata: {} }));

    const result = await runCli(['deploy', '--no-wait', 'stream-ml-service', '--tag', 'v9.9.9', '--state-machine-arn', STATE_MACHINE]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: ImageNotFound: ECR repository "stream-ml-service" has no image with tag "v9.9.9"');
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it.each([
    [['deploy', 'stream-ml-service'], 'say which image: --tag <tag> or --digest <sha256:…>'],
    [['deploy', 'stream-ml-service', '--tag', 'v1', '--digest', V140], 'give --tag or --digest, not both'],
    [['deploy', 'stream-ml-service', '--digest', 'abc'], '--digest must be sha256:<64 hex digits>'],
    [['deploy'], "missing required argument 'target'"],
    [['status', '--limit', '0'], 'must be a whole number of at least 1'],
  ])('refuses %j with exit code 2', async (argv, message) => {
    const result = await runCli([...argv, '--state-machine-arn', STATE_MACHINE]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('rollback', () => {
  it('shows what it will go back to, then starts a rollback execution', async () => {
    const previous = `stream-ml-service-${'7f5b2640fe6f'.padEnd(32, 'a')}`;
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: `${EXECUTION}-prev`, name: previous, stateMachineArn: STATE_MACHINE, status: 'SUCCEEDED', startDate: new Date(T0) }] });
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: `${EXECUTION}-prev`, name: previous, status: 'SUCCEEDED', input: '{}', output: JSON.stringify(state({ ecs: ecsProgress })) });
    ecrHas(V130, ['v1.3.0']);
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION });

    const result = await runCli(['rollback', '--no-wait', 'stream-ml-service', '--state-machine-arn', STATE_MACHINE]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`roll back stream-ml-service: undo ${previous} (v1.4.0 @ sha256:7f5b2640fe6f)`);
    expect(result.stdout).toContain('back to v1.3.0 @ sha256:131313131313, what stream-ml-service ran before it');
    const start = sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(start?.name).toBe('rollback-stream-ml-service-20261123T101505Z');
    expect(JSON.parse(start?.input ?? '{}')).toMatchObject({ target: 'stream-ml-service', rollback: true });
  });

  it('refuses with the reason when there is nothing to roll back to', async () => {
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });

    const result = await runCli(['rollback', '--no-wait', 'stream-ml-service', '--state-machine-arn', STATE_MACHINE]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('NoRollbackTarget: there is no successful deployment of stream-ml-service left to undo');
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('--to TAG deploys that tag under a rollback name', async () => {
    ecrHas(V130, ['v1.3.0']);
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION });

    const result = await runCli(['rollback', '--no-wait', 'stream-ml-service', '--to', 'v1.3.0', '--state-machine-arn', STATE_MACHINE]);

    expect(result.code).toBe(0);
    const start = sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(start?.name).toBe('rollback-stream-ml-service-131313131313-20261123T101505Z');
    expect(JSON.parse(start?.input ?? '{}')).toMatchObject({ target: 'stream-ml-service', tag: 'v1.3.0', digest: V130 });
  });
});

describe('status', () => {
  it('lists recent deployments: when, target, image, outcome, duration, trigger', async () => {
    const ok = `stream-ml-service-${'7f5b'.repeat(8)}`;
    const failed = 'manual-stream-ml-service-42b526eda7ef-20261123T110000Z';
    const arn = (name: string) => `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${name}`;
    sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        { executionArn: arn(failed), name: failed, stateMachineArn: STATE_MACHINE, status: 'FAILED', startDate: new Date(T0 + 3_600_000) },
        { executionArn: arn(ok), name: ok, stateMachineArn: STATE_MACHINE, status: 'SUCCEEDED', startDate: new Date(T0) },
      ],
    });
    sfnMock.on(DescribeExecutionCommand, { executionArn: arn(ok) }).resolves({
      executionArn: arn(ok), name: ok, status: 'SUCCEEDED', startDate: new Date(T0), stopDate: new Date(T0 + 154_000),
      input: JSON.stringify({ target: { name: 'stream-ml-service' }, image: { repository: 'stream-ml-service', digest: V140, tag: 'v1.4.0' }, trigger: { kind: 'ecr-push' } }),
      output: JSON.stringify(state({ ecs: ecsProgress })),
    });
    sfnMock.on(DescribeExecutionCommand, { executionArn: arn(failed) }).resolves({
      executionArn: arn(failed), name: failed, status: 'FAILED', startDate: new Date(T0 + 3_600_000), stopDate: new Date(T0 + 3_612_000),
      input: JSON.stringify({ target: 'stream-ml-service', tag: 'v1.4.1', trigger: { kind: 'manual' } }), error: 'SmokeTestFailed',
    });
    const failedState = state({ ecs: ecsProgress });
    (failedState.deployment as Deployment).changes[0]!.image = imageRef(REGISTRY, 'stream-ml-service', `sha256:42b526eda7ef${'b'.repeat(52)}`, 'v1.4.1');
    sfnMock.on(GetExecutionHistoryCommand, { executionArn: arn(failed) }).resolves({
      events: [
        { id: 9, timestamp: new Date(), type: 'ExecutionFailed', executionFailedEventDetails: { error: 'SmokeTestFailed' } },
        { id: 8, timestamp: new Date(), type: 'FailStateEntered', stateEnteredEventDetails: { name: 'DeploymentRolledBack', input: JSON.stringify(failedState) } },
      ],
    });

    // What runs now: the revision the successful deployment registered, since its ECS deployment began.
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [{ serviceName: 'stream-ml-service-1', status: 'ACTIVE', taskDefinition: taskDefinitionArn('stream-ml-service', 8), deployments: [{ status: 'PRIMARY', createdAt: new Date(T0 + 30_000) }] }],
    });
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { containerDefinitions: [{ name: 'stream-ml-service', image: `${REGISTRY}/stream-ml-service@${V140}` }, { name: 'sidecar', image: 'public.ecr.aws/x/y:1' }] } });

    const result = await runCli(['status', 'stream-ml-service', '--state-machine-arn', STATE_MACHINE]);

    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`now: stream-ml-service runs stream-ml-service:8 (stream-ml-service@sha256:7f5b2640fe6f) since 2026-11-23 10:15:35 UTC, by deployment ${ok}`);
    expect(lines[1]).toMatch(/^STARTED \(UTC\)\s+TARGET\s+IMAGE\s+OUTCOME\s+TOOK\s+BY\s+EXECUTION$/);
    expect(lines[2]).toMatch(new RegExp(`^2026-11-23 11:15:05  stream-ml-service  v1\\.4\\.1 @ sha256:42b526eda7ef  ROLLED BACK\\s+12s\\s+manual\\s+${failed}$`));
    expect(lines[3]).toMatch(new RegExp(`^2026-11-23 10:15:05  stream-ml-service  v1\\.4\\.0 @ sha256:7f5b2640fe6f  SUCCEEDED\\s+2m 34s\\s+push\\s+${ok}$`));
    expect(sfnMock).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: arn(failed), reverseOrder: true });

    // history: the same deployments, without reading the target.
    ecsMock.reset();
    const history = await runCli(['history', 'stream-ml-service', '--state-machine-arn', STATE_MACHINE, '--json']);
    expect(history.code).toBe(0);
    const document = JSON.parse(history.stdout) as { running?: unknown; deployments: { executionName: string; outcome: string }[] };
    expect(document.running).toBeUndefined();
    expect(document.deployments.map((d) => [d.executionName, d.outcome])).toEqual([[failed, 'ROLLED_BACK'], [ok, 'SUCCEEDED']]);
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('says so when there are no deployments', async () => {
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });

    const result = await runCli(['status', '--state-machine-arn', STATE_MACHINE]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('no deployments found among the 0 most recent executions');
  });
});

describe('watch', () => {
  it('says what to do when the execution does not exist', async () => {
    sfnMock.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${EXECUTION}'`, $metadata: {} }));

    const result = await runCli(['watch', NAME, '--state-machine-arn', STATE_MACHINE]);

    expect(result.code).toBe(1);
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXECUTION });
    expect(result.stderr).toContain('error: execution not found in us-east-1');
    expect(result.stderr).toContain('`ecr-deployer status`');
  });
});

describe('plan', () => {
  /** The short-drama backend's task definition as ECS describes it: two containers, from two repositories. */
  const shortDrama: TaskDefinition = {
    taskDefinitionArn: taskDefinitionArn('short-drama-backend', 12),
    family: 'short-drama-backend',
    revision: 12,
    status: 'ACTIVE',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    compatibilities: ['EC2', 'FARGATE'],
    cpu: '1024',
    memory: '2048',
    executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
    taskRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskRole',
    registeredAt: new Date(T0),
    containerDefinitions: [
      {
        name: 'canvas-service',
        image: `${REGISTRY}/canvas-service:v2.0.3`,
        essential: true,
        portMappings: [{ containerPort: 9000, protocol: 'tcp' }],
        secrets: [{ name: 'SUPABASE_KEY', valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:backend/supabase-key-AbCdEf' }],
      },
      {
        name: 'orchestrator',
        image: `${REGISTRY}/orchestrator:v1.8.0`,
        essential: true,
        environment: [{ name: 'GPU_QUEUE', value: 'gpu_tasks_queue' }],
        dependsOn: [{ containerName: 'canvas-service', condition: 'START' }],
      },
    ],
  };
  const V210 = `sha256:${'21'.repeat(32)}`;

  beforeEach(() => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'short-drama-backend', status: 'ACTIVE', taskDefinition: shortDrama.taskDefinitionArn }] });
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: shortDrama, tags: [{ key: 'team', value: 'drama' }] });
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ registryId: '123456789012', repositoryName: 'canvas-service', imageDigest: V210, imageTags: ['v2.1.0'] }] });
  });

  it('shows old and new image per container of a two-container task definition, only one changing', async () => {
    const result = await runCli(['plan', 'canvas-service', '--tag', 'v2.1.0']);

    expect(result.code).toBe(0);
    expect(ecsMock).toHaveReceivedCommandWith(DescribeServicesCommand, { cluster: 'short-drama-cluster', services: ['short-drama-backend'] });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, { taskDefinition: shortDrama.taskDefinitionArn, include: ['TAGS'] });
    expect(result.stdout.split('\n')).toEqual([
      'plan canvas-service (ecs): canvas-service v2.1.0 @ sha256:212121212121',
      `  image: ${REGISTRY}/canvas-service@${V210}`,
      '  live: short-drama-backend:12, the task definition service short-drama-backend runs',
      '  A deployment would register a new revision of short-drama-backend (from short-drama-backend:12) with:',
      `    ~ container canvas-service  image ${REGISTRY}/canvas-service:v2.0.3`,
      `                                   → ${REGISTRY}/canvas-service@${V210}`,
      `    = container orchestrator    image ${REGISTRY}/orchestrator:v1.8.0 (unchanged)`,
      '  Nothing else changes: every other field of short-drama-backend:12 is copied as it is.',
      "  Its tags are short-drama-backend:12's, with ecr-deployer:deployment-id set to the execution's name.",
      '  Then: service short-drama-backend → the new revision, wait for the rollout (up to 900 s), check the running digest, no smoke tests.',
      'Dry run: nothing was registered, updated or started.',
      '',
    ]);
  });

  it('with --json, prints one document: the live revision and each container, old and new image', async () => {
    const result = await runCli(['plan', 'canvas-service', '--tag', 'v2.1.0', '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      target: 'canvas-service',
      kind: 'ecs',
      image: { repository: 'canvas-service', tag: 'v2.1.0', digest: V210, uri: `${REGISTRY}/canvas-service@${V210}` },
      live: 'short-drama-backend:12',
      images: [
        { name: 'canvas-service', before: `${REGISTRY}/canvas-service:v2.0.3`, after: `${REGISTRY}/canvas-service@${V210}`, changes: true },
        { name: 'orchestrator', before: `${REGISTRY}/orchestrator:v1.8.0`, after: `${REGISTRY}/orchestrator:v1.8.0`, changes: false },
      ],
      otherChanges: [],
      then: 'service short-drama-backend → the new revision, wait for the rollout (up to 900 s), check the running digest, no smoke tests',
      wouldFail: null,
    });
  });

  it('makes only Describe calls: nothing is registered, updated or started', async () => {
    await runCli(['plan', 'canvas-service', '--tag', 'v2.1.0']);

    const commands = mocks.flatMap((mock) => mock.calls().map((call) => (call.args[0] as object).constructor.name));
    expect(commands.sort()).toEqual(['DescribeImagesCommand', 'DescribeServicesCommand', 'DescribeTaskDefinitionCommand']);
  });

  it('says where a deployment would stop, and exits 1, when no container takes the image', async () => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'stream-ml-service-1', status: 'ACTIVE', taskDefinition: shortDrama.taskDefinitionArn }] });
    ecrHas(V140, ['v1.4.0']);

    const result = await runCli(['plan', 'stream-ml-service', '--tag', 'v1.4.0']);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('A deployment would stop here, before changing anything: ContainerNotFound: no container of short-drama-backend runs an image from repository');
    expect(result.stdout).toContain('Dry run: nothing was registered, updated or started.');

    const json = await runCli(['plan', 'stream-ml-service', '--tag', 'v1.4.0', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ live: 'short-drama-backend:12', images: [], wouldFail: expect.stringMatching(/^ContainerNotFound: /) });
  });
});

describe('validate', () => {
  it('checks deployments.yml and lists its targets', async () => {
    const result = await runCli(['validate']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/deployments\.yml is valid: \d+ target\(s\)\./);
    expect(result.stdout).toMatch(/ {2}stream-ml-service\s+ecs emotional-parrot\/stream-ml-service-1\s+stream-ml-service \[main-\*, v\*\]\s+prod\s+1 smoke test\(s\)/);
    expect(result.stdout).toMatch(/ {2}splitter\s+batch upscaler-splitter-job-dev\s+upscaler-splitter-dev-ecr \[\*\]\s+dev/);
  });

  it('exits 1 with the ConfigError naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecr-deployer-validate-'));
    const file = join(dir, 'deployments.yml');
    writeFileSync(file, 'targets:\n  - name: web\n    repository: web\n    ecs: { cluster: main }\n');

    const result = await runCli(['validate', '--file', file]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: ConfigError: ${file} is invalid:`);
    expect(result.stderr).toContain('targets[0].ecs.service');
  });
});

describe('endpoints', () => {
  it('sends every call to --endpoint-url', async () => {
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });

    await runCli(['status', '--endpoint-url', 'http://127.0.0.1:4566', '--state-machine-arn', STATE_MACHINE]);

    const client = sfnMock.send.getCall(0).thisValue as SFNClient;
    expect(await client.config.endpoint?.()).toMatchObject({ hostname: '127.0.0.1', port: 4566, protocol: 'http:' });
  });

  it('takes the endpoint from AWS_ENDPOINT_URL too', async () => {
    ecrHas(V140, ['v1.4.0']);
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION });

    const result = await runCli(['deploy', '--no-wait', 'stream-ml-service', '--tag', 'v1.4.0', '--state-machine-arn', STATE_MACHINE], { env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:4567' } });

    const client = ecrMock.send.getCall(0).thisValue as ECRClient;
    expect(await client.config.endpoint?.()).toMatchObject({ hostname: '127.0.0.1', port: 4567 });
    expect(result.stdout).not.toContain('console.aws.amazon.com');
  });
});
