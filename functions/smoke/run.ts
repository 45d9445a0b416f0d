import type { HttpSmokeTest, SmokeTest } from '../config/schema';
import type { SmokeProgress } from '../shared/deployment';
import { SmokeTestFailed } from '../shared/errors';
import { runHttpCheck, type CheckResult } from './http';
import { MAX_SMOKE_RESULT_LENGTH } from '../config/state-budget';
import { excerpt } from '../shared/redact';

/** A smoke test ready to run: how often it may be tried, how long apart, and the try itself. */
interface SmokeCheck {
  attempts: number;
  intervalSeconds: number;
  run: () => Promise<CheckResult>;
}

function httpCheck(test: HttpSmokeTest): SmokeCheck {
  return { attempts: test.attempts, intervalSeconds: test.intervalSeconds, run: () => runHttpCheck(test) };
}

/**
 * One round of smoke tests: every check that has not passed yet is tried once.
 * The state machine waits `retryAfterSeconds` and calls again while checks have
 * attempts left; a check out of attempts fails the deployment, and so does a
 * `final` failure (a refused address), whatever attempts are left.
 */
async function runSmokeTestRound(checks: SmokeCheck[], previous: SmokeProgress | undefined): Promise<SmokeProgress> {
  const finals = new Set<number>();
  const progress = await Promise.all(
    checks.map(async (check, index) => {
      const before = previous?.checks[index] ?? { passed: false, attempts: 0 };
      if (before.passed) return before;
      const result = await check.run();
      if (!result.passed && result.final) finals.add(index);
      return { passed: result.passed, attempts: before.attempts + 1, lastResult: excerpt(result.detail, MAX_SMOKE_RESULT_LENGTH) };
    }),
  );
  const exhausted = progress.filter((check, index) => !check.passed && (finals.has(index) || check.attempts >= (checks[index]?.attempts ?? 1)));
  if (exhausted.length > 0) {
    throw new SmokeTestFailed(exhausted.map((check) => `${check.lastResult} (after ${check.attempts} attempt${check.attempts === 1 ? '' : 's'})`).join('; '));
  }
  const waiting = checks.filter((_, index) => !progress[index]?.passed);
  return {
    checks: progress,
    allPassed: waiting.length === 0,
    retryAfterSeconds: waiting.length === 0 ? 0 : Math.min(...waiting.map((check) => check.intervalSeconds)),
  };
}

/** The HTTP checks among a target's smoke tests. */
function httpSmokeTests(tests: SmokeTest[]): HttpSmokeTest[] {
  return tests.flatMap((test) => ('http' in test ? [test.http] : []));
}

export { runSmokeTestRound, httpSmokeTests, httpCheck };
export type { SmokeCheck };
