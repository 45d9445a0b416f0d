import type { HttpSmokeTest, SmokeTest } from '../config/schema';

/** When an HTTP smoke test runs: against production traffic, or against ECS's test listener first (`stage: test-traffic`). */
type SmokeStage = NonNullable<HttpSmokeTest['stage']>;

/** Whether a deployment has smoke tests for ECS's test traffic (pure). */
function hasTestTrafficSmokeTests(smokeTests: readonly SmokeTest[]): boolean {
  return smokeTests.some((test) => 'http' in test && test.http.stage === 'test-traffic');
}

export { hasTestTrafficSmokeTests };
export type { SmokeStage };
