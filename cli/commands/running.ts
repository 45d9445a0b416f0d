import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetAliasCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { findImageSlots, jobDefinitionLabel } from '../../functions/batch/job-definition';
import { taskDefinitionLabel } from '../../functions/ecs/task-definition';
import type { ResolvedTarget } from '../../functions/shared/deployment';
import { parseImageReference } from '../../functions/shared/image';
import type { CliContext } from '../context';
import { describeLiveService, latestActiveJobDefinition } from '../live';

/**
 * What a target runs now, read from the target itself (Describe/Get calls):
 * the revision (task or job definition, function version), the images of the
 * target's repository in it, and since when.
 */
interface RunningNow {
  /** `web:12`, `splitter-dev:4`, `ml-inference:live → 7`. */
  revision: string;
  /** The images of the target's repository it runs (by digest where known). */
  images: string[];
  /** When that revision started to run (the ECS deployment's creation, the function's last change), if known. */
  since?: Date;
}

/** Images of the target's repository among `images`. */
function ofRepository(target: ResolvedTarget, images: (string | undefined)[]): string[] {
  return images.filter((image): image is string => image !== undefined && parseImageReference(image).repository === target.repository);
}

async function ecsRunning(context: CliContext, target: ResolvedTarget): Promise<RunningNow | undefined> {
  const ecs = target.ecs!;
  const { service } = await describeLiveService(context, ecs.cluster, ecs.service);
  if (!service?.taskDefinition) return undefined;
  const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
  const { taskDefinition } = await context.clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }));
  const containers = (taskDefinition?.containerDefinitions ?? []).filter((c) => !ecs.containers || ecs.containers.includes(c.name ?? ''));
  return { revision: taskDefinitionLabel(service.taskDefinition), images: ofRepository(target, containers.map((c) => c.image)), since: primary?.createdAt };
}

async function batchRunning(context: CliContext, target: ResolvedTarget): Promise<RunningNow | undefined> {
  const latest = await latestActiveJobDefinition(context, target.batch!.jobDefinition);
  if (!latest?.jobDefinitionArn) return undefined;
  return { revision: jobDefinitionLabel(latest.jobDefinitionArn), images: ofRepository(target, findImageSlots(latest).map((slot) => slot.image)) };
}

async function lambdaRunning(context: CliContext, target: ResolvedTarget): Promise<RunningNow | undefined> {
  const lambda = target.lambda!;
  const version = lambda.alias ? (await context.clients.lambda.send(new GetAliasCommand({ FunctionName: lambda.function, Name: lambda.alias }))).FunctionVersion : undefined;
  const fn = await context.clients.lambda.send(new GetFunctionCommand({ FunctionName: lambda.function, ...(version ? { Qualifier: version } : {}) }));
  const image = fn.Code?.ResolvedImageUri ?? fn.Code?.ImageUri;
  const lastModified = fn.Configuration?.LastModified ? new Date(fn.Configuration.LastModified) : undefined;
  return {
    revision: lambda.alias ? `${lambda.function}:${lambda.alias} → ${version ?? '?'}` : `${lambda.function}:$LATEST`,
    images: ofRepository(target, [image]),
    since: lastModified && !Number.isNaN(lastModified.getTime()) ? lastModified : undefined,
  };
}

/** What the target runs now; undefined when the resource is not there (status still lists its deployments). */
async function runningNow(context: CliContext, target: ResolvedTarget): Promise<RunningNow | undefined> {
  try {
    if (target.ecs) return await ecsRunning(context, target);
    if (target.batch) return await batchRunning(context, target);
    return await lambdaRunning(context, target);
  } catch (error) {
    if (error instanceof Error && /NotFound/.test(error.name)) return undefined;
    throw error;
  }
}

export { runningNow };
export type { RunningNow };
