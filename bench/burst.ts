import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deployment } from '../functions/shared/deployment';
import { deliverPush } from '../local/deploy-push';
import { SimulatedAwsAccount } from '../local/simulated-account';
import { fakeDigest } from '../local/simulated-ecr';
import { startLocalStack } from '../local/stack';
import type { LocalRunResult } from '../local/state-machine';
import { inVirtualTime } from './virtual-time';

/**
 * A burst of pushes over many ECS services, deployed by the real trigger, state
 * machine and slot table against a simulated account whose ECS API throttles as
 * AWS does (token buckets), on a virtual clock: what happens when a merge train
 * lands.
 */

interface BurstOptions {
  targets: number;
  pushesPerTarget: number;
  /** All pushes happen within this many seconds. */
  windowSeconds: number;
  /** ECR events arrive up to this long after the push, so close pushes may arrive out of order. */
  maxDeliveryDelayMs: number;
  /** Polls (15 s apart) a rollout takes to complete. */
  rolloutPolls: number;
  seed: number;
}

interface BurstResult {
  targets: number;
  pushes: number;
  /** Targets whose service runs the digest pushed last. */
  onNewest: number;
  /** Deployments that failed because throttling outlasted their retries. */
  failedByThrottling: number;
  /** Deployments that did not succeed, for any reason. */
  failed: number;
  /** Targets that do not run their newest digest. */
  lost: number;
  /** Digests deployed more than once to one target. */
  duplicates: number;
  maxDeploymentsPerTarget: number;
  /** Seconds from the first push until the last deployment ended. */
  convergenceSeconds: number;
  lastPushSeconds: number;
  /** ECS calls refused by a token bucket (and retried). */
  throttledCalls: number;
  /** Push events the trigger failed on and Lambda delivered again. */
  triggerRetries: number;
}

/** A small deterministic generator (mulberry32), so a run can be repeated. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const START = new Date('2026-11-23T10:00:00.000Z');
const CLUSTER = 'burst';
const serviceName = (i: number) => `svc-${String(i).padStart(3, '0')}`;

/** An account with `count` services, one container each, from a repository of the same name; and its deployments.yml. */
function burstWorld(count: number, rolloutPolls: number): { account: SimulatedAwsAccount; deploymentsFile: string; cleanUp: () => void } {
  const account = new SimulatedAwsAccount();
  const targets: unknown[] = [];
  for (let i = 0; i < count; i += 1) {
    const name = serviceName(i);
    const registered = account.registerTaskDefinition({
      family: name,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image: `${account.registry}/${name}@${fakeDigest(`${name}:initial`)}`, essential: true }],
    });
    // The first DescribeServices after UpdateService is the update step's own; each poll is one more.
    account.createService({ cluster: CLUSTER, name, taskDefinitionArn: registered.taskDefinitionArn ?? '', desiredCount: 2, ticksToComplete: rolloutPolls });
    targets.push({ name, repository: name, tags: ['*'], ecs: { cluster: CLUSTER, service: name }, rollout: { timeoutSeconds: 900, pollSeconds: 15 } });
  }
  const dir = mkdtempSync(join(tmpdir(), 'ecr-deployer-bench-'));
  const deploymentsFile = join(dir, 'deployments.yml');
  writeFileSync(deploymentsFile, JSON.stringify({ targets }));
  return { account, deploymentsFile, cleanUp: () => rmSync(dir, { recursive: true, force: true }) };
}

interface PlannedPush {
  target: string;
  /** Seconds after the start. */
  pushedAt: number;
  deliveredAtMs: number;
  digest: string;
  tag: string;
  id: string;
}

function planPushes(options: BurstOptions): PlannedPush[] {
  const next = random(options.seed);
  const pushes: PlannedPush[] = [];
  for (let i = 0; i < options.targets; i += 1) {
    // Distinct seconds: ECR event times have one-second resolution.
    const seconds = new Set<number>();
    while (seconds.size < Math.min(options.pushesPerTarget, options.windowSeconds)) seconds.add(Math.floor(next() * options.windowSeconds));
    [...seconds]
      .sort((a, b) => a - b)
      .forEach((second, n) => {
        const target = serviceName(i);
        pushes.push({
          target,
          pushedAt: second,
          deliveredAtMs: second * 1000 + Math.floor(next() * options.maxDeliveryDelayMs),
          digest: fakeDigest(`${target}:build-${n}`),
          tag: `build-${n}`,
          id: `${target}-push-${n}`,
        });
      });
  }
  return pushes;
}

function pushEvent(account: SimulatedAwsAccount, push: PlannedPush): Record<string, unknown> {
  return {
    version: '0',
    id: push.id,
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: account.accountId,
    time: new Date(START.getTime() + push.pushedAt * 1000).toISOString().replace('.000Z', 'Z'),
    region: account.region,
    resources: [],
    detail: { result: 'SUCCESS', 'repository-name': push.target, 'image-digest': push.digest, 'action-type': 'PUSH', 'image-tag': push.tag },
  };
}

/** Lambda delivers a failed asynchronous event twice more, one and two minutes later. */
const LAMBDA_RETRY_DELAYS_MS = [60_000, 120_000];

/** Runs `run` against a burst world of `count` services and the stack around it (`waitMs` as the stack's), then takes both down. */
async function inBurstWorld<T>(count: number, rolloutPolls: number, waitMs: 0 | 'as-defined', run: (account: SimulatedAwsAccount) => Promise<T>): Promise<T> {
  const { account, deploymentsFile, cleanUp } = burstWorld(count, rolloutPolls);
  const saved = process.env.DEPLOYMENTS_FILE;
  process.env.DEPLOYMENTS_FILE = deploymentsFile;
  const stack = await startLocalStack(account, { waitMs });
  try {
    return await run(account);
  } finally {
    account.restore();
    await stack.close();
    cleanUp();
    if (saved === undefined) delete process.env.DEPLOYMENTS_FILE;
    else process.env.DEPLOYMENTS_FILE = saved;
  }
}

function runBurst(options: BurstOptions): Promise<BurstResult> {
  return inBurstWorld(options.targets, options.rolloutPolls, 'as-defined', (account) => burstIn(account, options));
}

async function burstIn(account: SimulatedAwsAccount, options: BurstOptions): Promise<BurstResult> {
  const pushes = planPushes(options);
  let delivering = 0;
  let triggerRetries = 0;
  const throttling = { calls: 0 };
  const elapsed = await inVirtualTime(
    START,
    () => {
      const buckets = account.simulateThrottling();
      throttling.calls = 0;
      const deliver = (push: PlannedPush, attempt: number) => {
        delivering += 1;
        deliverPush(account, pushEvent(account, push))
          .catch(() => {
            const delay = LAMBDA_RETRY_DELAYS_MS[attempt];
            if (delay === undefined) return;
            triggerRetries += 1;
            delivering += 1;
            setTimeout(() => {
              delivering -= 1;
              deliver(push, attempt + 1);
            }, delay);
          })
          .finally(() => {
            delivering -= 1;
            throttling.calls = [...buckets.throttled.values()].reduce((a, b) => a + b, 0);
          });
      };
      for (const push of pushes) {
        delivering += 1;
        setTimeout(() => {
          delivering -= 1;
          deliver(push, 0);
        }, push.deliveredAtMs);
      }
    },
    () => delivering === 0 && [...account.executions.values()].every((e) => e.status !== 'RUNNING'),
  );
  await account.stepFunctions.settle();
  return summarise(account, pushes, options, elapsed, throttling.calls, triggerRetries);
}

async function summarise(account: SimulatedAwsAccount, pushes: PlannedPush[], options: BurstOptions, elapsedMs: number, throttledCalls: number, triggerRetries: number): Promise<BurstResult> {
  const results: LocalRunResult[] = [];
  for (const name of account.executions.keys()) {
    const result = await account.stepFunctions.result(name);
    if (result) results.push(result);
  }
  const deployedTo = new Map<string, string[]>();
  let lastEnd = 0;
  for (const result of results) {
    lastEnd = Math.max(lastEnd, result.events.at(-1)?.timestamp ?? 0);
    const resolved = result.events.find((e) => e.type === 'StateExited' && e.state?.name === 'HoldSlot')?.state?.output as { deployment?: Deployment } | undefined;
    for (const change of resolved?.deployment?.changes ?? []) deployedTo.set(change.target.name, [...(deployedTo.get(change.target.name) ?? []), change.image.digest]);
  }
  const newest = new Map<string, PlannedPush>();
  for (const push of pushes) if ((newest.get(push.target)?.pushedAt ?? -1) < push.pushedAt) newest.set(push.target, push);
  let onNewest = 0;
  for (const [target, push] of newest) {
    const image = account.runningTaskDefinition(CLUSTER, target)?.containerDefinitions?.[0]?.image ?? '';
    if (image.endsWith(`@${push.digest}`) && account.runningDigests(CLUSTER, target).every((task) => task.app === push.digest)) onNewest += 1;
  }
  const duplicates = [...deployedTo.values()].reduce((sum, digests) => sum + digests.length - new Set(digests).size, 0);
  return {
    targets: options.targets,
    pushes: pushes.length,
    onNewest,
    failedByThrottling: results.filter((r) => r.status !== 'SUCCEEDED' && r.error === 'AwsThrottled').length,
    failed: results.filter((r) => r.status !== 'SUCCEEDED').length,
    lost: options.targets - onNewest,
    duplicates,
    maxDeploymentsPerTarget: Math.max(0, ...[...deployedTo.values()].map((digests) => digests.length)),
    convergenceSeconds: Math.round((Math.max(lastEnd - START.getTime(), 0) || elapsedMs) / 1000),
    lastPushSeconds: Math.max(...pushes.map((p) => p.pushedAt)),
    throttledCalls,
    triggerRetries,
  };
}

/** How long one deployment takes on its own, with nothing else going on: the unit of the bound. */
async function singleDeploymentSeconds(rolloutPolls: number): Promise<number> {
  const result = await runBurst({ targets: 1, pushesPerTarget: 1, windowSeconds: 1, maxDeliveryDelayMs: 0, rolloutPolls, seed: 1 });
  return result.convergenceSeconds;
}

export { runBurst, singleDeploymentSeconds, inBurstWorld, pushEvent, serviceName };
export type { BurstOptions, BurstResult };
