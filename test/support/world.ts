import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { deliverPush, runsSince, type TriggerResult } from '../../local/deploy-push';
import { createSampleWorld, ML_INFERENCE, SHORT_DRAMA, SPLITTER, STREAM_ML } from '../../local/sample-world';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { startLocalStack, type LocalApprover } from '../../local/stack';
import type { LocalRunOptions, LocalRunResult } from '../../local/state-machine';

/**
 * The state-machine tests' world: the sample account with the stack's moving
 * parts around it (slot table in the local DynamoDB the test setup started,
 * executions that run by themselves, the recovery rule), deployments.yml written
 * per test, and ECR pushes delivered to the real trigger.
 */

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

function orchestratorTarget(overrides: TargetSpec = {}): TargetSpec {
  return {
    name: 'orchestrator',
    repository: 'orchestrator',
    ecs: { cluster: SHORT_DRAMA.cluster, service: SHORT_DRAMA.service, containers: ['orchestrator'], passRoles: ['ecsTaskExecutionRole', 'ecsTaskRole'] },
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

/** Seed 004 as its team runs it: one job definition and one repository per environment. */
const SPLITTER_CHAIN = {
  repository: { dev: 'upscaler-splitter-dev-ecr', staging: 'upscaler-splitter-staging-ecr', prod: 'upscaler-splitter-prod-ecr' },
  job: { dev: 'upscaler-splitter-job-dev', staging: 'upscaler-splitter-job-staging', prod: 'upscaler-splitter-job-prod' },
};

/** The splitter of one of seed 004's environments, `splitter-<environment>`, with a test job. */
function splitterOf(environment: 'dev' | 'staging' | 'prod', extra: TargetSpec = {}): TargetSpec {
  return {
    name: `splitter-${environment}`,
    repository: SPLITTER_CHAIN.repository[environment],
    environment,
    batch: { jobDefinition: SPLITTER_CHAIN.job[environment], passRoles: ['upscaler-splitter-job-role', 'upscaler-batch-execution-role'] },
    smokeTests: [{ batchJob: { jobQueue: `upscaler-${environment}-queue`, timeoutSeconds: 1800, pollSeconds: 30 } }],
    ...extra,
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

/** Writes a deployments.yml with these targets (JSON is YAML) and points DEPLOYMENTS_FILE at it. */
function useDeploymentsFile(targets: TargetSpec[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ecr-deployer-test-')), 'deployments.yml');
  writeFileSync(file, JSON.stringify({ targets }, null, 2));
  process.env.DEPLOYMENTS_FILE = file;
  return file;
}

/**
 * Points DEPLOYMENTS_FILE at a deployments.yml with only stream-ml-service (tags v*) and no smoke
 * tests, so that nothing a test runs may leave 127.0.0.1.
 */
function useStreamMlOnlyDeploymentsFile(): void {
  useDeploymentsFile([{ name: 'stream-ml-service', repository: 'stream-ml-service', tags: ['v*'], ecs: { cluster: STREAM_ML.cluster, service: STREAM_ML.service } }]);
}

const stacks = new WeakMap<SimulatedAwsAccount, Promise<unknown>>();

/** `intercept` wraps every step's Lambda; `waitMs` is how long waits last (default 0; `as-defined` on a virtual clock); `approver` decides approvals. */
type StackOptions = Pick<LocalRunOptions, 'intercept' | 'waitMs'> & { approver?: LocalApprover };

/** The stack around `account`, started once (fresh tables in the tests' local DynamoDB). */
function withStack(account: SimulatedAwsAccount, options: StackOptions = {}): Promise<unknown> {
  let started = stacks.get(account);
  if (!started) {
    started = startLocalStack(account, { waitMs: 0, ...options });
    stacks.set(account, started);
  }
  return started;
}

/** The sample world, with the stack around it: what a test pushes to. `intercept` wraps every step's Lambda. */
async function createTestWorld(options: Parameters<typeof createSampleWorld>[0] = {}, stack: StackOptions = {}): Promise<SimulatedAwsAccount> {
  const account = createSampleWorld(options);
  await withStack(account, stack);
  return account;
}

let pushes = 0;

interface PushOptions {
  tag?: string;
  /** The ECR event's time (default: a second after the previous push of the test run). */
  time?: string;
  id?: string;
}

/** An "ECR Image Action" push event of this account. */
function pushEvent(account: SimulatedAwsAccount, repository: string, imageDigest: string, options: PushOptions = {}): Record<string, unknown> {
  pushes += 1;
  return {
    version: '0',
    id: options.id ?? `00000000-0000-4000-8000-${String(pushes).padStart(12, '0')}`,
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: account.accountId,
    time: options.time ?? new Date(Date.UTC(2026, 10, 23, 10, 0, 0) + pushes * 1000).toISOString().replace('.000Z', 'Z'),
    region: account.region,
    resources: [],
    detail: { result: 'SUCCESS', 'repository-name': repository, 'image-digest': imageDigest, 'action-type': 'PUSH', 'image-tag': options.tag ?? 'v1.4.0' },
  };
}

/** Delivers a push of `repository`@`imageDigest` to the trigger; what it starts runs by itself. */
async function push(account: SimulatedAwsAccount, repository: string, imageDigest: string, options: PushOptions = {}): Promise<TriggerResult> {
  await withStack(account);
  return deliverPush(account, pushEvent(account, repository, imageDigest, options));
}

/** A push of one target, to deploy with `runDeployment`. */
interface TargetPush {
  account: SimulatedAwsAccount;
  target: TargetSpec;
  digest: string;
  tag: string;
}

function executionInput(account: SimulatedAwsAccount, target: TargetSpec, imageDigest: string, tag = 'v1.4.0'): TargetPush {
  return { account, target, digest: imageDigest, tag };
}

/**
 * deployments.yml with just this target, a push of its image, and the
 * deployment it starts, to its end (waits and retry pauses skipped).
 */
async function runDeployment(request: TargetPush): Promise<LocalRunResult> {
  const { account, target } = request;
  await withStack(account);
  useDeploymentsFile([target]);
  const before = new Set(account.executions.keys());
  const triggered = await push(account, String(target.repository), request.digest, { tag: request.tag });
  const runs = await runsSince(account, before);
  const [run] = runs;
  if (!run) throw new Error(`the push started no deployment: ${JSON.stringify(triggered)}`);
  return run;
}

let manual = 0;

/**
 * Starts an execution of the deploy state machine with `input`, as a person does
 * from the console or the CLI, and waits until it (and what it set off) has finished.
 */
async function startExecution(account: SimulatedAwsAccount, input: unknown, name = `console-${(manual += 1)}`): Promise<LocalRunResult & { name: string }> {
  await withStack(account);
  await new SFNClient({ region: account.region }).send(new StartExecutionCommand({ stateMachineArn: account.stepFunctions.stateMachineArn, name, input: JSON.stringify(input) }));
  await account.stepFunctions.settle();
  const result = await account.stepFunctions.result(name);
  if (!result) throw new Error(`${name} did not run`);
  return { ...result, name };
}

/** Waits until every execution started so far, and what each set off, has finished. */
async function settle(account: SimulatedAwsAccount): Promise<void> {
  await account.stepFunctions.settle();
}

/** Names of the states the execution entered, in order (repeats included). */
function statesEntered(result: LocalRunResult): string[] {
  return result.events.filter((e) => e.type === 'StateEntered').map((e) => e.state?.name ?? '');
}

function eventStatuses(account: SimulatedAwsAccount): string[] {
  return account.events.map((e) => e.status);
}

export {
  useStreamMlOnlyDeploymentsFile,
  useDeploymentsFile,
  digest,
  streamMlTarget,
  canvasServiceTarget,
  orchestratorTarget,
  splitterTarget,
  splitterOf,
  SPLITTER_CHAIN,
  mlInferenceTarget,
  SPLITTER,
  ML_INFERENCE,
  executionInput,
  runDeployment,
  startExecution,
  createTestWorld,
  withStack,
  pushEvent,
  push,
  settle,
  statesEntered,
  eventStatuses,
  createSampleWorld,
  STREAM_ML,
  SHORT_DRAMA,
};
export type { TargetSpec, TargetPush };
