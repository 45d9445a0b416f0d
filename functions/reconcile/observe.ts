import { DescribeJobDefinitionsCommand, type JobDefinition } from '@aws-sdk/client-batch';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetAliasCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { findImageSlots, jobDefinitionLabel } from '../batch/job-definition';
import { taskDefinitionLabel } from '../ecs/task-definition';
import { batch } from '../shared/clients/batch';
import { ecs } from '../shared/clients/ecs';
import { lambda } from '../shared/clients/lambda';
import type { ResolvedTarget } from '../shared/deployment';
import { parseImageReference, shortDigest } from '../shared/image';

/**
 * What a target runs now, read with Describe/Get calls only, and how it differs
 * from what the deployer left there: the service's task definition, Batch's latest
 * ACTIVE revision, the alias's version (or $LATEST's image).
 */

/** What the deployer left: its last successful deployment's revision and image. */
interface Left {
  revision: string;
  digest: string;
}

type Observation = { revision: string; matches: boolean; differences: string[] } | { missing: string };

/** Calls made, for the benchmark and the log. */
interface CallCount {
  calls: number;
}

const short = (image: string): string => {
  const parsed = parseImageReference(image);
  return parsed.digest ? `${parsed.repository}@sha256:${shortDigest(parsed.digest)}…` : image.replace(/^[^/]+\//, '');
};

/** DescribeServices takes at most 10 services of one cluster. */
const SERVICES_PER_CALL = 10;

/** The task definition each ECS target's service runs, a DescribeServices call per cluster and ten services. */
async function ecsTaskDefinitions(targets: ResolvedTarget[], count: CallCount): Promise<Map<string, string | undefined>> {
  const found = new Map<string, string | undefined>();
  const byCluster = new Map<string, ResolvedTarget[]>();
  for (const target of targets) if (target.ecs) byCluster.set(target.ecs.cluster, [...(byCluster.get(target.ecs.cluster) ?? []), target]);
  for (const [cluster, members] of byCluster) {
    const services = [...new Set(members.map((target) => target.ecs?.service ?? ''))];
    for (let i = 0; i < services.length; i += SERVICES_PER_CALL) {
      count.calls += 1;
      const output = await ecs.send(new DescribeServicesCommand({ cluster, services: services.slice(i, i + SERVICES_PER_CALL) }));
      for (const service of output.services ?? []) if (service.status !== 'INACTIVE' && service.serviceName) found.set(`${cluster}/${service.serviceName}`, service.taskDefinition);
    }
  }
  return found;
}

/** Containers of the revision that run another image than the one the deployer left. */
function containersOtherThan(containers: { label: string; image: string }[], target: ResolvedTarget, digest: string): string[] {
  const claimed = target.ecs?.containers ?? target.batch?.containers;
  return containers
    .filter((container) => (claimed ? claimed.includes(container.label) : parseImageReference(container.image).repository === target.repository))
    .filter((container) => parseImageReference(container.image).digest !== digest)
    .map((container) => `container ${container.label}: ${short(container.image)} instead of sha256:${shortDigest(digest)}…`);
}

async function observeEcs(target: ResolvedTarget, running: string | undefined, left: Left, count: CallCount): Promise<Observation> {
  const ecsTarget = target.ecs;
  if (!ecsTarget) return { missing: 'not an ECS target' };
  if (!running) return { missing: `service ${ecsTarget.service} of cluster ${ecsTarget.cluster} was not found` };
  if (running === left.revision) return { revision: running, matches: true, differences: [] };
  count.calls += 1;
  const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: running }));
  const containers = (described.taskDefinition?.containerDefinitions ?? []).map((c) => ({ label: c.name ?? '?', image: c.image ?? '' }));
  return {
    revision: running,
    matches: false,
    differences: [`service ${ecsTarget.service} runs ${taskDefinitionLabel(running)}, not ${taskDefinitionLabel(left.revision)}, which ecr-deployer left`, ...containersOtherThan(containers, target, left.digest)],
  };
}

/** The latest ACTIVE revision of a job definition: what submissions by name run. */
async function latestActiveJobDefinition(name: string, count: CallCount): Promise<JobDefinition | undefined> {
  let latest: JobDefinition | undefined;
  let nextToken: string | undefined;
  do {
    count.calls += 1;
    const page = await batch.send(new DescribeJobDefinitionsCommand({ jobDefinitionName: name, status: 'ACTIVE', nextToken }));
    for (const definition of page.jobDefinitions ?? []) if (!latest || (definition.revision ?? 0) > (latest.revision ?? 0)) latest = definition;
    nextToken = page.nextToken;
  } while (nextToken);
  return latest;
}

async function observeBatch(target: ResolvedTarget, left: Left, count: CallCount): Promise<Observation> {
  const name = target.batch?.jobDefinition ?? '';
  const latest = await latestActiveJobDefinition(name, count);
  if (!latest?.jobDefinitionArn) return { missing: `job definition ${name} has no ACTIVE revision` };
  if (latest.jobDefinitionArn === left.revision) return { revision: latest.jobDefinitionArn, matches: true, differences: [] };
  const containers = findImageSlots(latest).map((slot) => ({ label: slot.name ?? slot.label, image: slot.image }));
  return {
    revision: latest.jobDefinitionArn,
    matches: false,
    differences: [`the latest ACTIVE revision is ${jobDefinitionLabel(latest.jobDefinitionArn)}, not ${jobDefinitionLabel(left.revision)}, which ecr-deployer left`, ...containersOtherThan(containers, target, left.digest)],
  };
}

async function observeLambda(target: ResolvedTarget, left: Left, count: CallCount): Promise<Observation> {
  const config = target.lambda;
  if (!config) return { missing: 'not a Lambda target' };
  if (config.alias) {
    count.calls += 1;
    const alias = await lambda.send(new GetAliasCommand({ FunctionName: config.function, Name: config.alias }));
    if (!alias.AliasArn || !alias.FunctionVersion) return { missing: `alias ${config.alias} of ${config.function} was not found` };
    const revision = `${alias.AliasArn.slice(0, alias.AliasArn.lastIndexOf(':'))}:${alias.FunctionVersion}`;
    if (revision === left.revision) return { revision, matches: true, differences: [] };
    count.calls += 1;
    const version = await lambda.send(new GetFunctionCommand({ FunctionName: config.function, Qualifier: alias.FunctionVersion }));
    const image = version.Code?.ResolvedImageUri ?? version.Code?.ImageUri;
    const code = image && parseImageReference(image).digest !== left.digest ? [`version ${alias.FunctionVersion} runs ${short(image)} instead of sha256:${shortDigest(left.digest)}…`] : [];
    return { revision, matches: false, differences: [`alias ${config.alias} points at version ${alias.FunctionVersion}, not ${left.revision.slice(left.revision.lastIndexOf(':') + 1)}, which ecr-deployer left`, ...code] };
  }
  count.calls += 1;
  const fn = await lambda.send(new GetFunctionCommand({ FunctionName: config.function }));
  const image = fn.Code?.ResolvedImageUri ?? fn.Code?.ImageUri;
  if (!image) return { missing: `function ${config.function} has no container image` };
  const matches = parseImageReference(image).digest === left.digest;
  return { revision: image, matches, differences: matches ? [] : [`$LATEST of ${config.function} runs ${short(image)} instead of sha256:${shortDigest(left.digest)}…, which ecr-deployer left`] };
}

/**
 * What each target runs, compared with what the deployer left. ECS services are
 * read together (one DescribeServices per cluster and ten services); a revision
 * is described only when it differs, to say how.
 */
async function observeTargets(targets: { target: ResolvedTarget; left: Left }[], count: CallCount): Promise<Map<string, Observation>> {
  const observations = new Map<string, Observation>();
  const services = await ecsTaskDefinitions(
    targets.map((t) => t.target).filter((target) => target.ecs),
    count,
  );
  for (const { target, left } of targets) {
    if (target.ecs) observations.set(target.name, await observeEcs(target, services.get(`${target.ecs.cluster}/${target.ecs.service}`), left, count));
    else if (target.batch) observations.set(target.name, await observeBatch(target, left, count));
    else observations.set(target.name, await observeLambda(target, left, count));
  }
  return observations;
}

export { observeTargets };
export type { Observation, Left, CallCount };
