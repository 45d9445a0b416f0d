import { checkAlarmsDuringCanary } from '../alarms/watch';
import type { DeploymentState } from '../shared/deployment';
import { requireLambdaProgress } from '../shared/state';
import { smokeChecksFor } from '../smoke/checks';
import { runSmokeTestRound } from '../smoke/run';
import { step } from '../shared/step';

/**
 * At the end of a canary bake: the target's alarms (every transition during the bake), then
 * every smoke test once, against the new version itself (the alias would send most requests
 * to the old one). One failure ends the canary.
 */
export const handler = step('LambdaCheckCanary', async (state: DeploymentState) => {
  await checkAlarmsDuringCanary(state);
  const checks = smokeChecksFor(state, requireLambdaProgress(state).newVersion).map((check) => ({ ...check, attempts: 1 }));
  return runSmokeTestRound(checks, undefined);
});
