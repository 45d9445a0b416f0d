import { withGlobal } from '@sinonjs/fake-timers';
import { dynamodb } from '../functions/shared/clients/dynamodb';

/**
 * Runs a scenario on a virtual clock: Date and timers (Wait states, retry pauses,
 * lease deadlines, token buckets) are virtual; the clock jumps to the next timer
 * only when nothing else can happen — no microtask pending and no request in
 * flight to the local DynamoDB (a real server in another process). A minute of
 * deployments takes a moment; the figures are what they would be in AWS time.
 */

const realSetImmediate = setImmediate;
const turn = () => new Promise<void>((resolve) => realSetImmediate(resolve));

let inFlight = 0;
let counting = false;

/** Counts requests in flight on the deployer's own DynamoDB client (middleware: the client is the one the handlers use). */
function countDynamoDbRequests(): void {
  if (counting) return;
  counting = true;
  dynamodb.middlewareStack.add(
    (next) => async (args) => {
      inFlight += 1;
      try {
        return await next(args);
      } finally {
        inFlight -= 1;
      }
    },
    { step: 'initialize', name: 'benchRequestsInFlight' },
  );
}

/** Waits, in real time, until nothing is in flight for a few turns of the event loop. */
async function untilIdle(): Promise<void> {
  for (let quiet = 0; quiet < 4; ) {
    await turn();
    quiet = inFlight === 0 ? quiet + 1 : 0;
  }
}

/**
 * Installs the virtual clock at `start`, runs `scenario` (which schedules its work
 * with setTimeout and friends), and moves time on until `finished()` says so.
 * Returns the virtual milliseconds that passed.
 */
async function inVirtualTime(start: Date, scenario: () => void, finished: () => boolean, limitMs = 6 * 3600_000): Promise<number> {
  countDynamoDbRequests();
  const clock = withGlobal(globalThis).install({ now: start, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], shouldAdvanceTime: false, shouldClearNativeTimers: true });
  try {
    scenario();
    for (;;) {
      await untilIdle();
      if (finished()) break;
      if (clock.now - start.getTime() > limitMs) throw new Error(`the scenario did not finish within ${limitMs / 1000} s of virtual time`);
      if (clock.countTimers() === 0) throw new Error('nothing left to happen, but the scenario is not finished');
      clock.next();
    }
    return clock.now - start.getTime();
  } finally {
    clock.uninstall();
  }
}

export { inVirtualTime };
