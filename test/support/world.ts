import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionInput } from '../../functions/deployment/resolve';
import { createSampleWorld, ML_INFERENCE, SHORT_DRAMA, SPLITTER, STREAM_ML } from '../../local/sample-world';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { runDeployStateMachine, type LocalRunResult } from '../../local/state-machine';

/** Digests as ECR reports them: `sha256:` and 64 hex digits. */
function digest(seed: string): string {
  return `sha256:${Buffer.from(seed).toString('hex').padEnd(64, '0').slice(0, 64)}`;
}

type TargetSpec = Record<string, unknown>;

function streamMlTarget(overrides: TargetSpec = {}): TargetSpec {
  return {
    name: 'stream-ml-service',
    repository: 'stream-ml-service',
    tags: ['v*'],
    environment: 'prod',
    ecs: { cluster: STREAM_ML.cluster, service: STREAM_ML.service, passRoles: ['ecsTaskExecutionRole'] },
    rollout: { timeoutSeconds: 900, pollSeconds: 15 },
    ...overrides,
  };
}

function canvasServiceTarget(overrides: TargetSpec = {}): TargetSpec {
  return {
    name: 'canvas-service',
    repository: 'canvas-service',
    ecs: { cluster: SHORT_DRAMA.cluster, service: SHORT_DRAMA.service, containers: ['canvas-service'], passRoles: ['ecsTaskExecutionRole', 'ecsTaskRole'] },
    ...overrides,
  };
}

function splitterTarget(overrides: TargetSpec = {}): TargetSpec {
  return {
    name: 'splitter',
    repository: SPLITTER.repository,
    environment: 'dev',
    batch: { jobDefinition: SPLITTER.jobDefinition, passRoles: ['upscaler-splitter-job-role', 'upscaler-batch-execution-role'] },
    smokeTests: [{ batchJob: { jobQueue: SPLITTER.jobQueue, parameters: { inputKey: 'fixtures/ten-seconds.mp4' }, timeoutSeconds: 1800, pollSeconds: 30 } }],
    ...overrides,
  };
}

function mlInferenceTarget(overrides: TargetSpec = {}, lambda: TargetSpec = {}): TargetSpec {
  return {
    name: 'ml-inference',
    repository: ML_INFERENCE.repository,
    environment: 'prod',
    lambda: { function: ML_INFERENCE.function, alias: ML_INFERENCE.alias, ...lambda },
    smokeTests: [{ invoke: { payload: { ping: true }, expectPayloadContains: 'ok' } }],
    ...overrides,
  };
}

function executionInput(account: SimulatedAwsAccount, target: TargetSpec, imageDigest: string, tag = 'v1.4.0'): ExecutionInput {
  return {
    target,
    image: { repository: String(target.repository), tag, digest: imageDigest, registry: account.registry },
    trigger: { kind: 'ecr-push', eventIds: ['test-event'] },
  };
}

let executions = 0;

/** Runs the real state machine with waits and retry pauses skipped. */
function runDeployment(input: ExecutionInput): Promise<LocalRunResult> {
  executions += 1;
  return runDeployStateMachine(input as Parameters<typeof runDeployStateMachine>[0], { executionName: `test-execution-${executions}` });
}

/** Names of the states the execution entered, in order (repeats included). */
function statesEntered(result: LocalRunResult): string[] {
  return result.events.filter((e) => e.type === 'StateEntered').map((e) => e.state?.name ?? '');
}

function eventStatuses(account: SimulatedAwsAccount): string[] {
  return account.events.map((e) => e.status);
}

/**
 * Points DEPLOYMENTS_FILE at a deployments.yml with only stream-ml-service (tags v*) and no smoke
 * tests, so that nothing a test runs may leave 127.0.0.1.
 */
function useStreamMlOnlyDeploymentsFile(): void {
  const file = join(mkdtempSync(join(tmpdir(), 'ecr-deployer-test-')), 'deployments.yml');
  writeFileSync(
    file,
    `targets:\n  - name: stream-ml-service\n    repository: stream-ml-service\n    tags: ["v*"]\n    ecs: { cluster: ${STREAM_ML.cluster}, service: ${STREAM_ML.service} }\n`,
  );
  process.env.DEPLOYMENTS_FILE = file;
}

export { useStreamMlOnlyDeploymentsFile, digest, streamMlTarget, canvasServiceTarget, splitterTarget, mlInferenceTarget, SPLITTER, ML_INFERENCE, executionInput, runDeployment, statesEntered, eventStatuses, createSampleWorld, STREAM_ML, SHORT_DRAMA };
