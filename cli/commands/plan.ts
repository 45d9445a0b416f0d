import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetAliasCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { buildJobDefinitionRevisionInput, replacingWith, jobDefinitionLabel, selectImageSlots, type ImageSlot } from '../../functions/batch/job-definition';
import { buildRevisionInput, DEPLOYMENT_TAG_KEY, selectContainers, taskDefinitionLabel } from '../../functions/ecs/task-definition';
import type { ResolvedTarget } from '../../functions/shared/deployment';
import { DeploymentError } from '../../functions/shared/errors';
import { ecrRegistry, imageRef, type ImageRef } from '../../functions/shared/image';
import type { CliContext } from '../context';
import { describeLiveService, latestActiveJobDefinition } from '../live';
import { CliError } from '../errors';
import { diffJson, type JsonChange } from '../diff';
import { imageLabel } from '../steps';
import { targetAndImage, type ImageOptions } from './deploy';

/**
 * `plan <target> --tag T | --digest D`: a dry run. Reads what the target runs now
 * (the service's task definition, the latest ACTIVE job definition revision, the
 * function and its alias), builds the new revision with the same code a deployment
 * uses, and prints what would change. Only Describe/Get calls: nothing is written.
 */

/** Stands in for the execution name in the marker tag of the revision a deployment would register. */
const PLAN_DEPLOYMENT_ID = '<execution name>';

/** What `plan --json` prints of one image the deployment would set: a container, a job's image slot, the function. */
interface ImageChange {
  name: string;
  before: string | null;
  after: string;
  changes: boolean;
}

interface PlanLines {
  lines: string[];
  /** Set when a deployment would stop before changing anything (e.g. ContainerNotFound). */
  wouldFail?: string;
  /** The revision, job definition revision or function the target runs now. */
  live?: string;
  images?: ImageChange[];
  /** Fields besides the images that the new revision would change (none, when the copy is faithful). */
  otherChanges?: JsonChange[];
  /** What the deployment does after registering, in one sentence. */
  then?: string;
}

function wouldStop(error: unknown): string {
  if (error instanceof DeploymentError) return `${error.name}: ${error.message}`;
  throw error;
}

/** The changes the builder made besides the chosen images, which should be none. */
function otherChanges(changes: JsonChange[], imagePaths: string[]): JsonChange[] {
  return changes.filter((change) => !imagePaths.includes(change.path));
}

function describeOthers(others: JsonChange[], source: string): string[] {
  if (others.length === 0) return [`  Nothing else changes: every other field of ${source} is copied as it is.`];
  return [`  Also changed (${others.length}):`, ...others.map((c) => `    ${c.path}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`)];
}

async function planEcs(context: CliContext, target: ResolvedTarget, image: ImageRef): Promise<PlanLines> {
  const ecsTarget = target.ecs;
  if (!ecsTarget) throw new Error(`target ${target.name} is not an ECS target`);
  const { service, reason } = await describeLiveService(context, ecsTarget.cluster, ecsTarget.service);
  if (!service?.taskDefinition) {
    return { lines: [], wouldFail: `DefinitionNotFound: ECS service "${ecsTarget.service}" not found in cluster "${ecsTarget.cluster}" (${reason || 'MISSING'}).` };
  }
  context.errorContext.action = 'ecs:DescribeTaskDefinition';
  const current = await context.clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition, include: ['TAGS'] }));
  const taskDefinition = current.taskDefinition;
  if (!taskDefinition) return { lines: [], wouldFail: `DefinitionNotFound: task definition ${service.taskDefinition} not found.` };
  const live = taskDefinitionLabel(service.taskDefinition);
  let names: string[];
  try {
    names = selectContainers(taskDefinition, image.repository, ecsTarget.containers, image.registry).map((c) => c.name ?? '');
  } catch (error) {
    return { lines: [`  live: ${live}, the task definition service ${ecsTarget.service} runs`], live, wouldFail: wouldStop(error) };
  }
  // The live revision as a deployment copies it, without and with the new image: the difference is what the deployment changes.
  const copied = buildRevisionInput(taskDefinition, current.tags, {}, PLAN_DEPLOYMENT_ID);
  const next = buildRevisionInput(taskDefinition, current.tags, Object.fromEntries(names.map((name) => [name, image.uri])), PLAN_DEPLOYMENT_ID);
  const changes = diffJson(copied, next);
  const containers = taskDefinition.containerDefinitions ?? [];
  const imagePaths = containers.map((_, index) => `containerDefinitions[${index}].image`);
  const width = Math.max(...containers.map((c) => (c.name ?? '').length));
  const images = containers.map((container, index): ImageChange => {
    const change = changes.find((c) => c.path === `containerDefinitions[${index}].image`);
    return { name: container.name ?? String(index), before: container.image ?? null, after: change ? String(change.after) : (container.image ?? ''), changes: Boolean(change) };
  });
  const others = otherChanges(changes, imagePaths);
  const then = `service ${ecsTarget.service} → the new revision, wait for the rollout (up to ${target.rollout.timeoutSeconds} s), check the running digest, ${smokeTestsText(target)}`;
  const lines = [
    `  live: ${live}, the task definition service ${ecsTarget.service} runs`,
    `  A deployment would register a new revision of ${taskDefinition.family} (from ${live}) with:`,
    ...containers.map((container, index) => {
      const change = changes.find((c) => c.path === `containerDefinitions[${index}].image`);
      const name = `container ${(container.name ?? String(index)).padEnd(width)}`;
      return change ? `    ~ ${name}  image ${String(change.before)}\n      ${' '.repeat(name.length)}     → ${String(change.after)}` : `    = ${name}  image ${container.image ?? '-'} (unchanged)`;
    }),
    ...describeOthers(others, live),
    `  Its tags are ${live}'s, with ${DEPLOYMENT_TAG_KEY} set to the execution's name.`,
    `  Then: ${then}.`,
  ];
  return { lines, live, images, otherChanges: others, then };
}

function pathOf(slot: ImageSlot): string {
  return slot.path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
}

async function planBatch(context: CliContext, target: ResolvedTarget, image: ImageRef): Promise<PlanLines> {
  const batchTarget = target.batch;
  if (!batchTarget) throw new Error(`target ${target.name} is not a Batch target`);
  const current = await latestActiveJobDefinition(context, batchTarget.jobDefinition);
  if (!current?.jobDefinitionArn) return { lines: [], wouldFail: `DefinitionNotFound: job definition "${batchTarget.jobDefinition}" has no ACTIVE revision.` };
  const live = jobDefinitionLabel(current.jobDefinitionArn);
  let slots: ImageSlot[];
  try {
    slots = selectImageSlots(current, image.repository, image.registry, batchTarget.containers);
  } catch (error) {
    return { lines: [`  live: ${live}, the latest ACTIVE revision`], live, wouldFail: wouldStop(error) };
  }
  const copied = buildJobDefinitionRevisionInput(current, [], PLAN_DEPLOYMENT_ID);
  const next = buildJobDefinitionRevisionInput(current, replacingWith(slots, image.uri), PLAN_DEPLOYMENT_ID);
  const changes = diffJson(copied, next);
  const imagePaths = slots.map(pathOf);
  const images = slots.map((slot): ImageChange => ({ name: slot.label, before: slot.image, after: String(changes.find((c) => c.path === pathOf(slot))?.after ?? image.uri), changes: true }));
  const others = otherChanges(changes, imagePaths);
  const then = `${smokeTestsText(target)}; on failure the new revision is deregistered`;
  const lines = [
    `  live: ${live}, the latest ACTIVE revision (what jobs submitted by name get)`,
    `  A deployment would register a new revision of ${batchTarget.jobDefinition} (from ${live}) with:`,
    ...slots.map((slot) => {
      const change = changes.find((c) => c.path === pathOf(slot));
      return `    ~ ${slot.label}  image ${slot.image}\n      ${' '.repeat(slot.label.length)}  → ${String(change?.after ?? image.uri)}`;
    }),
    ...describeOthers(others, live),
    `  Its tags are ${live}'s, with ${DEPLOYMENT_TAG_KEY} set to the execution's name.`,
    `  Then: ${then}.`,
  ];
  return { lines, live, images, otherChanges: others, then };
}

async function planLambda(context: CliContext, target: ResolvedTarget, image: ImageRef): Promise<PlanLines> {
  const lambdaTarget = target.lambda;
  if (!lambdaTarget) throw new Error(`target ${target.name} is not a Lambda target`);
  context.errorContext.action = 'lambda:GetFunction';
  const fn = await context.clients.lambda.send(new GetFunctionCommand({ FunctionName: lambdaTarget.function }));
  if (fn.Configuration?.PackageType !== 'Image') {
    return { lines: [], wouldFail: `NotAnImageFunction: ${lambdaTarget.function} is a ${fn.Configuration?.PackageType ?? 'zip'} function; ecr-deployer deploys container images only.` };
  }
  const live = fn.Code?.ResolvedImageUri ?? fn.Code?.ImageUri ?? '?';
  const images: ImageChange[] = [{ name: lambdaTarget.function, before: fn.Code?.ImageUri ?? null, after: image.uri, changes: fn.Code?.ImageUri !== image.uri }];
  const lines = [`  live: ${lambdaTarget.function} runs ${live}`];
  lines.push(`    ~ function ${lambdaTarget.function}  image ${fn.Code?.ImageUri ?? '?'}`, `      ${' '.repeat(lambdaTarget.function.length + 9)}  → ${image.uri}`);
  lines.push('  Nothing else changes: UpdateFunctionCode sets only the image; the configuration stays as it is.');
  let then: string;
  if (lambdaTarget.alias) {
    context.errorContext.action = 'lambda:GetAlias';
    const alias = await context.clients.lambda.send(new GetAliasCommand({ FunctionName: lambdaTarget.function, Name: lambdaTarget.alias }));
    const canary = lambdaTarget.canary;
    const steps = canary ? ('steps' in canary ? canary.steps : [canary]) : [];
    const shift = steps.length > 0 ? `${steps.map((s) => `${s.weightPercent} % for ${s.bakeSeconds} s`).join(', then ')}, then 100 %` : 'all at once';
    then = `publish a version; alias ${lambdaTarget.alias} (now version ${alias.FunctionVersion ?? '?'}) → the new version, ${shift}; ${smokeTestsText(target)}`;
  } else {
    then = `$LATEST runs it (no alias); ${smokeTestsText(target)}`;
  }
  lines.push(`  Then: ${then}.`);
  return { lines, live, images, otherChanges: [], then };
}

function smokeTestsText(target: ResolvedTarget): string {
  const count = target.smokeTests.length;
  return count === 0 ? 'no smoke tests' : `run ${count} smoke test${count === 1 ? '' : 's'}`;
}

/** `plan <target> --tag T | --digest D`: what a deployment would change, without changing anything. Exit 1 if it would stop. */
async function planCommand(context: CliContext, targetName: string, options: ImageOptions & { json?: boolean }): Promise<number> {
  const { out } = context;
  const { target, image: found, tag } = await targetAndImage(context, targetName, options);
  const region = await context.region();
  const image = imageRef(ecrRegistry(found.registryId, region), target.repository, found.digest, tag);
  let plan: PlanLines;
  switch (target.kind) {
    case 'ecs':
      plan = await planEcs(context, target, image);
      break;
    case 'batch':
      plan = await planBatch(context, target, image);
      break;
    case 'lambda':
      plan = await planLambda(context, target, image);
      break;
    default:
      throw new CliError(`plan does not know targets of kind ${String(target.kind)} yet.`);
  }
  if (options.json) {
    out.json({
      target: target.name,
      kind: target.kind,
      image: { repository: target.repository, tag: tag ?? null, digest: found.digest, uri: image.uri },
      live: plan.live ?? null,
      images: plan.images ?? [],
      otherChanges: (plan.otherChanges ?? []).map((change) => ({ path: change.path, before: change.before ?? null, after: change.after ?? null })),
      then: plan.then ?? null,
      wouldFail: plan.wouldFail ?? null,
    });
    return plan.wouldFail ? 1 : 0;
  }
  out.line(`plan ${target.name} (${target.kind}): ${target.repository} ${imageLabel(image)}`);
  out.line(`  image: ${image.uri}`);
  for (const line of plan.lines) out.line(line);
  if (plan.wouldFail) out.line(`  A deployment would stop here, before changing anything: ${plan.wouldFail}`);
  out.line('Dry run: nothing was registered, updated or started.');
  return plan.wouldFail ? 1 : 0;
}

export { planCommand };
