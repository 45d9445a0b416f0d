import type { Service } from '@aws-sdk/client-ecs';

/**
 * When to look at an ECS rollout next. A rolling deployment behind a load balancer
 * completes only once the old tasks have drained: ECS stops a task after its targets
 * leave the draining state, which the load balancer keeps them in for the target
 * group's deregistration delay (ECS developer guide, "Optimize load balancer connection
 * draining parameters"; ELB guide, "Deregistration delay"). So before draining has
 * begun, completion is at least the delay away, and once it has begun, at least the
 * delay after its start. Looking earlier would only see IN_PROGRESS.
 *
 * The next look is that lower bound, but never sooner than `pollSeconds` (so a
 * completion is seen within pollSeconds of happening, as before), never later than
 * MAX_CHECK_SECONDS (so a failure — the circuit breaker, a deployment gone — is
 * noticed within a minute), and never past the rollout's deadline.
 */

/** The longest pause between two looks at a rollout (unless pollSeconds is longer): how late a failure may be noticed. */
const MAX_CHECK_SECONDS = 60;

/** What the next look depends on; times in milliseconds since the epoch. */
interface RolloutClock {
  now: number;
  pollSeconds: number;
  /** The rollout deadline: a look at it or after it ends an unfinished rollout. */
  deadline: number;
  /** The longest deregistration delay of the service's target groups; undefined without a load balancer (or when it could not be read). */
  deregistrationDelaySeconds?: number;
  /** When ECS last began draining connections for our deployment, if it has. */
  drainingSince?: number;
  /** Whether tasks of an earlier deployment still run, so that something must drain before completion. */
  oldTasksRunning: boolean;
}

/** Seconds from now before our deployment can be COMPLETED, at the earliest; 0 when nothing bounds it. */
function earliestCompletionSeconds(clock: RolloutClock): number {
  const delay = clock.deregistrationDelaySeconds;
  if (delay === undefined) return 0;
  if (clock.drainingSince !== undefined) return Math.max(0, (clock.drainingSince + delay * 1000 - clock.now) / 1000);
  // Nothing left to drain (a service scaled to zero, old tasks that already stopped): no bound.
  return clock.oldTasksRunning ? delay : 0;
}

/**
 * Whole seconds to wait before the next look (a Wait state's SecondsPath): the
 * earliest completion, at least pollSeconds, at most MAX_CHECK_SECONDS (or
 * pollSeconds if longer), and never past the deadline (at least 1 s, so that a
 * look at the deadline itself cannot repeat at the same instant).
 */
function nextCheckSeconds(clock: RolloutClock): number {
  const longest = Math.max(clock.pollSeconds, MAX_CHECK_SECONDS);
  const wait = Math.min(Math.max(Math.ceil(earliestCompletionSeconds(clock)), clock.pollSeconds), longest);
  const untilDeadline = Math.ceil((clock.deadline - clock.now) / 1000);
  return Math.max(1, Math.min(wait, untilDeadline));
}

/** ECS's service event when it deregisters tasks from their target groups: "(service web) has begun draining connections on 2 tasks." */
const DRAINING_EVENT = /has begun draining connections on \d+ tasks?/;

/** When ECS last began draining connections since `deploymentStartedAt` (the latest batch bounds completion), if it has. */
function drainingSince(service: Service, deploymentStartedAt: number): number | undefined {
  const starts = (service.events ?? [])
    .filter((event) => DRAINING_EVENT.test(event.message ?? '') && event.createdAt !== undefined)
    .map((event) => new Date(event.createdAt as Date).getTime())
    .filter((at) => at >= deploymentStartedAt);
  return starts.length > 0 ? Math.max(...starts) : undefined;
}

/**
 * The clock of our deployment as `service` (a DescribeServices or UpdateService answer)
 * shows it. Without our deployment's creation time there is no telling which draining is
 * ours: then no bound is assumed.
 */
function rolloutClock(
  service: Service,
  rollout: { deploymentId?: string; pollSeconds: number; rolloutDeadline: string; deregistrationDelaySeconds?: number },
  now: number,
): RolloutClock {
  const ours = service.deployments?.find((d) => d.id === rollout.deploymentId);
  const startedAt = ours?.createdAt === undefined ? undefined : new Date(ours.createdAt).getTime();
  const base = { now, pollSeconds: rollout.pollSeconds, deadline: Date.parse(rollout.rolloutDeadline) };
  if (rollout.deregistrationDelaySeconds === undefined || startedAt === undefined) return { ...base, oldTasksRunning: false };
  return {
    ...base,
    deregistrationDelaySeconds: rollout.deregistrationDelaySeconds,
    drainingSince: drainingSince(service, startedAt),
    oldTasksRunning: (service.deployments ?? []).some((d) => d.id !== rollout.deploymentId && (d.runningCount ?? 0) > 0),
  };
}

export { MAX_CHECK_SECONDS, earliestCompletionSeconds, nextCheckSeconds, drainingSince, rolloutClock };
export type { RolloutClock };
