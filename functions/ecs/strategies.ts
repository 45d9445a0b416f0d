import type { DeploymentConfiguration, Service } from '@aws-sdk/client-ecs';
import type { EcsNativeDeployment } from '../shared/deployment';

/** ECS's own deployment strategies (README, "ECS's own strategies"): pure facts about a service's configuration, for the ECS steps and `ecr-deployer verify`. */

type NativeStrategy = EcsNativeDeployment['strategy'];

const NATIVE_STRATEGIES: readonly string[] = ['BLUE_GREEN', 'LINEAR', 'CANARY'] satisfies NativeStrategy[];

/**
 * How long ECS holds a deployment after the new revision is up, in seconds (pure): the
 * linear steps' or the canary's bakes, then `bakeTimeInMinutes` with both revisions running.
 * Defaults as the API reference gives them (linear 10 % steps of 6 minutes, canary 10 minutes).
 */
function bakeSecondsOf(configuration: DeploymentConfiguration): number {
  const minutes = (value: number | undefined, fallback: number) => (value ?? fallback) * 60;
  const bake = minutes(configuration.bakeTimeInMinutes, 0);
  if (configuration.strategy === 'LINEAR') {
    const steps = Math.ceil(100 / (configuration.linearConfiguration?.stepPercent ?? 10)) - 1;
    return steps * minutes(configuration.linearConfiguration?.stepBakeTimeInMinutes, 6) + bake;
  }
  if (configuration.strategy === 'CANARY') return minutes(configuration.canaryConfiguration?.canaryBakeTimeInMinutes, 10) + bake;
  return bake;
}

/** Where ECS pauses for the test-traffic smoke tests. */
const TEST_TRAFFIC_STAGE = 'POST_TEST_TRAFFIC_SHIFT';

/** Why ECS would not hold this service's deployments for test-traffic smoke tests, or undefined (pure; also `ecr-deployer verify`). */
function testTrafficHookProblem(service: Service): string | undefined {
  const configuration = service.deploymentConfiguration ?? {};
  const strategy = configuration.strategy ?? 'ROLLING';
  const paused = (configuration.lifecycleHooks ?? []).some((hook) => hook.targetType === 'PAUSE' && hook.lifecycleStages?.includes(TEST_TRAFFIC_STAGE));
  if (NATIVE_STRATEGIES.includes(strategy) && paused) return undefined;
  return `smoke tests with stage: test-traffic need ECS to hold the deployment at ${TEST_TRAFFIC_STAGE}, but ${service.serviceName ?? 'the service'} ${NATIVE_STRATEGIES.includes(strategy) ? 'has no PAUSE lifecycle hook there' : `deploys with ${strategy}`}: give it a BLUE_GREEN, LINEAR or CANARY strategy with a lifecycle hook { targetType: PAUSE, lifecycleStages: [${TEST_TRAFFIC_STAGE}] } (README, "ECS's own strategies").`;
}

export { NATIVE_STRATEGIES, TEST_TRAFFIC_STAGE, bakeSecondsOf, testTrafficHookProblem };
export type { NativeStrategy };
