import { nativeDeploymentOf } from '../../../functions/ecs/service-deployments';
import { bakeSecondsOf } from '../../../functions/ecs/strategies';

/** ECS's own strategies: how long ECS holds a deployment, and what the deployer follows. */

describe('how long ECS bakes a deployment', () => {
  it.each([
    ['BLUE_GREEN', { strategy: 'BLUE_GREEN' as const, bakeTimeInMinutes: 30 }, 1800],
    ['LINEAR, 25 % steps of 5 minutes, then 5 minutes', { strategy: 'LINEAR' as const, bakeTimeInMinutes: 5, linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 5 } }, 3 * 300 + 300],
    ['LINEAR with ECS\'s defaults (10 % steps of 6 minutes)', { strategy: 'LINEAR' as const }, 9 * 360],
    ['CANARY, 15 minutes of canary, then 5', { strategy: 'CANARY' as const, bakeTimeInMinutes: 5, canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 15 } }, 1200],
    ['CANARY with ECS\'s default canary bake (10 minutes)', { strategy: 'CANARY' as const }, 600],
  ])('%s', (_, configuration, seconds) => {
    expect(bakeSecondsOf(configuration)).toBe(seconds);
  });
});

describe('what the deployer follows', () => {
  const arn = 'arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/abc';

  it('a ROLLING service (or one that names no strategy) keeps the rolling path', () => {
    expect(nativeDeploymentOf({ deploymentConfiguration: { strategy: 'ROLLING' }, currentServiceDeployment: arn })).toBeUndefined();
    expect(nativeDeploymentOf({ deploymentConfiguration: {} })).toBeUndefined();
  });

  it('a BLUE_GREEN service: its current service deployment, its bake, and the alarms ECS rolls back on itself', () => {
    const native = nativeDeploymentOf({ currentServiceDeployment: arn, deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 10, alarms: { alarmNames: ['web-5xx'], enable: true, rollback: true } } });

    expect(native).toEqual({ strategy: 'BLUE_GREEN', serviceDeploymentArn: arn, bakeSeconds: 600, ecsAlarms: { names: ['web-5xx'], rollback: true } });
  });

  it('refuses to guess when UpdateService names no service deployment', () => {
    expect(() => nativeDeploymentOf({ serviceName: 'web', deploymentConfiguration: { strategy: 'CANARY' } })).toThrow('UpdateService on web (CANARY) named no service deployment to follow');
  });
});
