import { SlackUnavailable } from './errors';

/**
 * Retries of one Slack call inside one invocation, bounded in time. Slack answers 429
 * with a Retry-After (seconds) and asks callers to honour it; 5xx and network errors
 * are worth another try after a backoff. Everything waits against one deadline per
 * invocation, so the Lambda never runs long: past it, `SlackUnavailable` is thrown and
 * Lambda's asynchronous retries (one, then two minutes later) take over.
 */

/** A failure a later attempt may not see: 429, 5xx, no answer. */
class SlackRetryableFailure extends Error {
  public override readonly name: string = 'SlackRetryableFailure';

  /** Slack's Retry-After, in milliseconds, when it sent one. */
  public readonly retryAfterMs?: number;

  public constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

/** Time, injectable so that tests never wait. */
interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** In [0, 1): the jitter of backoffs. */
  random(): number;
}

const systemClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

/** At most this much of an invocation goes to waiting for Slack (and its answers). */
const SLACK_TIME_BUDGET_MS = 20_000;
const MAX_ATTEMPTS = 5;
const BASE_BACKOFF_MS = 1_000;

/** Backoff after the nth failed attempt: 1 s, 2 s, 4 s, 8 s, each with "equal jitter" (half fixed, half random). */
function backoffMs(attempt: number, random: number): number {
  const ceiling = BASE_BACKOFF_MS * 2 ** (attempt - 1);
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/**
 * Runs `attempt` until it succeeds, throws something other than a
 * SlackRetryableFailure (a rejection: not retried), or the attempts or the deadline
 * run out (SlackUnavailable).
 *
 * @example await withSlackRetries('webhook', () => send(message), { clock, deadline: clock.now() + SLACK_TIME_BUDGET_MS })
 */
async function withSlackRetries<T>(what: string, attempt: () => Promise<T>, options: { clock: RetryClock; deadline: number }): Promise<T> {
  const { clock, deadline } = options;
  for (let attempts = 1; ; attempts += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof SlackRetryableFailure)) throw error;
      const delay = error.retryAfterMs ?? backoffMs(attempts, clock.random());
      if (attempts >= MAX_ATTEMPTS) throw new SlackUnavailable(`${what}: ${error.message}; gave up after ${attempts} attempts`);
      if (clock.now() + delay > deadline) {
        throw new SlackUnavailable(`${what}: ${error.message}; waiting ${Math.ceil(delay / 1000)} s more would pass the notifier's time budget (attempt ${attempts})`);
      }
      await clock.sleep(delay);
    }
  }
}

export { SlackRetryableFailure, withSlackRetries, backoffMs, systemClock, SLACK_TIME_BUDGET_MS, MAX_ATTEMPTS };
export type { RetryClock };
