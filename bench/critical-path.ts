import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dynamodb } from '../functions/shared/clients/dynamodb';
import { deliverPush, runsSince } from '../local/deploy-push';
import { createSampleWorld, ML_INFERENCE, SPLITTER, STREAM_ML } from '../local/sample-world';
import { fakeDigest } from '../local/simulated-ecr';
import type { SimulatedAwsAccount } from '../local/simulated-account';
import { startLocalStack } from '../local/stack';
import type { LocalRunResult } from '../local/state-machine';
import type { EcsProgress, EcsRolloutStatus } from '../functions/shared/deployment';
import { deployDefinitionJson } from '../statemachines/definition';
import { inVirtualTime } from './virtual-time';

/**
 * What one deployment costs on its way, counted on the real trigger, state machine and
 * handlers against the simulated account: the AWS calls and the sequential Lambda
 * invocations from the push to the first UpdateService, and the state transitions and
 * Lambda invocations of a whole deployment (an ECS rollout of five minutes, a Batch test
 * job, a Lambda canary). The ECS rollout runs on a virtual clock with every wait as the
 * definition says, against a rollout that takes its time: how many looks it takes, and how
 * long after the rollout completed the look that saw it came. Elsewhere waits are skipped.
 */

interface PathFigures {
  /** Every AWS call from the push event to UpdateService, in order (DynamoDB included). */
  callsToUpdate: string[];
  /** Lambda invocations (Task states) of the execution up to and including the one that updates the service. */
  invocationsToUpdate: string[];
}

interface DeploymentCost {
  transitions: number;
  invocations: number;
  status: string;
  /** The distinct Lambda functions its Task states invoked (at most one cold start each). */
  functions: string[];
}

interface RolloutCost extends DeploymentCost {
  /** EcsCheckRollout invocations. */
  checks: number;
  /** Transitions of the rollout loop: its waits, checks and choices. */
  loopTransitions: number;
  /** Seconds from the moment the rollout completed to the look that saw it. */
  detectionSeconds: number;
  pollSeconds: number;
  rolloutSeconds: number;
}

let countingDynamoDb: SimulatedAwsAccount | undefined;
let counterInstalled = false;

/** DynamoDB is the local dynalite, not the simulated account: its calls are counted where the client sends them. */
function countDynamoDbCalls(account: SimulatedAwsAccount): void {
  if (!counterInstalled) {
    counterInstalled = true;
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        countingDynamoDb?.calls.push(`DynamoDB.${String(context.commandName).replace(/Command$/, '')}`);
        return next(args);
      },
      { step: 'initialize', name: 'benchCallCount' },
    );
  }
  countingDynamoDb = account;
}

function pushEvent(account: SimulatedAwsAccount, repository: string, digest: string, tag: string): Record<string, unknown> {
  return {
    version: '0',
    id: `bench-${repository}-${tag}`,
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: account.accountId,
    time: '2026-12-01T10:00:00Z',
    region: account.region,
    resources: [],
    detail: { result: 'SUCCESS', 'repository-name': repository, 'image-digest': digest, 'action-type': 'PUSH', 'image-tag': tag },
  };
}

const isTask = (event: LocalRunResult['events'][number]): boolean => event.type === 'StateEntered' && event.state?.type === 'Task';

/** When the virtual clock of a rollout run starts. */
const VIRTUAL_START = new Date('2026-12-01T10:00:00.000Z');

/**
 * One push of `target` in a world built by `world`, run to its end: waits skipped, or
 * (`virtualTime`) every wait as defined, on a virtual clock.
 */
async function deployOnce(
  target: Record<string, unknown>,
  world: (account: SimulatedAwsAccount) => void,
  tag: string,
  options: { virtualTime?: boolean } = {},
): Promise<{ account: SimulatedAwsAccount; run: LocalRunResult; callsBefore: number }> {
  const account = createSampleWorld();
  world(account);
  const dir = mkdtempSync(join(tmpdir(), 'ecr-deployer-bench-'));
  const saved = process.env.DEPLOYMENTS_FILE;
  process.env.DEPLOYMENTS_FILE = join(dir, 'deployments.yml');
  writeFileSync(process.env.DEPLOYMENTS_FILE, JSON.stringify({ targets: [target] }));
  try {
    await startLocalStack(account, { waitMs: options.virtualTime ? 'as-defined' : 0 });
    countDynamoDbCalls(account);
    const callsBefore = account.calls.length;
    const before = new Set(account.executions.keys());
    const event = pushEvent(account, String(target.repository), fakeDigest(`${String(target.repository)}:${tag}`), tag);
    if (options.virtualTime) {
      let delivered = false;
      let refused: unknown;
      await inVirtualTime(
        VIRTUAL_START,
        () =>
          void deliverPush(account, event).then(
            () => (delivered = true),
            (error: unknown) => ((refused = error), (delivered = true)),
          ),
        () => delivered && [...account.executions.values()].every((e) => e.status !== 'RUNNING'),
      );
      if (refused) throw refused;
    } else {
      await deliverPush(account, event);
    }
    const [run] = await runsSince(account, before);
    if (!run) throw new Error(`the push of ${String(target.name)} started no deployment`);
    return { account, run, callsBefore };
  } finally {
    countingDynamoDb = undefined;
    account.restore();
    if (saved === undefined) delete process.env.DEPLOYMENTS_FILE;
    else process.env.DEPLOYMENTS_FILE = saved;
    rmSync(dir, { recursive: true, force: true });
  }
}

const ecsTarget = { name: 'stream-ml-service', repository: 'stream-ml-service', tags: ['*'], ecs: { cluster: STREAM_ML.cluster, service: STREAM_ML.service }, rollout: { timeoutSeconds: 900, pollSeconds: 15 } };

/**
 * A rollout of five minutes behind the ALB: the new tasks healthy after a minute, then the
 * old ones drain for the target group's deregistration delay of four minutes.
 */
const FIVE_MINUTE_ROLLOUT = { tasksHealthyAfterSeconds: 60, deregistrationDelaySeconds: 240 };
const FIVE_MINUTE_ROLLOUT_SECONDS = FIVE_MINUTE_ROLLOUT.tasksHealthyAfterSeconds + FIVE_MINUTE_ROLLOUT.deregistrationDelaySeconds;

function fiveMinuteRollout(account: SimulatedAwsAccount): void {
  account.setRolloutTimeline(STREAM_ML.cluster, STREAM_ML.service, FIVE_MINUTE_ROLLOUT);
}

/** The same five minutes on a service without a load balancer: nothing drains, the tasks take five minutes to be healthy. */
function fiveMinuteRolloutWithoutLoadBalancer(account: SimulatedAwsAccount): void {
  account.setLoadBalancers(STREAM_ML.cluster, STREAM_ML.service, []);
  account.setRolloutTimeline(STREAM_ML.cluster, STREAM_ML.service, { tasksHealthyAfterSeconds: FIVE_MINUTE_ROLLOUT_SECONDS });
}

/** The first hop: from the push event to the UpdateService that starts the rollout. */
async function pushToUpdateService(): Promise<PathFigures> {
  const { account, run, callsBefore } = await deployOnce(ecsTarget, () => undefined, 'v9.0.0');
  const calls = account.calls.slice(callsBefore);
  const update = calls.indexOf('ECS.UpdateService');
  const tasks = run.events.filter(isTask).map((event) => event.state?.name ?? '');
  return { callsToUpdate: calls.slice(0, update + 1), invocationsToUpdate: tasks.slice(0, tasks.indexOf('EcsDeployNewRevision') + 1) };
}

/** Each Task state's function, as serverless.yml names it: `${DeploymentCoordinatorFunctionArn}` → `deployment-coordinator`. */
const FUNCTION_OF_STATE: Record<string, string> = Object.fromEntries(
  Object.entries((JSON.parse(deployDefinitionJson()) as { States: Record<string, { Resource?: string }> }).States).flatMap(([name, state]) => {
    const placeholder = /^\$\{([A-Za-z]+)FunctionArn\}$/.exec(state.Resource ?? '')?.[1];
    return placeholder ? [[name, placeholder.replace(/(?<!^)([A-Z])/g, '-$1').toLowerCase()]] : [];
  }),
);

function costOf(run: LocalRunResult): DeploymentCost {
  const tasks = run.events.filter(isTask).map((event) => event.state?.name ?? '');
  const functions = [...new Set(tasks.map((name) => FUNCTION_OF_STATE[name] ?? name))];
  return { transitions: run.events.filter((event) => event.type === 'StateEntered').length, invocations: tasks.length, status: run.status, functions };
}

const ROLLOUT_LOOP_STATES = new Set(['WaitForEcsRollout', 'WaitForEcsRolloutAgain', 'EcsCheckRollout', 'EcsRolloutCompleted']);

/** The ECS deployment of a five-minute rollout on the virtual clock: its cost, its looks, and how late the last saw completion. */
async function rolloutCost(world: (account: SimulatedAwsAccount) => void, tag: string): Promise<RolloutCost> {
  const { account, run } = await deployOnce(ecsTarget, world, tag, { virtualTime: true });
  const exited = (name: string) => run.events.filter((event) => event.type === 'StateExited' && event.state?.name === name);
  const deploymentId = (exited('EcsDeployNewRevision')[0]?.state?.output as { ecs?: EcsProgress } | undefined)?.ecs?.deploymentId ?? '';
  const completedAt = account.rolloutsCompletedAt.get(deploymentId);
  const sawIt = exited('EcsCheckRollout')
    .map((event) => (event.state?.output as { rollout?: EcsRolloutStatus } | undefined)?.rollout)
    .find((rollout) => rollout?.status === 'COMPLETED');
  if (!completedAt || !sawIt) throw new Error(`the rollout of ${deploymentId || 'the deployment'} did not complete (${run.status})`);
  return {
    ...costOf(run),
    checks: exited('EcsCheckRollout').length,
    loopTransitions: run.events.filter((event) => event.type === 'StateEntered' && ROLLOUT_LOOP_STATES.has(event.state?.name ?? '')).length,
    detectionSeconds: (Date.parse(sawIt.checkedAt) - completedAt.getTime()) / 1000,
    pollSeconds: ecsTarget.rollout.pollSeconds,
    rolloutSeconds: FIVE_MINUTE_ROLLOUT_SECONDS,
  };
}

async function ecsRolloutCost(): Promise<RolloutCost> {
  return rolloutCost(fiveMinuteRollout, 'v9.0.1');
}

async function ecsRolloutWithoutLoadBalancerCost(): Promise<RolloutCost> {
  return rolloutCost(fiveMinuteRolloutWithoutLoadBalancer, 'v9.0.2');
}

async function batchTestJobCost(): Promise<DeploymentCost> {
  const target = {
    name: 'splitter',
    repository: SPLITTER.repository,
    tags: ['*'],
    batch: { jobDefinition: SPLITTER.jobDefinition, passRoles: ['upscaler-splitter-job-role', 'upscaler-batch-execution-role'] },
    smokeTests: [{ batchJob: { jobQueue: SPLITTER.jobQueue, timeoutSeconds: 1800, pollSeconds: 30 } }],
  };
  return costOf((await deployOnce(target, () => undefined, 'b9')).run);
}

async function lambdaCanaryCost(): Promise<DeploymentCost> {
  const target = {
    name: 'ml-inference',
    repository: ML_INFERENCE.repository,
    tags: ['*'],
    lambda: { function: ML_INFERENCE.function, alias: ML_INFERENCE.alias, canary: { weightPercent: 10, bakeSeconds: 300 } },
    smokeTests: [{ invoke: { payload: { ping: true }, expectPayloadContains: 'ok' } }],
  };
  return costOf((await deployOnce(target, () => undefined, 'l9')).run);
}

export { pushToUpdateService, ecsRolloutCost, ecsRolloutWithoutLoadBalancerCost, batchTestJobCost, lambdaCanaryCost, FIVE_MINUTE_ROLLOUT };
export type { PathFigures, DeploymentCost, RolloutCost };
