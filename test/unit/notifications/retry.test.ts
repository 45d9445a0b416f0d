import { SlackWebhookRejected } from '../../../functions/notifications/errors';
import { backoffMs, MAX_ATTEMPTS, SLACK_TIME_BUDGET_MS, SlackRetryableFailure, withSlackRetries } from '../../../functions/notifications/retry';
import { fakeClock } from './support/clock';

describe('backoffMs', () => {
  it('doubles from one second, with half of each wait random', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffMs(attempt, 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((attempt) => backoffMs(attempt, 0.999999))).toEqual([1000, 2000, 4000, 8000]);
  });
});

describe('withSlackRetries', () => {
  it('returns the first success', async () => {
    const clock = fakeClock();
    let calls = 0;

    const result = await withSlackRetries(
      'test',
      async () => {
        calls += 1;
        if (calls < 3) throw new SlackRetryableFailure('HTTP 503');
        return 'ok';
      },
      { clock, deadline: clock.now() + SLACK_TIME_BUDGET_MS },
    );

    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(clock.sleeps).toEqual([750, 1500]);
  });

  it('passes a rejection through at once', async () => {
    const clock = fakeClock();
    const rejected = new SlackWebhookRejected('HTTP 410 channel_is_archived');

    await expect(withSlackRetries('test', () => Promise.reject(rejected), { clock, deadline: clock.now() + SLACK_TIME_BUDGET_MS })).rejects.toBe(rejected);
    expect(clock.sleeps).toEqual([]);
  });

  it('never waits past the deadline', async () => {
    const clock = fakeClock();

    await expect(
      withSlackRetries('test', () => Promise.reject(new SlackRetryableFailure('HTTP 429', 4000)), { clock, deadline: clock.now() + 10_000 }),
    ).rejects.toMatchObject({ name: 'SlackUnavailable', message: expect.stringContaining("would pass the notifier's time budget") });
    expect(clock.sleeps).toEqual([4000, 4000]);
  });

  it('stops after the last attempt', async () => {
    const clock = fakeClock();

    await expect(withSlackRetries('test', () => Promise.reject(new SlackRetryableFailure('HTTP 500', 1)), { clock, deadline: clock.now() + SLACK_TIME_BUDGET_MS })).rejects.toMatchObject({
      name: 'SlackUnavailable',
      message: expect.stringContaining(`gave up after ${MAX_ATTEMPTS} attempts`),
    });
    expect(clock.sleeps).toHaveLength(MAX_ATTEMPTS - 1);
  });
});
