import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetFunctionCommand, ListAliasesCommand } from '@aws-sdk/client-lambda';
import { stringify } from 'yaml';
import { findImageSlots } from '../../functions/batch/job-definition';
import { targetSchema } from '../../functions/config/schema';
import { parseImageReference } from '../../functions/shared/image';
import type { CliContext } from '../context';
import { describeLiveService, latestActiveJobDefinition } from '../live';
import { CliError, UsageError } from '../errors';

/**
 * `init --cluster C --service S | --job-definition J | --function F`: reads what
 * runs there (Describe/Get/List calls only, never a secret's value) and prints the
 * targets for deployments.yml: one per ECR repository its images come from, with the
 * containers that run it and the roles to list in passRoles.
 */

interface InitOptions {
  cluster?: string;
  service?: string;
  jobDefinition?: string;
  function?: string;
  environment?: string;
}

interface FoundImage {
  /** The container (or the place in a job definition) that runs it. */
  container?: string;
  image: string;
}

/** The ECR registry of the account and region of a resource's ARN (`arn:aws:ecs:us-east-1:123…:…`). */
function registryOfArn(arn: string | undefined): string {
  const [, , , region, account] = (arn ?? '').split(':');
  if (!region || !account) throw new CliError(`cannot tell the account and region from "${arn ?? ''}"`);
  return `${account}.dkr.ecr.${region}.amazonaws.com`;
}

/** An ECR image of this account and region: its repository; anything else is not a target. */
function ecrRepositoryOf(image: string, registry: string): string | undefined {
  const parsed = parseImageReference(image);
  return parsed.registry === registry ? parsed.repository : undefined;
}

/** `arn:aws:iam::1:role/service-role/x` → `service-role/x`, as passRoles takes it. */
function roleNameOf(arn: string | undefined): string[] {
  if (!arn) return [];
  const at = arn.indexOf(':role/');
  return at >= 0 ? [arn.slice(at + ':role/'.length)] : [];
}

/** A target name from a repository: its last part, in the target-name grammar. */
function targetNameOf(repository: string): string {
  const base = (repository.split('/').pop() ?? repository).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return (base || 'target').slice(0, 40).replace(/-+$/, '');
}

/** Tags that deploy: releases if what runs now is tagged like one, else every push (narrow it). */
function tagsFor(images: FoundImage[]): string[] {
  return images.some((found) => /^v\d/.test(parseImageReference(found.image).tag ?? '')) ? ['v*'] : ['*'];
}

/** One target per repository; a repository in several containers names them. */
function targetsOf(images: FoundImage[], registry: string, place: (containers: string[]) => Record<string, unknown>, environment: string): { targets: Record<string, unknown>[]; others: FoundImage[] } {
  const byRepository = new Map<string, FoundImage[]>();
  const others: FoundImage[] = [];
  for (const found of images) {
    const repository = ecrRepositoryOf(found.image, registry);
    if (repository) byRepository.set(repository, [...(byRepository.get(repository) ?? []), found]);
    else others.push(found);
  }
  const several = byRepository.size > 1;
  const targets = [...byRepository].map(([repository, found]) => ({
    name: targetNameOf(repository),
    repository,
    tags: tagsFor(found),
    environment,
    ...place(several || images.length > found.length ? found.flatMap((f) => (f.container ? [f.container] : [])) : []),
  }));
  return { targets, others };
}

async function initService(context: CliContext, cluster: string, service: string, environment: string) {
  const { service: found, reason } = await describeLiveService(context, cluster, service);
  if (!found?.taskDefinition) throw new CliError(`no ECS service "${service}" in cluster "${cluster}" (${reason || 'MISSING'}): check the names and --region.`);
  const { taskDefinition } = await context.clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: found.taskDefinition }));
  const images = (taskDefinition?.containerDefinitions ?? []).map((c) => ({ container: c.name, image: c.image ?? '' }));
  const passRoles = [...roleNameOf(taskDefinition?.executionRoleArn), ...roleNameOf(taskDefinition?.taskRoleArn)];
  const registry = registryOfArn(found.taskDefinition);
  return targetsOf(images, registry, (containers) => ({ ecs: { cluster, service, ...(containers.length > 0 ? { containers } : {}), ...(passRoles.length > 0 ? { passRoles } : {}) } }), environment);
}

async function initJobDefinition(context: CliContext, name: string, environment: string) {
  const latest = await latestActiveJobDefinition(context, name);
  if (!latest) throw new CliError(`no ACTIVE revision of job definition "${name}": check the name and --region.`);
  const images = findImageSlots(latest).map((slot) => ({ container: slot.name, image: slot.image }));
  const properties = latest.containerProperties;
  const passRoles = [...roleNameOf(properties?.executionRoleArn), ...roleNameOf(properties?.jobRoleArn)];
  const registry = registryOfArn(latest.jobDefinitionArn);
  return targetsOf(images, registry, (containers) => ({ batch: { jobDefinition: name, ...(containers.length > 0 ? { containers } : {}), ...(passRoles.length > 0 ? { passRoles } : {}) } }), environment);
}

async function initFunction(context: CliContext, name: string, environment: string) {
  const fn = await context.clients.lambda.send(new GetFunctionCommand({ FunctionName: name }));
  if (fn.Configuration?.PackageType !== 'Image' || !fn.Code?.ImageUri) throw new CliError(`function "${name}" is not a container-image function: ecr-deployer deploys images.`);
  const aliases = await context.clients.lambda.send(new ListAliasesCommand({ FunctionName: name }));
  const [alias, ...more] = aliases.Aliases ?? [];
  // With one alias, it is the one traffic goes through; with several, a person chooses.
  const lambda = { function: name, ...(alias?.Name && more.length === 0 ? { alias: alias.Name } : {}) };
  return targetsOf([{ image: fn.Code.ImageUri }], registryOfArn(fn.Configuration.FunctionArn), () => ({ lambda }), environment);
}

async function initCommand(context: CliContext, options: InitOptions): Promise<number> {
  const given = [options.cluster || options.service ? 'service' : undefined, options.jobDefinition, options.function].filter(Boolean);
  if (given.length !== 1 || (given[0] === 'service' && !(options.cluster && options.service))) {
    throw new UsageError('say what to read: --cluster C --service S, --job-definition J or --function F');
  }
  const region = await context.region();
  const environment = options.environment ?? 'default';
  context.errorContext.action = options.function ? 'lambda:GetFunction / lambda:ListAliases' : options.jobDefinition ? 'batch:DescribeJobDefinitions' : 'ecs:DescribeServices / ecs:DescribeTaskDefinition';
  const { targets, others } = options.function
    ? await initFunction(context, options.function, environment)
    : options.jobDefinition
      ? await initJobDefinition(context, options.jobDefinition, environment)
      : await initService(context, options.cluster ?? '', options.service ?? '', environment);
  if (targets.length === 0) {
    throw new CliError(`nothing there runs an image of its account's ECR in ${region} (${others.map((o) => o.image).join(', ') || 'no images'}): ecr-deployer deploys those.`);
  }
  // What is printed is a valid target: checked as deployments.yml is.
  for (const target of targets) targetSchema.parse(target);
  const { out } = context;
  out.line(`# For deployments.yml (read from ${region}; review the tags, add smokeTests):`);
  for (const other of others) out.line(`# container ${other.container ?? '?'} runs ${other.image}, not an image of this account's ECR: left alone`);
  out.line(stringify({ targets }).trimEnd());
  return 0;
}

export { initCommand, targetNameOf, roleNameOf };
