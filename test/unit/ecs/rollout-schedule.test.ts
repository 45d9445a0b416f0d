import type { Service } from '@aws-sdk/client-ecs';
import fc from 'fast-check';
import { drainingSince, earliestCompletionSeconds, MAX_CHECK_SECONDS, nextCheckSeconds, rolloutClock, type RolloutClock } from '../../../functions/ecs/rollout-schedule';

/**
 * When a rollout is looked at next: not before it could complete (the old tasks drain for
 * the target groups' deregistration delay first), at least pollSeconds apart, at most a
 * minute apart, never past the deadline.
 */

const NOW = Date.parse('2026-11-23T10:00:00.000Z');
const seconds = (s: number) => s * 1000;

function clock(fields: Partial<RolloutClock> = {}): RolloutClock {
  return { now: NOW, pollSeconds: 15, deadline: NOW + seconds(900), oldTasksRunning: true, ...fields };
}

describe('earliestCompletionSeconds', () => {
  it('is the whole deregistration delay while the old tasks have not begun draining', () => {
    expect(earliestCompletionSeconds(clock({ deregistrationDelaySeconds: 240 }))).toBe(240);
  });

  it('is what is left of the delay once draining has begun', () => {
    const began = NOW - seconds(100);

    expect(earliestCompletionSeconds(clock({ deregistrationDelaySeconds: 240, drainingSince: began }))).toBe(240 - 100);
  });

  it('is nothing once the delay has passed since draining began', () => {
    expect(earliestCompletionSeconds(clock({ deregistrationDelaySeconds: 240, drainingSince: NOW - seconds(241) }))).toBe(0);
  });

  it('is nothing without a load balancer, or with no old task left to drain', () => {
    expect(earliestCompletionSeconds(clock())).toBe(0);
    expect(earliestCompletionSeconds(clock({ deregistrationDelaySeconds: 240, oldTasksRunning: false }))).toBe(0);
  });
});

describe('nextCheckSeconds', () => {
  it('looks every pollSeconds at a service without a load balancer', () => {
    expect(nextCheckSeconds(clock({ pollSeconds: 15 }))).toBe(15);
    expect(nextCheckSeconds(clock({ pollSeconds: 40 }))).toBe(40);
  });

  it('waits for the earliest completion when it is within the longest pause', () => {
    const delay = MAX_CHECK_SECONDS - 10;

    expect(nextCheckSeconds(clock({ deregistrationDelaySeconds: delay }))).toBe(delay);
    expect(nextCheckSeconds(clock({ deregistrationDelaySeconds: 300, drainingSince: NOW - seconds(300 - 25) }))).toBe(25);
  });

  it('never waits longer than the longest pause, so that a failure is noticed within it', () => {
    expect(nextCheckSeconds(clock({ deregistrationDelaySeconds: 300 }))).toBe(MAX_CHECK_SECONDS);
    expect(nextCheckSeconds(clock({ deregistrationDelaySeconds: 300, drainingSince: NOW }))).toBe(MAX_CHECK_SECONDS);
  });

  it('never looks more often than pollSeconds, even when completion may come sooner', () => {
    expect(nextCheckSeconds(clock({ pollSeconds: 15, deregistrationDelaySeconds: 5 }))).toBe(15);
    expect(nextCheckSeconds(clock({ pollSeconds: 15, deregistrationDelaySeconds: 300, drainingSince: NOW - seconds(295) }))).toBe(15);
  });

  it('keeps a pollSeconds longer than the longest pause', () => {
    expect(nextCheckSeconds(clock({ pollSeconds: MAX_CHECK_SECONDS + 30, deregistrationDelaySeconds: 300 }))).toBe(MAX_CHECK_SECONDS + 30);
  });

  it('never waits past the deadline: the last look is at the deadline', () => {
    expect(nextCheckSeconds(clock({ deadline: NOW + seconds(40), deregistrationDelaySeconds: 300 }))).toBe(40);
    expect(nextCheckSeconds(clock({ deadline: NOW + seconds(7), pollSeconds: 15 }))).toBe(7);
  });

  it('waits a second at least, so that a look at the deadline does not repeat at once', () => {
    expect(nextCheckSeconds(clock({ deadline: NOW }))).toBe(1);
    expect(nextCheckSeconds(clock({ deadline: NOW - seconds(30) }))).toBe(1);
  });

  it('for any rollout: a whole number of seconds, never past the deadline, never later than pollSeconds after the earliest completion, and no sooner than needed', () => {
    const clocks = fc.record({
      pollSeconds: fc.integer({ min: 1, max: 300 }),
      deadlineSeconds: fc.integer({ min: 1, max: 86_400 }),
      deregistrationDelaySeconds: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: undefined }),
      drainingAgoSeconds: fc.option(fc.integer({ min: 0, max: 7200 }), { nil: undefined }),
      oldTasksRunning: fc.boolean(),
    });
    fc.assert(
      fc.property(clocks, (c) => {
        const input = clock({
          pollSeconds: c.pollSeconds,
          deadline: NOW + seconds(c.deadlineSeconds),
          deregistrationDelaySeconds: c.deregistrationDelaySeconds,
          drainingSince: c.drainingAgoSeconds === undefined ? undefined : NOW - seconds(c.drainingAgoSeconds),
          oldTasksRunning: c.oldTasksRunning,
        });
        const next = nextCheckSeconds(input);
        const earliest = earliestCompletionSeconds(input);
        const longest = Math.max(c.pollSeconds, MAX_CHECK_SECONDS);

        expect(Number.isInteger(next) && next >= 1).toBe(true);
        expect(next).toBeLessThanOrEqual(c.deadlineSeconds);
        expect(next).toBeLessThanOrEqual(longest);
        // A completion at the earliest moment is seen within pollSeconds of it.
        expect(next).toBeLessThanOrEqual(Math.max(Math.ceil(earliest), c.pollSeconds));
        // No look is spent where it could only see IN_PROGRESS, unless the longest pause or the deadline says so.
        expect(next).toBeGreaterThanOrEqual(Math.min(Math.ceil(earliest), longest, c.deadlineSeconds));
      }),
    );
  });
});

describe('rolloutClock', () => {
  const deadline = new Date(NOW + seconds(900)).toISOString();
  const createdAt = new Date(NOW - seconds(120));
  const draining = (at: Date, message = '(service web) has begun draining connections on 2 tasks.') => ({ id: `e-${at.getTime()}`, createdAt: at, message });

  function service(fields: Partial<Service> = {}): Service {
    return {
      serviceName: 'web',
      deployments: [
        { id: 'ecs-svc/ours', status: 'PRIMARY', runningCount: 2, desiredCount: 2, createdAt },
        { id: 'ecs-svc/old', status: 'ACTIVE', runningCount: 2, desiredCount: 2, createdAt: new Date(NOW - seconds(86_400)) },
      ],
      events: [],
      ...fields,
    };
  }
  const rollout = { deploymentId: 'ecs-svc/ours', pollSeconds: 15, rolloutDeadline: deadline, deregistrationDelaySeconds: 300 };

  it('takes draining that began after our deployment started, the latest batch', () => {
    const first = new Date(NOW - seconds(90));
    const second = new Date(NOW - seconds(30));
    const events = [draining(second), { id: 'other', createdAt: new Date(NOW - seconds(60)), message: '(service web) registered 2 targets in (target-group arn:…)' }, draining(first)];

    expect(rolloutClock(service({ events }), rollout, NOW).drainingSince).toBe(second.getTime());
  });

  it("ignores draining from before our deployment (an earlier deployment's)", () => {
    const events = [draining(new Date(createdAt.getTime() - 1))];

    expect(rolloutClock(service({ events }), rollout, NOW).drainingSince).toBeUndefined();
    expect(drainingSince(service({ events }), createdAt.getTime())).toBeUndefined();
  });

  it('sees whether tasks of an earlier deployment still run', () => {
    expect(rolloutClock(service(), rollout, NOW).oldTasksRunning).toBe(true);
    const drained = service({ deployments: [{ id: 'ecs-svc/ours', status: 'PRIMARY', runningCount: 2, createdAt }, { id: 'ecs-svc/old', status: 'ACTIVE', runningCount: 0 }] });

    expect(rolloutClock(drained, rollout, NOW).oldTasksRunning).toBe(false);
  });

  it('assumes no bound without a deregistration delay, or without our deployment’s start', () => {
    const { deregistrationDelaySeconds: _delay, ...withoutDelay } = rollout;
    const withoutStart = service({ deployments: [{ id: 'ecs-svc/ours', status: 'PRIMARY', runningCount: 0 }, { id: 'ecs-svc/old', status: 'ACTIVE', runningCount: 2 }] });

    expect(nextCheckSeconds(rolloutClock(service(), withoutDelay, NOW))).toBe(rollout.pollSeconds);
    expect(nextCheckSeconds(rolloutClock(withoutStart, rollout, NOW))).toBe(rollout.pollSeconds);
  });
});
