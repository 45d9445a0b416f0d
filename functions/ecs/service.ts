import {
  ClientException,
  DeregisterTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandOutput,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type Deployment as EcsDeployment,
  type Service,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { ChangedContainer, Deployment, EcsProgress, EcsRollback, EcsRolloutStatus, RollbackVerdict, RolloutStatus } from '../shared/deployment';
import { ecs } from '../shared/clients/ecs';
import {
  CircuitBreakerRolledBack,
  ConfigError,
  DefinitionNotFound,
  RollbackFailed,
  RolloutFailed,
  RolloutTimeout,
} from '../shared/errors';
import { ecsServiceOf } from '../shared/state';
import { buildRevisionInput, DEPLOYMENT_TAG_KEY, selectContainers, taskDefinitionLabel } from './task-definition';
import { isPassableRole } from '../shared/pass-roles';
import { longestDeregistrationDelay } from './load-balancers';
import { nextCheckSeconds, rolloutClock } from './rollout-schedule';

function secondsFromNow(seconds: number, now = Date.now()): string {
  return new Date(now + seconds * 1000).toISOString();
}

async function describeService(cluster: string, service: string): Promise<Service> {
  const output = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  const found = output.services?.find((s) => s.serviceName === service || s.serviceArn === service);
  if (!found || found.status === 'INACTIVE') {
    const reason = output.failures?.[0]?.reason ?? (found ? 'INACTIVE' : 'MISSING');
    throw new DefinitionNotFound(`ECS service "${service}" not found in cluster "${cluster}" (${reason}). Check ecs.cluster and ecs.service in deployments.yml.`);
  }
  return found;
}

function primaryDeployment(service: Service): EcsDeployment | undefined {
  return service.deployments?.find((d) => d.status === 'PRIMARY');
}

/** `arn:…:task-definition/web:42` → `web`. */
function familyOf(taskDefinitionArn: string): string {
  const label = taskDefinitionLabel(taskDefinitionArn);
  return label.slice(0, label.lastIndexOf(':'));
}

/** Records what the service runs now: the revision a failed deployment returns to. */
async function recordCurrentService(deployment: Deployment): Promise<EcsProgress> {
  const { cluster, service: serviceName } = ecsServiceOf(deployment);
  const service = await describeService(cluster, serviceName);
  if (!service.taskDefinition) throw new DefinitionNotFound(`ECS service "${serviceName}" has no task definition yet. Create the service with one first.`);
  const breaker = service.deploymentConfiguration?.deploymentCircuitBreaker;
  return {
    cluster,
    service: serviceName,
    serviceArn: service.serviceArn ?? serviceName,
    previousTaskDefinitionArn: service.taskDefinition,
    pollSeconds: deployment.settings.rollout.pollSeconds,
    rolloutDeadline: secondsFromNow(deployment.settings.rollout.timeoutSeconds),
    circuitBreaker: { enable: breaker?.enable ?? false, rollback: breaker?.rollback ?? false },
  };
}

/** Refuses, before anything is registered, a task definition whose roles the deployer may not pass. */
function assertRolesArePassable(taskDefinition: TaskDefinition, passRoles: string[] | undefined): void {
  if (passRoles === undefined) return;
  const roles = [taskDefinition.taskRoleArn, taskDefinition.executionRoleArn].filter((r): r is string => Boolean(r));
  const missing = roles.filter((role) => !isPassableRole(role, passRoles));
  if (missing.length > 0) {
    throw new ConfigError(
      `task definition ${taskDefinition.family} uses role(s) ${missing.join(', ')} that are not in ecs.passRoles; add them to deployments.yml and redeploy ecr-deployer so it may pass them.`,
    );
  }
}

/** The latest ACTIVE revision of the family, if this deployment registered it (a retried step). */
async function findRevisionRegisteredBy(family: string, deploymentId: string): Promise<TaskDefinition | undefined> {
  let latest: DescribeTaskDefinitionCommandOutput;
  try {
    latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family, include: ['TAGS'] }));
  } catch (error) {
    // A family with no ACTIVE revision left: certainly none of ours.
    if (error instanceof ClientException) return undefined;
    throw error;
  }
  const marker = latest.tags?.find((tag) => tag.key === DEPLOYMENT_TAG_KEY);
  return marker?.value === deploymentId && latest.taskDefinition?.status === 'ACTIVE' ? latest.taskDefinition : undefined;
}

/**
 * The containers each change replaces: its target's `ecs.containers`, or those
 * running an image of its repository. Two targets may not replace one container.
 */
function changedContainers(taskDefinition: TaskDefinition, deployment: Deployment): ChangedContainer[] {
  const owner = new Map<string, string>();
  return deployment.changes.flatMap((change) =>
    selectContainers(taskDefinition, change.image.repository, change.target.ecs?.containers, change.image.registry).map((container) => {
      const name = container.name ?? '';
      const other = owner.get(name);
      if (other !== undefined) {
        throw new ConfigError(
          `container "${name}" of ${taskDefinition.family ?? 'the task definition'} would take the images of both ${other} and ${change.target.name}; give each target its own ecs.containers in deployments.yml.`,
        );
      }
      owner.set(name, change.target.name);
      return { name, target: change.target.name, previousImage: container.image ?? '', image: change.image.uri };
    }),
  );
}

/**
 * Registers one new revision of the task definition the service runs, with the
 * image of every changed container replaced by digest. Safe to run twice: a
 * revision this deployment already registered is found by its tag and reused.
 */
async function registerTaskDefinitionRevision(deployment: Deployment, progress: EcsProgress): Promise<EcsProgress> {
  const current = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: progress.previousTaskDefinitionArn, include: ['TAGS'] }));
  const taskDefinition = current.taskDefinition;
  if (!taskDefinition) throw new DefinitionNotFound(`task definition ${progress.previousTaskDefinitionArn} not found.`);
  assertRolesArePassable(taskDefinition, ecsServiceOf(deployment).passRoles);
  const containers = changedContainers(taskDefinition, deployment);

  const existing = await findRevisionRegisteredBy(familyOf(progress.previousTaskDefinitionArn), deployment.id);
  if (existing?.taskDefinitionArn) return { ...progress, containers, newTaskDefinitionArn: existing.taskDefinitionArn };

  const images = Object.fromEntries(containers.map((c) => [c.name, c.image]));
  const registered = await ecs.send(new RegisterTaskDefinitionCommand(buildRevisionInput(taskDefinition, current.tags, images, deployment.id)));
  const arn = registered.taskDefinition?.taskDefinitionArn;
  if (!arn) throw new Error('RegisterTaskDefinition returned no task definition ARN');
  return { ...progress, containers, newTaskDefinitionArn: arn };
}

function requireNewRevision(progress: EcsProgress): string {
  if (!progress.newTaskDefinitionArn) throw new Error('no new task definition revision recorded: register step did not run');
  return progress.newTaskDefinitionArn;
}

/**
 * Points the service at the new revision and remembers the ECS deployment that
 * creates. Safe to run twice, with no read first: without `forceNewDeployment`,
 * UpdateService to the revision the service already has starts no deployment
 * (Amazon ECS API reference, UpdateService), and answers with the one the first
 * attempt started. Then reads, once per deployment, how long the service's target
 * groups drain (from the load balancers UpdateService answers with), which decides
 * when the rollout is first looked at (functions/ecs/rollout-schedule.ts).
 */
async function updateServiceToRevision(deployment: Deployment, progress: EcsProgress): Promise<EcsProgress> {
  const newArn = requireNewRevision(progress);
  const updated = await ecs.send(new UpdateServiceCommand({ cluster: progress.cluster, service: progress.service, taskDefinition: newArn }));
  const primary = updated.service?.deployments?.find((d) => d.status === 'PRIMARY' && d.taskDefinition === newArn);
  if (!primary?.id || !updated.service) throw new RolloutFailed(`UpdateService did not start a deployment of ${taskDefinitionLabel(newArn)}`);
  const now = Date.now();
  const deregistrationDelaySeconds = await longestDeregistrationDelay(updated.service);
  const started: EcsProgress = {
    ...progress,
    deploymentId: primary.id,
    rolloutDeadline: secondsFromNow(deployment.settings.rollout.timeoutSeconds, now),
    ...(deregistrationDelaySeconds === undefined ? {} : { deregistrationDelaySeconds }),
  };
  return { ...started, nextCheckSeconds: nextCheckSeconds(rolloutClock(updated.service, started, now)) };
}

function rolloutStatus(service: Service, tracked: EcsDeployment, status: RolloutStatus['status']): RolloutStatus {
  return {
    status,
    runningCount: tracked.runningCount ?? 0,
    desiredCount: tracked.desiredCount ?? service.desiredCount ?? 0,
    pendingCount: tracked.pendingCount ?? 0,
    checkedAt: new Date().toISOString(),
  };
}

/** COMPLETED per rolloutState, or (services without rolloutState) the only deployment at full count. */
function isComplete(service: Service, tracked: EcsDeployment): boolean {
  if (tracked.rolloutState) return tracked.rolloutState === 'COMPLETED';
  return (service.deployments?.length ?? 0) === 1 && tracked.status === 'PRIMARY' && tracked.runningCount === tracked.desiredCount;
}

/** At the deadline or after it: the last look is scheduled for the deadline itself. */
function pastDeadline(deadline: string): boolean {
  return Date.now() >= Date.parse(deadline);
}

/**
 * One look at the rollout of *our* deployment. Services-stable alone is not enough:
 * it also holds after a circuit-breaker rollback, so we follow our deployment id.
 * While it is in progress, says when to look next: not before it could complete.
 */
async function checkDeploymentRollout(progress: EcsProgress): Promise<EcsRolloutStatus> {
  const newArn = requireNewRevision(progress);
  const service = await describeService(progress.cluster, progress.service);
  const ours = service.deployments?.find((d) => d.id === progress.deploymentId);
  const primary = primaryDeployment(service);
  const label = taskDefinitionLabel(newArn);

  if (!ours || ours.rolloutState === 'FAILED') {
    if (primary && primary.id !== progress.deploymentId && primary.taskDefinition === progress.previousTaskDefinitionArn) {
      throw new CircuitBreakerRolledBack(
        `ECS rolled the service back to ${taskDefinitionLabel(progress.previousTaskDefinitionArn)}: deployment ${progress.deploymentId} of ${label} ${ours?.rolloutStateReason ?? 'failed'}`,
      );
    }
    if (!ours) {
      throw new RolloutFailed(`deployment ${progress.deploymentId} of ${label} is gone; the service now runs ${primary?.taskDefinition ? taskDefinitionLabel(primary.taskDefinition) : 'nothing'}`);
    }
    throw new RolloutFailed(`deployment ${progress.deploymentId} of ${label} FAILED: ${ours.rolloutStateReason ?? 'no reason given'} (${ours.failedTasks ?? 0} failed tasks)`);
  }
  if (isComplete(service, ours)) return rolloutStatus(service, ours, 'COMPLETED');
  if (pastDeadline(progress.rolloutDeadline)) {
    throw new RolloutTimeout(
      `deployment ${progress.deploymentId} of ${label} did not complete by ${progress.rolloutDeadline}: ${ours.runningCount ?? 0}/${ours.desiredCount ?? 0} tasks running, ${ours.failedTasks ?? 0} failed. Raise rollout.timeoutSeconds if it is just slow.`,
    );
  }
  const clock = rolloutClock(service, progress, Date.now());
  return {
    ...rolloutStatus(service, ours, 'IN_PROGRESS'),
    nextCheckSeconds: nextCheckSeconds(clock),
    ...(clock.drainingSince === undefined ? {} : { drainingSince: new Date(clock.drainingSince).toISOString() }),
  };
}

/**
 * Returns the service to the revision recorded before this deployment (never
 * "revision - 1"). Does not fight ECS: if the service is already back (circuit
 * breaker, or an earlier attempt of this step), it only watches that deployment.
 */
async function rollBackService(deployment: Deployment, progress: EcsProgress): Promise<EcsProgress> {
  const target = progress.previousTaskDefinitionArn;
  const service = await describeService(progress.cluster, progress.service);
  const primary = primaryDeployment(service);
  const deadline = secondsFromNow(deployment.settings.rollout.rollbackTimeoutSeconds);
  let rollback: EcsRollback;
  if (primary?.taskDefinition === target) {
    rollback = { action: progress.deploymentId ? 'already-rolled-back' : 'nothing-to-undo', taskDefinitionArn: target, deploymentId: primary.id, deadline };
  } else if (primary?.taskDefinition === progress.newTaskDefinitionArn) {
    const updated = await ecs.send(new UpdateServiceCommand({ cluster: progress.cluster, service: progress.service, taskDefinition: target }));
    const started = updated.service?.deployments?.find((d) => d.status === 'PRIMARY' && d.taskDefinition === target);
    rollback = { action: 'updated-service', taskDefinitionArn: target, deploymentId: started?.id, deadline };
  } else {
    throw new RollbackFailed(
      `the service now runs ${primary?.taskDefinition ? taskDefinitionLabel(primary.taskDefinition) : 'nothing'}, neither the new ${progress.newTaskDefinitionArn ? taskDefinitionLabel(progress.newTaskDefinitionArn) : 'revision'} nor the previous ${taskDefinitionLabel(target)}; someone else changed it, so it was left alone.`,
    );
  }
  return { ...progress, rollback };
}

/** One look at the rollback deployment; failures here are RollbackFailed. */
async function checkRollbackRollout(progress: EcsProgress): Promise<RolloutStatus> {
  const rollback = progress.rollback;
  if (!rollback) throw new RollbackFailed('no rollback recorded: roll-back step did not run');
  const service = await describeService(progress.cluster, progress.service);
  const label = taskDefinitionLabel(rollback.taskDefinitionArn);
  const tracked =
    service.deployments?.find((d) => d.id === rollback.deploymentId) ??
    service.deployments?.find((d) => d.status === 'PRIMARY' && d.taskDefinition === rollback.taskDefinitionArn);
  if (!tracked || tracked.taskDefinition !== rollback.taskDefinitionArn) {
    throw new RollbackFailed(`the service no longer runs ${label}; it was changed while rolling back`);
  }
  if (tracked.rolloutState === 'FAILED') {
    throw new RollbackFailed(`rollback to ${label} FAILED: ${tracked.rolloutStateReason ?? 'no reason given'}`);
  }
  if (isComplete(service, tracked)) return rolloutStatus(service, tracked, 'COMPLETED');
  if (pastDeadline(rollback.deadline)) {
    throw new RollbackFailed(`rollback to ${label} did not stabilise by ${rollback.deadline}: ${tracked.runningCount ?? 0}/${tracked.desiredCount ?? 0} tasks running`);
  }
  return rolloutStatus(service, tracked, 'IN_PROGRESS');
}

/**
 * After a rollback step failed: whether the service is verifiably back on the
 * revision recorded before the deployment — its primary deployment runs it and
 * has completed. Only then is the deployment ROLLED_BACK rather than ROLLBACK_FAILED.
 */
async function judgeServiceRollback(progress: EcsProgress): Promise<RollbackVerdict> {
  const service = await describeService(progress.cluster, progress.service);
  const primary = primaryDeployment(service);
  const recorded = taskDefinitionLabel(progress.previousTaskDefinitionArn);
  const runs = primary?.taskDefinition ? taskDefinitionLabel(primary.taskDefinition) : 'nothing';
  if (primary?.taskDefinition !== progress.previousTaskDefinitionArn) return { backOnRecorded: false, runs: `the service runs ${runs}, not the recorded ${recorded}` };
  if (!isComplete(service, primary)) return { backOnRecorded: false, runs: `the service is on ${recorded}, but its deployment has not completed (${primary.runningCount ?? 0}/${primary.desiredCount ?? 0} tasks running)` };
  return { backOnRecorded: true, runs: `the service is back on ${recorded}, its deployment completed` };
}

interface OrphanCleanup {
  /** The revision deregistered (or found already deregistered). */
  deregistered?: string;
  /** The service has a deployment of the new revision after all: roll back instead. */
  serviceUsesNewRevision: boolean;
}

/**
 * After a failure before the service changed: deregisters the revision this
 * deployment registered, so no orphan is left. If the service does use it (an
 * UpdateService that failed late), it is left alone and the caller rolls back.
 */
async function deregisterOrphanRevision(deployment: Deployment, progress: EcsProgress | undefined): Promise<OrphanCleanup> {
  if (!progress) return { serviceUsesNewRevision: false };
  const orphan =
    progress.newTaskDefinitionArn ?? (await findRevisionRegisteredBy(familyOf(progress.previousTaskDefinitionArn), deployment.id))?.taskDefinitionArn;
  if (!orphan) return { serviceUsesNewRevision: false };
  const service = await describeService(progress.cluster, progress.service);
  if (service.deployments?.some((d) => d.taskDefinition === orphan)) return { serviceUsesNewRevision: true };
  const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: orphan }));
  if (described.taskDefinition?.status === 'ACTIVE') await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: orphan }));
  return { deregistered: orphan, serviceUsesNewRevision: false };
}

export type { OrphanCleanup };
export {
  recordCurrentService,
  registerTaskDefinitionRevision,
  updateServiceToRevision,
  checkDeploymentRollout,
  rollBackService,
  checkRollbackRollout,
  deregisterOrphanRevision,
  judgeServiceRollback,
  familyOf,
};
