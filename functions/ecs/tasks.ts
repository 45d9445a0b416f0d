import { DescribeTasksCommand, paginateListTasks, type Task } from '@aws-sdk/client-ecs';
import type { EcsProgress } from '../shared/deployment';
import { ecs } from '../shared/clients/ecs';
import { ImageVerificationFailed } from '../shared/errors';
import { parseImageReference } from '../shared/image';
import { taskDefinitionLabel } from './task-definition';

interface ImageVerification {
  verifiedTasks: number;
  /** The digests the changed containers were checked to run. */
  digests: string[];
}

/** DescribeTasks takes at most 100 tasks per call. */
const DESCRIBE_TASKS_BATCH = 100;

async function runningTasksOfService(cluster: string, service: string): Promise<Task[]> {
  const arns: string[] = [];
  for await (const page of paginateListTasks({ client: ecs }, { cluster, serviceName: service, desiredStatus: 'RUNNING' })) {
    arns.push(...(page.taskArns ?? []));
  }
  const tasks: Task[] = [];
  for (let i = 0; i < arns.length; i += DESCRIBE_TASKS_BATCH) {
    const described = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + DESCRIBE_TASKS_BATCH) }));
    tasks.push(...(described.tasks ?? []));
  }
  return tasks;
}

/** The digest a container actually pulled: ECS reports it once the image is resolved. */
function runningDigest(task: Task, containerName: string): string | undefined {
  const container = task.containers?.find((c) => c.name === containerName);
  return container?.imageDigest ?? (container?.image ? parseImageReference(container.image).digest : undefined);
}

/**
 * Checks that the tasks of our deployment run, in every changed container, the
 * digest its target pushed: what ECS reports as running, not what we asked for.
 */
async function verifyRunningImage(progress: EcsProgress, desiredCount?: number): Promise<ImageVerification> {
  const newArn = progress.newTaskDefinitionArn ?? '';
  const expected = (progress.containers ?? []).map((c) => ({ name: c.name, digest: parseImageReference(c.image).digest ?? c.image }));
  const digests = [...new Set(expected.map((e) => e.digest))];
  const tasks = (await runningTasksOfService(progress.cluster, progress.service)).filter(
    // A native strategy's tasks are started by ECS's service revision, not by a deployment id of ours.
    (task) => task.taskDefinitionArn === newArn && (task.startedBy === undefined || progress.native !== undefined || task.startedBy === progress.deploymentId),
  );
  // A service scaled to zero runs nothing to check; its rollout completing is all there is.
  if (tasks.length === 0 && desiredCount === 0) return { verifiedTasks: 0, digests };
  if (tasks.length === 0) {
    throw new ImageVerificationFailed(`no running task of ${taskDefinitionLabel(newArn)} found after the rollout completed; cannot confirm ${digests.join(', ')} runs.`);
  }
  const mismatches: string[] = [];
  for (const task of tasks) {
    for (const { name, digest } of expected) {
      const actual = runningDigest(task, name);
      if (actual !== digest) mismatches.push(`${taskDefinitionLabel(task.taskArn ?? '?')}/${name} runs ${actual ?? 'an unknown digest'}, not ${digest}`);
    }
  }
  if (mismatches.length > 0) {
    throw new ImageVerificationFailed(`${mismatches.slice(0, 5).join('; ')}${mismatches.length > 5 ? ` and ${mismatches.length - 5} more` : ''}`);
  }
  return { verifiedTasks: tasks.length, digests };
}

export { verifyRunningImage };
export type { ImageVerification };
