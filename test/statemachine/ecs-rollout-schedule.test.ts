import { inVirtualTime } from '../../bench/virtual-time';
import { runsSince } from '../../local/deploy-push';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import type { LocalRunResult } from '../../local/state-machine';
import { MAX_CHECK_SECONDS } from '../../functions/ecs/rollout-schedule';
import type { EcsProgress, EcsRolloutStatus } from '../../functions/shared/deployment';
import { createSampleWorld, createTestWorld, digest, executionInput, push, runDeployment, STREAM_ML, streamMlTarget, useDeploymentsFile, type TargetSpec } from '../support/world';

/**
 * How often the real state machine looks at an ECS rollout, on a virtual clock with every
 * wait as the definition says, against rollouts that take their time (the simulated
 * account's timeline): behind a load balancer it looks a few times, not every pollSeconds,
 * and still sees completion within pollSeconds; it never looks past the deadline.
 */

const NEW_DIGEST = digest('v1.4.0');
const START = new Date('2026-11-23T10:00:00.000Z');
const POLL_SECONDS = 15;

let account: SimulatedAwsAccount;

afterEach(() => {
  account.restore();
});

/** deployments.yml with `target`, a push of its image, and the deployment it starts, run to its end in virtual time. */
async function deployInVirtualTime(target: TargetSpec): Promise<LocalRunResult> {
  useDeploymentsFile([target]);
  const before = new Set(account.executions.keys());
  let delivered = false;
  await inVirtualTime(
    START,
    () => void push(account, String(target.repository), NEW_DIGEST).finally(() => (delivered = true)),
    () => delivered && [...account.executions.values()].every((execution) => execution.status !== 'RUNNING'),
  );
  const [run] = await runsSince(account, before);
  if (!run) throw new Error('the push started no deployment');
  return run;
}

interface Look {
  /** Virtual milliseconds. */
  at: number;
  rollout?: EcsRolloutStatus;
  error?: string;
}

/** Every look at the rollout (EcsCheckRollout): when, and what it saw or the error it failed with. */
function looksOf(run: LocalRunResult): Look[] {
  const looks: Look[] = [];
  for (const event of run.events.filter((e) => e.state?.name === 'EcsCheckRollout')) {
    const look = looks.at(-1);
    if (event.type === 'StateEntered') looks.push({ at: event.timestamp });
    else if (event.type === 'StateFailed' && look) look.error = event.Error;
    else if (event.type === 'StateExited' && look && !look.error) look.rollout = (event.state?.output as { rollout?: EcsRolloutStatus } | undefined)?.rollout;
  }
  return looks;
}

function updateOf(run: LocalRunResult): { at: number; ecs: EcsProgress } {
  const exited = run.events.find((event) => event.type === 'StateExited' && event.state?.name === 'EcsDeployNewRevision');
  const ecs = (exited?.state?.output as { ecs?: EcsProgress } | undefined)?.ecs;
  if (!exited || !ecs) throw new Error('EcsDeployNewRevision did not finish');
  return { at: exited.timestamp, ecs };
}

const pauses = (times: number[]): number[] => times.slice(1).map((t, i) => (t - (times[i] ?? t)) / 1000);

describe('ECS rollout looks, in virtual time', () => {
  it('behind a load balancer: a five-minute rollout is looked at a few times, and its completion seen within pollSeconds', async () => {
    const healthy = 60;
    const delay = 240;
    account = await createTestWorld({}, { waitMs: 'as-defined' });
    account.setRolloutTimeline(STREAM_ML.cluster, STREAM_ML.service, { tasksHealthyAfterSeconds: healthy, deregistrationDelaySeconds: delay });

    const run = await deployInVirtualTime(streamMlTarget({ rollout: { timeoutSeconds: 900, pollSeconds: POLL_SECONDS } }));

    expect(run.status).toBe('SUCCEEDED');
    const update = updateOf(run);
    const looks = looksOf(run);
    const completedAt = account.rolloutsCompletedAt.get(update.ecs.deploymentId ?? '')?.getTime();
    const sawIt = looks.find((look) => look.rollout?.status === 'COMPLETED');
    // Few looks: no more than a look every MAX_CHECK_SECONDS over the rollout, a quarter of one every pollSeconds.
    expect(looks.length).toBeLessThanOrEqual(Math.ceil((healthy + delay) / MAX_CHECK_SECONDS));
    expect(looks.length).toBeLessThan((healthy + delay) / POLL_SECONDS);
    // Completion is seen, within pollSeconds of happening.
    expect(completedAt).toBeDefined();
    expect(sawIt).toBeDefined();
    expect((sawIt?.at ?? 0) - (completedAt ?? 0)).toBeGreaterThanOrEqual(0);
    expect((sawIt?.at ?? 0) - (completedAt ?? 0)).toBeLessThanOrEqual(POLL_SECONDS * 1000);
    // Never closer than pollSeconds, never further apart than the longest pause.
    for (const pause of pauses([update.at, ...looks.map((look) => look.at)])) {
      expect(pause).toBeGreaterThanOrEqual(POLL_SECONDS);
      expect(pause).toBeLessThanOrEqual(MAX_CHECK_SECONDS);
    }
    // The target groups are read once, by the update step, not by every look.
    expect(account.calls.filter((call) => call === 'ElasticLoadBalancing.DescribeTargetGroupAttributes')).toHaveLength(1);
    expect(update.ecs.deregistrationDelaySeconds).toBe(delay);
  });

  it('without a load balancer: nothing bounds completion, so it looks every pollSeconds and sees it within pollSeconds', async () => {
    const healthy = 100;
    account = await createTestWorld({}, { waitMs: 'as-defined' });
    account.setLoadBalancers(STREAM_ML.cluster, STREAM_ML.service, []);
    account.setRolloutTimeline(STREAM_ML.cluster, STREAM_ML.service, { tasksHealthyAfterSeconds: healthy });

    const run = await deployInVirtualTime(streamMlTarget({ rollout: { timeoutSeconds: 900, pollSeconds: POLL_SECONDS } }));

    expect(run.status).toBe('SUCCEEDED');
    const update = updateOf(run);
    const looks = looksOf(run);
    expect(pauses([update.at, ...looks.map((look) => look.at)]).every((pause) => pause === POLL_SECONDS)).toBe(true);
    const completedAt = account.rolloutsCompletedAt.get(update.ecs.deploymentId ?? '')?.getTime() ?? Number.NaN;
    const sawIt = looks.find((look) => look.rollout?.status === 'COMPLETED');
    expect((sawIt?.at ?? Number.NaN) - completedAt).toBeLessThanOrEqual(POLL_SECONDS * 1000);
    expect(account.calls).not.toContain('ElasticLoadBalancing.DescribeTargetGroupAttributes');
  });

  it('never waits past the deadline: a rollout that never completes is given up by a look at its deadline', async () => {
    const timeoutSeconds = 200;
    account = await createTestWorld({}, { waitMs: 'as-defined' });
    account.setRolloutTimeline(STREAM_ML.cluster, STREAM_ML.service, { tasksHealthyAfterSeconds: 60, deregistrationDelaySeconds: 300 });
    account.setImageBehaviour(NEW_DIGEST, 'never-stabilises');

    const run = await deployInVirtualTime(streamMlTarget({ rollout: { timeoutSeconds, pollSeconds: POLL_SECONDS } }));

    expect(run).toMatchObject({ status: 'FAILED', error: 'RolloutTimeout' });
    const update = updateOf(run);
    const looks = looksOf(run);
    const deadline = Date.parse(update.ecs.rolloutDeadline);
    const last = looks.at(-1);
    expect(last?.error).toBe('RolloutTimeout');
    expect(looks.slice(0, -1).every((look) => look.at < deadline)).toBe(true);
    expect((last?.at ?? 0) - deadline).toBeGreaterThanOrEqual(0);
    expect((last?.at ?? 0) - deadline).toBeLessThan(1000);
  });
});

describe('ECS deployment whose load balancer API throttles', () => {
  it('retries the update step, which sends UpdateService again to no effect, and deploys once', async () => {
    account = createSampleWorld();
    account.failNext('DescribeTargetGroupAttributes', 1, 'ThrottlingException');
    account.failNext('DescribeTargetGroupAttributes', 1, 'ServiceUnavailableException');

    const result = await runDeployment(executionInput(account, streamMlTarget(), NEW_DIGEST));

    expect(result.status).toBe('SUCCEEDED');
    expect(result.events.filter((e) => e.type === 'StateRetried' && e.state?.name === 'EcsDeployNewRevision')).toHaveLength(2);
    expect(account.calls.filter((call) => call === 'ECS.UpdateService')).toHaveLength(3);
    expect([...account.rolloutsCompletedAt.keys()]).toEqual([updateOf(result).ecs.deploymentId]);
    expect(updateOf(result).ecs.deregistrationDelaySeconds).toBeGreaterThan(0);
  });
});
