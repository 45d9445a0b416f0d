import { createHash } from 'node:crypto';
import { DescribeTasksCommand, RunTaskCommand, StopTaskCommand, type ContainerDefinition, type Task } from '@aws-sdk/client-ecs';
import { ecs } from '../shared/clients/ecs';
import type { DeploymentState, PreDeployTaskProgress } from '../shared/deployment';
import { ContainerNotFound, PreDeployTaskFailed } from '../shared/errors';
import { ecsServiceOf } from '../shared/state';
import { describeRevision, describeService, requireNewRevision } from './service';
import { taskDefinitionLabel } from './task-definition';

/**
 * `ecs.preDeployTask` (database migrations, say): a one-off task from the new
 * revision, in the service's own network configuration and capacity, with the
 * command as a container override. The service changes only once it exited 0;
 * otherwise the deployment fails before the service changed, and the new
 * revision is deregistered (EcsDeregisterOrphan). Waiting is in the state machine.
 */

/** RunTask's idempotency token (at most 64 characters): a retried step starts no second task. */
function clientTokenOf(deploymentId: string): string {
  return createHash('sha256').update(`pre-deploy ${deploymentId}`).digest('hex').slice(0, 64);
}

/** `group/prefix/container/task-id`, where an awslogs container writes. */
function logStreamOf(container: ContainerDefinition | undefined, taskArn: string): string | undefined {
  const options = container?.logConfiguration?.logDriver === 'awslogs' ? container.logConfiguration.options : undefined;
  const group = options?.['awslogs-group'];
  const prefix = options?.['awslogs-stream-prefix'];
  if (!group || !prefix || !container?.name) return undefined;
  return `${group}/${prefix}/${container.name}/${taskArn.slice(taskArn.lastIndexOf('/') + 1)}`;
}

function taskConfig(state: DeploymentState) {
  const config = state.deployment.settings.preDeployTask;
  if (!config || !state.ecs) throw new Error(`deployment ${state.deployment.id} has no pre-deploy task to run`);
  return { config, progress: state.ecs };
}

async function runPreDeployTask(state: DeploymentState, now = Date.now()): Promise<PreDeployTaskProgress> {
  const { config, progress } = taskConfig(state);
  const { cluster, service: serviceName } = ecsServiceOf(state.deployment);
  const taskDefinitionArn = requireNewRevision(progress);
  const [service, revision] = await Promise.all([describeService(cluster, serviceName), describeRevision(taskDefinitionArn)]);
  const name = config.container ?? progress.containers?.[0]?.name;
  const container = revision.taskDefinition.containerDefinitions?.find((c) => c.name === name);
  if (!name || !container) {
    const names = (revision.taskDefinition.containerDefinitions ?? []).map((c) => c.name).join(', ');
    throw new ContainerNotFound(`ecs.preDeployTask.container "${name ?? '?'}" is not a container of ${taskDefinitionLabel(taskDefinitionArn)} (containers: ${names}). Nothing was changed.`);
  }
  const capacity = service.capacityProviderStrategy?.length ? { capacityProviderStrategy: service.capacityProviderStrategy } : service.launchType ? { launchType: service.launchType } : {};
  const started = await ecs.send(
    new RunTaskCommand({
      cluster,
      taskDefinition: taskDefinitionArn,
      count: 1,
      startedBy: 'ecr-deployer',
      clientToken: clientTokenOf(state.deployment.id),
      ...capacity,
      ...(service.platformVersion ? { platformVersion: service.platformVersion } : {}),
      ...(service.networkConfiguration ? { networkConfiguration: service.networkConfiguration } : {}),
      overrides: { containerOverrides: [{ name, command: config.command }] },
    }),
  );
  const task = started.tasks?.[0];
  if (!task?.taskArn) {
    const failure = started.failures?.[0];
    throw new PreDeployTaskFailed(`RunTask started no pre-deploy task from ${taskDefinitionLabel(taskDefinitionArn)} (${failure?.reason ?? 'no reason given'}${failure?.detail ? `: ${failure.detail}` : ''}). The service was not changed.`);
  }
  const logStream = logStreamOf(container, task.taskArn);
  return {
    taskArn: task.taskArn,
    container: name,
    deadline: new Date(now + config.timeoutSeconds * 1000).toISOString(),
    pollSeconds: config.pollSeconds,
    status: 'RUNNING',
    ...(logStream ? { logStream } : {}),
  };
}

function failureText(task: Task, progress: PreDeployTaskProgress, command: string[]): string {
  const container = task.containers?.find((c) => c.name === progress.container);
  const exit = container?.exitCode === undefined ? 'stopped without an exit code' : `exited ${container.exitCode}`;
  const reasons = [task.stoppedReason, container?.reason].filter(Boolean).join('; ');
  return `the pre-deploy task (${command.join(' ')}) ${exit}${reasons ? `: ${reasons}` : ''}${progress.logStream ? `. Log stream: ${progress.logStream}` : ''}. The service was not changed; the new revision is deregistered`;
}

async function checkPreDeployTask(state: DeploymentState, now = Date.now()): Promise<PreDeployTaskProgress> {
  const { config } = taskConfig(state);
  const progress = state.preDeployTask;
  if (!progress) throw new Error(`deployment ${state.deployment.id} started no pre-deploy task`);
  const { cluster } = ecsServiceOf(state.deployment);
  const described = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [progress.taskArn] }));
  const task = described.tasks?.[0];
  if (!task) throw new PreDeployTaskFailed(`the pre-deploy task ${progress.taskArn} is gone (${described.failures?.[0]?.reason ?? 'not found'}). The service was not changed; the new revision is deregistered`);
  if (task.lastStatus === 'STOPPED') {
    const container = task.containers?.find((c) => c.name === progress.container);
    if (container?.exitCode === 0) return { ...progress, status: 'SUCCEEDED' };
    throw new PreDeployTaskFailed(failureText(task, progress, config.command));
  }
  if (Date.parse(progress.deadline) <= now) {
    await ecs.send(new StopTaskCommand({ cluster, task: progress.taskArn, reason: `ecr-deployer: pre-deploy task past its ${config.timeoutSeconds} s (ecs.preDeployTask.timeoutSeconds)` }));
    throw new PreDeployTaskFailed(`the pre-deploy task (${config.command.join(' ')}) ran past its ${config.timeoutSeconds} s and was stopped${progress.logStream ? `. Log stream: ${progress.logStream}` : ''}. The service was not changed; the new revision is deregistered`);
  }
  return { ...progress, status: 'RUNNING' };
}

export { runPreDeployTask, checkPreDeployTask };
