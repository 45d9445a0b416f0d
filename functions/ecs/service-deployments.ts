import {
  ContinueServiceDeploymentCommand,
  DescribeServiceDeploymentsCommand,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
  type Service,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import { ecs } from '../shared/clients/ecs';
import type { Deployment, EcsNativeDeployment, EcsProgress, EcsRolloutStatus, RolloutStatus } from '../shared/deployment';
import { RollbackFailed, RolloutFailed, RolloutTimeout, ServiceDeploymentRolledBack, TestTrafficHookMissing } from '../shared/errors';
import { bakeSecondsOf, NATIVE_STRATEGIES, TEST_TRAFFIC_STAGE, testTrafficHookProblem, type NativeStrategy } from './strategies';
import { taskDefinitionLabel } from './task-definition';

/**
 * ECS's own deployment strategies (`deploymentConfiguration.strategy`: BLUE_GREEN, LINEAR,
 * CANARY). ECS shifts the traffic, bakes, and may roll back by itself (alarms, lifecycle
 * hooks, its circuit breaker); the deployer follows *its* service deployment with
 * DescribeServiceDeployments instead of the `deployments` array, gives it a deadline that
 * includes the bake, and rolls back with StopServiceDeployment while ECS still can.
 * ROLLING services keep the path of ./service.ts.
 */

/** The native deployment UpdateService started, or undefined for a ROLLING service (pure). */
function nativeDeploymentOf(service: Service): EcsNativeDeployment | undefined {
  const configuration = service.deploymentConfiguration ?? {};
  if (!configuration.strategy || !NATIVE_STRATEGIES.includes(configuration.strategy)) return undefined;
  if (!service.currentServiceDeployment) throw new RolloutFailed(`UpdateService on ${service.serviceName ?? 'the service'} (${configuration.strategy}) named no service deployment to follow`);
  const alarms = configuration.alarms;
  return {
    strategy: configuration.strategy as NativeStrategy,
    serviceDeploymentArn: service.currentServiceDeployment,
    bakeSeconds: bakeSecondsOf(configuration),
    ...(alarms?.enable && alarms.alarmNames?.length ? { ecsAlarms: { names: alarms.alarmNames, rollback: alarms.rollback ?? false } } : {}),
  };
}

async function describeServiceDeployment(arn: string): Promise<ServiceDeployment> {
  const answer = await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
  const found = answer.serviceDeployments?.find((deployment) => deployment.serviceDeploymentArn === arn);
  if (!found) throw new RolloutFailed(`ECS has no service deployment ${arn} (${answer.failures?.[0]?.reason ?? 'MISSING'})`);
  return found;
}

/** Why ECS rolled back, in its words: the reason, the alarms it saw. */
function rollbackReason(found: ServiceDeployment): string {
  const alarms = found.alarms?.triggeredAlarmNames?.length ? ` (alarms in ALARM: ${found.alarms.triggeredAlarmNames.join(', ')})` : '';
  return `${found.statusReason ?? found.rollback?.reason ?? 'no reason given'}${alarms}`;
}

/** What a look at a service deployment says, with the new revision's task counts. */
function statusOf(found: ServiceDeployment, status: RolloutStatus['status']): EcsRolloutStatus {
  const target = found.targetServiceRevision;
  return {
    status,
    runningCount: target?.runningTaskCount ?? 0,
    // Unknown counts are taken as "tasks expected": the running image is verified, never skipped.
    desiredCount: target?.requestedTaskCount ?? 1,
    pendingCount: target?.pendingTaskCount ?? 0,
    checkedAt: new Date().toISOString(),
    ...(found.lifecycleStage ? { lifecycleStage: found.lifecycleStage } : {}),
  };
}

/**
 * Refuses, before the service changes, smoke tests for test traffic that nothing would
 * run: the service needs a native strategy and a PAUSE lifecycle hook at POST_TEST_TRAFFIC_SHIFT.
 */
function assertTestTrafficHook(service: Service): void {
  const problem = testTrafficHookProblem(service);
  if (problem) throw new TestTrafficHookMissing(`${problem} The service was not changed.`);
}

/** The PAUSE hook ECS waits on at POST_TEST_TRAFFIC_SHIFT, if it does. */
function awaitingTestTrafficHook(found: ServiceDeployment): string | undefined {
  if (found.lifecycleStage !== TEST_TRAFFIC_STAGE) return undefined;
  return found.lifecycleHookDetails?.find((hook) => hook.targetType === 'PAUSE' && hook.status === 'AWAITING_ACTION')?.hookId;
}

/** EcsContinueServiceDeployment: the test-traffic smoke tests passed; ECS may shift production traffic. A retry finds the hook continued. */
async function continueAfterTestTraffic(native: EcsNativeDeployment): Promise<{ continued: string | null }> {
  const hookId = awaitingTestTrafficHook(await describeServiceDeployment(native.serviceDeploymentArn));
  if (!hookId) return { continued: null };
  await ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: native.serviceDeploymentArn, hookId, action: 'CONTINUE' }));
  return { continued: hookId };
}

/** EcsCheckRollout for a native strategy: one look at our service deployment. */
async function checkNativeRollout(progress: EcsProgress, native: EcsNativeDeployment, testTraffic = false): Promise<EcsRolloutStatus> {
  const found = await describeServiceDeployment(native.serviceDeploymentArn);
  const hookId = testTraffic ? awaitingTestTrafficHook(found) : undefined;
  if (hookId && (found.status === 'IN_PROGRESS' || found.status === 'PENDING')) return { ...statusOf(found, 'TEST_TRAFFIC'), hookId };
  const label = progress.newTaskDefinitionArn ? taskDefinitionLabel(progress.newTaskDefinitionArn) : 'the new revision';
  switch (found.status) {
    case 'SUCCESSFUL':
      return statusOf(found, 'COMPLETED');
    case 'ROLLBACK_REQUESTED':
    case 'ROLLBACK_IN_PROGRESS':
    case 'ROLLBACK_SUCCESSFUL':
      throw new ServiceDeploymentRolledBack(`ECS rolled its ${native.strategy} deployment of ${label} back to ${taskDefinitionLabel(progress.previousTaskDefinitionArn)} itself: ${rollbackReason(found)}`);
    case 'PENDING':
    case 'IN_PROGRESS':
      if (Date.now() >= Date.parse(progress.rolloutDeadline)) {
        throw new RolloutTimeout(`the ${native.strategy} deployment of ${label} was still at ${found.lifecycleStage ?? 'an unknown stage'} at ${progress.rolloutDeadline} (rollout.timeoutSeconds plus ${native.bakeSeconds} s of ECS's bake). Raise rollout.timeoutSeconds if it is just slow.`);
      }
      return { ...statusOf(found, 'IN_PROGRESS'), nextCheckSeconds: progress.pollSeconds };
    default:
      throw new RolloutFailed(`the ${native.strategy} deployment of ${label} is ${found.status ?? 'in an unknown state'}: ${found.statusReason ?? 'no reason given'}`);
  }
}

/**
 * EcsRollBackService for a native strategy. ECS rolled back already: watch it. Still in
 * progress: StopServiceDeployment (ROLLBACK), so ECS moves the traffic back to the
 * revision it shifted it from. Finished (a smoke test failed after it): UpdateService back,
 * a new deployment of the recorded revision, which is all ECS allows then.
 */
async function rollBackNative(deployment: Deployment, service: Service, progress: EcsProgress, native: EcsNativeDeployment, deadline: string): Promise<EcsProgress> {
  const target = progress.previousTaskDefinitionArn;
  const updatedBack = service.currentServiceDeployment !== undefined && service.currentServiceDeployment !== native.serviceDeploymentArn && service.taskDefinition === target;
  if (updatedBack) {
    // An earlier attempt of this step updated the service back already: follow that deployment.
    return { ...progress, rollback: { action: 'updated-service', taskDefinitionArn: target, serviceDeploymentArn: service.currentServiceDeployment ?? '', deadline: new Date(Date.parse(deadline) + native.bakeSeconds * 1000).toISOString() } };
  }
  const found = await describeServiceDeployment(native.serviceDeploymentArn);
  if (found.status?.startsWith('ROLLBACK')) {
    return { ...progress, rollback: { action: 'already-rolled-back', taskDefinitionArn: target, serviceDeploymentArn: native.serviceDeploymentArn, deadline } };
  }
  if (found.status === 'IN_PROGRESS' || found.status === 'PENDING') {
    await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: native.serviceDeploymentArn, stopType: 'ROLLBACK' }));
    return { ...progress, rollback: { action: 'stopped-service-deployment', taskDefinitionArn: target, serviceDeploymentArn: native.serviceDeploymentArn, deadline } };
  }
  const updated = await ecs.send(new UpdateServiceCommand({ cluster: progress.cluster, service: progress.service, taskDefinition: target }));
  const arn = updated.service?.currentServiceDeployment;
  if (!arn || arn === native.serviceDeploymentArn) throw new RollbackFailed(`UpdateService back to ${taskDefinitionLabel(target)} started no service deployment to follow (${deployment.id})`);
  return { ...progress, rollback: { action: 'updated-service', taskDefinitionArn: target, serviceDeploymentArn: arn, deadline: new Date(Date.parse(deadline) + native.bakeSeconds * 1000).toISOString() } };
}

/** EcsCheckRollback for a native strategy: the rollback is done when ECS says so. */
async function checkNativeRollback(progress: EcsProgress, arn: string, deadline: string): Promise<RolloutStatus> {
  const found = await describeServiceDeployment(arn);
  const label = taskDefinitionLabel(progress.previousTaskDefinitionArn);
  const rolledBackTo = found.status === 'ROLLBACK_SUCCESSFUL' || (found.status === 'SUCCESSFUL' && progress.rollback?.action === 'updated-service');
  if (rolledBackTo) return statusOf(found, 'COMPLETED');
  if (found.status === 'ROLLBACK_FAILED' || found.status === 'STOPPED') throw new RollbackFailed(`ECS could not roll back to ${label}: ${found.status}, ${found.statusReason ?? 'no reason given'}`);
  if (Date.now() >= Date.parse(deadline)) throw new RollbackFailed(`the rollback to ${label} was still ${found.status ?? 'unknown'} (${found.lifecycleStage ?? 'no stage'}) at ${deadline}`);
  return statusOf(found, 'IN_PROGRESS');
}

export { nativeDeploymentOf, assertTestTrafficHook, checkNativeRollout, continueAfterTestTraffic, rollBackNative, checkNativeRollback };
