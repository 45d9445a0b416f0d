import {
  ClientException,
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type Deployment as EcsDeployment,
  type Service,
  type Tag,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { ChangedContainer, Deployment, EcsProgress, EcsRollback, EcsRolloutStatus, OrphanCleanup, RollbackVerdict, RolloutStatus } from '../shared/deployment';
import { isThrottlingError, isTransientAwsError } from '../shared/aws-errors';
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
import { buildRevisionInput, DEPLOYMENT_TAG_KEY, PREVIOUS_REVISION_TAG_KEY, selectContainers, taskDefinitionLabel } from './task-definition';
import { isPassableRole } from '../shared/pass-roles';
import { longestDeregistrationDelay } from './load-balancers';
import { nextCheckSeconds, rolloutClock } from './rollout-schedule';
import { hasTestTrafficSmokeTests } from '../smoke/stages';
import { assertTestTrafficHook, checkNativeRollback, checkNativeRollout, nativeDeploymentOf, rollBackNative } from './service-deployments';

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

interface DescribedRevision {
  taskDefinition: TaskDefinition & { taskDefinitionArn: string };
  tags: Tag[];
}

async function describeRevision(taskDefinition: string): Promise<DescribedRevision> {
  const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ['TAGS'] }));
  const found = described.taskDefinition;
  if (!found?.taskDefinitionArn) throw new DefinitionNotFound(`task definition ${taskDefinition} not found.`);
  return { taskDefinition: { ...found, taskDefinitionArn: found.taskDefinitionArn }, tags: described.tags ?? [] };
}

/** The family's latest ACTIVE revision; none when the family has no ACTIVE revision left. */
async function describeLatestRevision(family: string): Promise<DescribedRevision | undefined> {
  try {
    return await describeRevision(family);
  } catch (error) {
    if (error instanceof ClientException) return undefined;
    throw error;
  }
}

const tagValue = (tags: Tag[], key: string): string | undefined => tags.find((tag) => tag.key === key)?.value;

/** A latest revision this deployment registered: a first attempt of its step got that far. */
function registeredBy(latest: DescribedRevision | undefined, deploymentId: string): DescribedRevision | undefined {
  return latest?.taskDefinition.status === 'ACTIVE' && tagValue(latest.tags, DEPLOYMENT_TAG_KEY) === deploymentId ? latest : undefined;
}

/** `arn:…:task-definition/web:42` with revision 41 → `arn:…:task-definition/web:41`. */
function withRevision(taskDefinitionArn: string, revision: number): string {
  return `${taskDefinitionArn.slice(0, taskDefinitionArn.lastIndexOf(':'))}:${revision}`;
}

/**
 * The revision the service ran before `ours`, which a first attempt of this step
 * registered and pointed the service at: from the revision's tag, else from the
 * service's older deployment while it still drains.
 */
function revisionBefore(ours: DescribedRevision, service: Service): string {
  const tagged = Number(tagValue(ours.tags, PREVIOUS_REVISION_TAG_KEY));
  if (Number.isInteger(tagged) && tagged > 0) return withRevision(ours.taskDefinition.taskDefinitionArn, tagged);
  const older = service.deployments?.find((d) => d.status !== 'PRIMARY' && d.taskDefinition && d.taskDefinition !== ours.taskDefinition.taskDefinitionArn);
  if (older?.taskDefinition) return older.taskDefinition;
  throw new RolloutFailed(
    `the service already runs ${taskDefinitionLabel(ours.taskDefinition.taskDefinitionArn)}, which this deployment registered, but the revision it ran before is not known; roll back by hand if needed.`,
  );
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
 * The first change of an ECS deployment, in one step: reads what the service
 * runs (the rollback target), registers one new revision of it with the image of
 * every changed container replaced by digest, and points the service at it.
 *
 * Safe to run twice without knowing it is a retry: the family's latest revision
 * is read anyway (usually it is the one the service runs, so it is also the base
 * of the new one); if this deployment registered it, it is reused, and its tag
 * says which revision came before. UpdateService to the revision the service
 * already has starts no deployment without `forceNewDeployment` (Amazon ECS API
 * reference, UpdateService) and answers with the one the first attempt started.
 * Then reads, once per deployment, how long the service's target groups drain
 * (from the load balancers UpdateService answers with), which decides when the
 * rollout is first looked at (functions/ecs/rollout-schedule.ts).
 */
async function deployNewRevision(deployment: Deployment, options: { update: boolean } = { update: true }): Promise<EcsProgress> {
  const { cluster, service: serviceName, passRoles } = ecsServiceOf(deployment);
  const service = await describeService(cluster, serviceName);
  const running = service.taskDefinition;
  if (!running) throw new DefinitionNotFound(`ECS service "${serviceName}" has no task definition yet. Create the service with one first.`);
  const latest = await describeLatestRevision(familyOf(running));

  let previous: DescribedRevision;
  let newTaskDefinitionArn: string;
  const ours = registeredBy(latest, deployment.id);
  if (ours) {
    const previousArn = ours.taskDefinition.taskDefinitionArn === running ? revisionBefore(ours, service) : running;
    previous = await describeRevision(previousArn);
    newTaskDefinitionArn = ours.taskDefinition.taskDefinitionArn;
  } else {
    previous = latest?.taskDefinition.taskDefinitionArn === running ? latest : await describeRevision(running);
    assertRolesArePassable(previous.taskDefinition, passRoles);
    newTaskDefinitionArn = await registerRevisionOf(previous, deployment);
  }
  if (hasTestTrafficSmokeTests(deployment.settings.smokeTests)) assertTestTrafficHook(service);
  // With a pre-deploy task, the service changes only once it exited 0 (EcsRegisterNewRevision, then this step again).
  if (!options.update) return progressOf(deployment, service, previous, newTaskDefinitionArn, undefined);
  const updated = await ecs.send(new UpdateServiceCommand({ cluster, service: serviceName, taskDefinition: newTaskDefinitionArn }));
  // BLUE_GREEN, LINEAR, CANARY: ECS's service deployment is followed, and its bake is part of the deadline.
  const native = updated.service ? nativeDeploymentOf({ ...service, ...updated.service, deploymentConfiguration: updated.service.deploymentConfiguration ?? service.deploymentConfiguration }) : undefined;
  if (native) {
    const progress = progressOf(deployment, service, previous, newTaskDefinitionArn, undefined);
    return { ...progress, native, rolloutDeadline: secondsFromNow(deployment.settings.rollout.timeoutSeconds + native.bakeSeconds), nextCheckSeconds: progress.pollSeconds };
  }
  const primary = updated.service?.deployments?.find((d) => d.status === 'PRIMARY' && d.taskDefinition === newTaskDefinitionArn);
  if (!primary?.id || !updated.service) throw new RolloutFailed(`UpdateService did not start a deployment of ${taskDefinitionLabel(newTaskDefinitionArn)}`);
  // After the change, off the path to it: how long the target groups drain decides when the rollout is first looked at.
  const now = Date.now();
  const deregistrationDelaySeconds = await longestDeregistrationDelay(updated.service);
  const started: EcsProgress = {
    ...progressOf(deployment, service, previous, newTaskDefinitionArn, primary.id, now),
    ...(deregistrationDelaySeconds === undefined ? {} : { deregistrationDelaySeconds }),
  };
  return { ...started, nextCheckSeconds: nextCheckSeconds(rolloutClock(updated.service, started, now)) };
}

/** What the later steps of an ECS deployment need to know: the service, the revisions before and after, our ECS deployment. */
function progressOf(deployment: Deployment, service: Service, previous: DescribedRevision, newTaskDefinitionArn: string | undefined, deploymentId: string | undefined, now = Date.now()): EcsProgress {
  const { cluster, service: serviceName } = ecsServiceOf(deployment);
  const breaker = service.deploymentConfiguration?.deploymentCircuitBreaker;
  return {
    cluster,
    service: serviceName,
    serviceArn: service.serviceArn ?? serviceName,
    previousTaskDefinitionArn: previous.taskDefinition.taskDefinitionArn,
    pollSeconds: deployment.settings.rollout.pollSeconds,
    rolloutDeadline: secondsFromNow(deployment.settings.rollout.timeoutSeconds, now),
    circuitBreaker: { enable: breaker?.enable ?? false, rollback: breaker?.rollback ?? false },
    containers: changedContainers(previous.taskDefinition, deployment),
    ...(newTaskDefinitionArn ? { newTaskDefinitionArn } : {}),
    ...(deploymentId ? { deploymentId } : {}),
  };
}

/** Registers the revision `base` with the changed containers' images by digest, tagged with this deployment and the revision it replaces. */
async function registerRevisionOf(base: DescribedRevision, deployment: Deployment): Promise<string> {
  const images = Object.fromEntries(changedContainers(base.taskDefinition, deployment).map((c) => [c.name, c.image]));
  const registered = await ecs.send(new RegisterTaskDefinitionCommand(buildRevisionInput(base.taskDefinition, base.tags, images, deployment.id, base.taskDefinition.revision)));
  const arn = registered.taskDefinition?.taskDefinitionArn;
  if (!arn) throw new Error('RegisterTaskDefinition returned no task definition ARN');
  return arn;
}

function requireNewRevision(progress: EcsProgress): string {
  if (!progress.newTaskDefinitionArn) throw new Error('no new task definition revision recorded: EcsDeployNewRevision did not finish');
  return progress.newTaskDefinitionArn;
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
async function checkDeploymentRollout(progress: EcsProgress, testTraffic = false): Promise<EcsRolloutStatus> {
  if (progress.native) return checkNativeRollout(progress, progress.native, testTraffic);
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
  if (progress.native) return rollBackNative(deployment, service, progress, progress.native, deadline);
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
  if (rollback.serviceDeploymentArn) return checkNativeRollback(progress, rollback.serviceDeploymentArn, rollback.deadline);
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

/**
 * The revision after the family's latest ACTIVE one, if this deployment registered
 * it and it is INACTIVE: a first attempt of the clean-up deregistered it already.
 */
async function deregisteredRevisionAfter(latest: DescribedRevision, deploymentId: string): Promise<string | undefined> {
  const next = withRevision(latest.taskDefinition.taskDefinitionArn, (latest.taskDefinition.revision ?? 0) + 1);
  try {
    const found = await describeRevision(next);
    return found.taskDefinition.status === 'INACTIVE' && tagValue(found.tags, DEPLOYMENT_TAG_KEY) === deploymentId ? found.taskDefinition.taskDefinitionArn : undefined;
  } catch (error) {
    if (error instanceof ClientException || error instanceof DefinitionNotFound) return undefined;
    throw error;
  }
}

/**
 * After EcsDeployNewRevision failed: deregisters the revision this deployment
 * registered, so no orphan is left. If the service does use it (an UpdateService
 * that failed late, or a step that timed out after it), it is left alone and the
 * caller rolls back, to the revision its tag names.
 */
async function deregisterOrphanRevision(deployment: Deployment): Promise<OrphanCleanup> {
  const { cluster, service: serviceName } = ecsServiceOf(deployment);
  const service = await describeService(cluster, serviceName);
  const running = service.taskDefinition;
  if (!running) return { serviceUsesNewRevision: false };
  const latest = await describeLatestRevision(familyOf(running));
  const ours = registeredBy(latest, deployment.id);
  if (!ours) {
    const deregistered = latest ? await deregisteredRevisionAfter(latest, deployment.id) : undefined;
    return { ...(deregistered ? { deregistered } : {}), serviceUsesNewRevision: false, ecs: progressOf(deployment, service, await describeRevision(running), deregistered, undefined) };
  }
  const orphan = ours.taskDefinition.taskDefinitionArn;
  const using = service.deployments?.find((d) => d.taskDefinition === orphan);
  const previous = await describeRevision(running === orphan ? revisionBefore(ours, service) : running);
  const ecsProgress = progressOf(deployment, service, previous, orphan, using?.id);
  if (using) return { serviceUsesNewRevision: true, ecs: ecsProgress };
  try {
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: orphan }));
  } catch (error) {
    // Retried by the state machine; a lasting refusal (no permission) is reported, with the command, instead.
    if (isThrottlingError(error) || isTransientAwsError(error)) throw error;
    const failed = error instanceof Error ? error : new Error(String(error));
    return { serviceUsesNewRevision: false, ecs: ecsProgress, deregisterFailed: { Error: failed.name, Cause: failed.message } };
  }
  return { deregistered: orphan, serviceUsesNewRevision: false, ecs: ecsProgress };
}

export {
  deployNewRevision,
  describeService,
  describeRevision,
  requireNewRevision,
  checkDeploymentRollout,
  rollBackService,
  checkRollbackRollout,
  deregisterOrphanRevision,
  judgeServiceRollback,
  familyOf,
};
