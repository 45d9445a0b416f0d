import type { DeploymentState } from '../shared/deployment';
import type { SmokeStage } from './stages';
import { runInvokeCheck } from '../lambda/invoke';
import { httpCheck, type SmokeCheck } from './run';

/**
 * The runnable smoke tests of a deployment: HTTP checks, and for Lambda targets
 * invocations of `qualifier` (the alias once all traffic is shifted, the new
 * version itself during a canary). Batch test jobs run in their own states.
 */
function smokeChecksFor(state: DeploymentState, qualifier?: string, stage: SmokeStage = 'production'): SmokeCheck[] {
  const { lambda } = state;
  const target = lambda ? (qualifier ?? lambda.alias ?? lambda.newVersion) : undefined;
  return state.deployment.settings.smokeTests.flatMap((test): SmokeCheck[] => {
    if ('http' in test) return (test.http.stage ?? 'production') === stage ? [httpCheck(test.http)] : [];
    if ('invoke' in test && lambda && stage === 'production') {
      const invoke = test.invoke;
      return [{ attempts: invoke.attempts, intervalSeconds: invoke.intervalSeconds, run: () => runInvokeCheck(lambda.functionName, target, invoke) }];
    }
    return [];
  });
}

export { smokeChecksFor };
