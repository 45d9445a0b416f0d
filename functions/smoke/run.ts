import type { HttpSmokeTest, SmokeTest } from '../config/schema';
import type { SmokeProgress } from '../shared/deployment';
import { SmokeTestFailed } from '../shared/errors';
import { runHttpCheck } from './http';

/**
 * One round of smoke tests: every check that has not passed yet is tried once.
 * The state machine waits `retryAfterSeconds` and calls again while checks have
 * attempts left; a check out of attempts fails the deployment.
 */
async function runSmokeTestRound(tests: HttpSmokeTest[], previous: SmokeProgress | undefined): Promise<SmokeProgress> {
  const checks = await Promise.all(
    tests.map(async (test, index) => {
      const before = previous?.checks[index] ?? { passed: false, attempts: 0 };
      if (before.passed) return before;
      const result = await runHttpCheck(test);
      return { passed: result.passed, attempts: before.attempts + 1, lastResult: result.detail };
    }),
  );
  const exhausted = checks.filter((check, index) => !check.passed && check.attempts >= (tests[index]?.attempts ?? 1));
  if (exhausted.length > 0) {
    throw new SmokeTestFailed(exhausted.map((check) => `${check.lastResult} (after ${check.attempts} attempt${check.attempts === 1 ? '' : 's'})`).join('; '));
  }
  const waiting = tests.filter((_, index) => !checks[index]?.passed);
  return {
    checks,
    allPassed: waiting.length === 0,
    retryAfterSeconds: waiting.length === 0 ? 0 : Math.min(...waiting.map((test) => test.intervalSeconds)),
  };
}

/** The HTTP checks among a target's smoke tests (a Batch test job runs in its own steps). */
function httpSmokeTests(tests: SmokeTest[]): HttpSmokeTest[] {
  return tests.flatMap((test) => ('http' in test ? [test.http] : []));
}

export { runSmokeTestRound, httpSmokeTests };
