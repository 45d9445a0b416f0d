import type { RetryClock } from '../../../../functions/notifications/retry';

interface FakeClock extends RetryClock {
  /** Every wait asked for, in ms, in order. Nothing really waits: the clock moves on. */
  sleeps: number[];
}

/** A clock that never waits: sleeping moves it forward. Jitter is fixed at the middle. */
function fakeClock(start = Date.parse('2026-11-23T10:20:00.000Z')): FakeClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    random: () => 0.5,
  };
}

export { fakeClock };
export type { FakeClock };
