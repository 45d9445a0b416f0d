import {
  DeregisterJobDefinitionCommand,
  paginateDescribeJobDefinitions,
  RegisterJobDefinitionCommand,
  type JobDefinition,
} from '@aws-sdk/client-batch';
import { batch } from '../shared/clients/batch';
import { DEPLOYMENT_TAG_KEY } from '../shared/definition';
import type { BatchProgress, ChangedContainer, Deployment, RollbackVerdict } from '../shared/deployment';
import { AwsTransientError, ConfigError, DefinitionNotFound, RollbackFailed } from '../shared/errors';
import { batchJobDefinitionOf } from '../shared/state';
import { buildJobDefinitionRevisionInput, jobDefinitionLabel, selectImageSlots, type ImageReplacement } from './job-definition';
import { isPassableRole } from '../shared/pass-roles';

/** Every ACTIVE revision of a job definition, newest first (the API pages and does not promise an order). */
async function activeRevisions(name: string): Promise<JobDefinition[]> {
  const revisions: JobDefinition[] = [];
  for await (const page of paginateDescribeJobDefinitions({ client: batch }, { jobDefinitionName: name, status: 'ACTIVE' })) {
    revisions.push(...(page.jobDefinitions ?? []).filter((d) => d.status === 'ACTIVE' && d.jobDefinitionName === name));
  }
  return revisions.sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0));
}

const ROLE_KEYS = new Set(['jobRoleArn', 'executionRoleArn', 'taskRoleArn']);

/** The IAM roles a job definition names, wherever its shape puts them. */
function rolesOf(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) rolesOf(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (ROLE_KEYS.has(key) && typeof item === 'string' && item) found.add(item);
      else rolesOf(item, found);
    }
  }
  return found;
}

function assertRolesArePassable(jobDefinition: JobDefinition, passRoles: string[] | undefined): void {
  if (passRoles === undefined) return;
  const missing = [...rolesOf(jobDefinition)].filter((role) => !isPassableRole(role, passRoles));
  if (missing.length > 0) {
    throw new ConfigError(
      `job definition ${jobDefinition.jobDefinitionName} uses role(s) ${missing.join(', ')} that are not in batch.passRoles; add them to deployments.yml and redeploy ecr-deployer so it may pass them.`,
    );
  }
}

/**
 * Where each change's image goes: its target's `batch.containers`, or the places
 * naming an image of its repository (or the job's only image). Two targets may not
 * replace one place.
 */
function replacementsFor(jobDefinition: JobDefinition, deployment: Deployment): { replacements: ImageReplacement[]; changed: ChangedContainer[] } {
  const owner = new Map<string, string>();
  const replacements: ImageReplacement[] = [];
  const changed: ChangedContainer[] = [];
  for (const change of deployment.changes) {
    for (const slot of selectImageSlots(jobDefinition, change.image.repository, change.image.registry, change.target.batch?.containers)) {
      const where = slot.path.join('.');
      const other = owner.get(where);
      if (other !== undefined) {
        throw new ConfigError(
          `${slot.label} of job definition ${jobDefinition.jobDefinitionName} would take the images of both ${other} and ${change.target.name}; give each target its own batch.containers in deployments.yml.`,
        );
      }
      owner.set(where, change.target.name);
      replacements.push({ slot, imageUri: change.image.uri });
      changed.push({ name: slot.label, target: change.target.name, previousImage: slot.image, image: change.image.uri });
    }
  }
  return { replacements, changed };
}

/**
 * Registers one new revision of the job definition: its latest ACTIVE revision
 * with every change's image replaced by digest, everything else kept. Jobs already
 * running are untouched; jobs submitted by name get the new revision. Safe to run
 * twice: a revision this deployment registered is found by its tag and reused.
 */
async function registerJobDefinitionRevision(deployment: Deployment): Promise<BatchProgress> {
  const { jobDefinition: name, passRoles } = batchJobDefinitionOf(deployment);
  const revisions = await activeRevisions(name);
  const [latest, beforeLatest] = revisions;
  if (!latest) {
    throw new DefinitionNotFound(
      `job definition "${name}" has no ACTIVE revision. Create it first (for example with Terraform); ecr-deployer registers new revisions of existing job definitions only.`,
    );
  }
  const registeredByUs = latest.tags?.[DEPLOYMENT_TAG_KEY] === deployment.id;
  const current = registeredByUs ? beforeLatest : latest;
  if (!current?.jobDefinitionArn) throw new DefinitionNotFound(`job definition "${name}" has no ACTIVE revision from before this deployment.`);
  assertRolesArePassable(current, passRoles);
  const { replacements, changed } = replacementsFor(current, deployment);

  let newArn = registeredByUs ? latest.jobDefinitionArn : undefined;
  if (!newArn) {
    const registered = await batch.send(new RegisterJobDefinitionCommand(buildJobDefinitionRevisionInput(current, replacements, deployment.id)));
    newArn = registered.jobDefinitionArn;
  }
  if (!newArn) throw new Error('RegisterJobDefinition returned no job definition ARN');
  return { jobDefinitionName: name, previousJobDefinitionArn: current.jobDefinitionArn, newJobDefinitionArn: newArn, containers: changed };
}

/**
 * Makes the previous revision the one jobs submitted by name use again: the new
 * revision is deregistered (INACTIVE), never the previous one. Verified by reading
 * which revision is the latest ACTIVE afterwards.
 */
async function rollBackJobDefinition(progress: BatchProgress): Promise<BatchProgress> {
  const before = await activeRevisions(progress.jobDefinitionName);
  let deregistered: string | undefined;
  if (before.some((d) => d.jobDefinitionArn === progress.newJobDefinitionArn)) {
    await batch.send(new DeregisterJobDefinitionCommand({ jobDefinition: progress.newJobDefinitionArn }));
    deregistered = progress.newJobDefinitionArn;
  }
  const [latest] = await activeRevisions(progress.jobDefinitionName);
  if (!latest?.jobDefinitionArn) {
    throw new RollbackFailed(`job definition ${progress.jobDefinitionName} has no ACTIVE revision left; register ${jobDefinitionLabel(progress.previousJobDefinitionArn)} again.`);
  }
  if (latest.jobDefinitionArn === progress.newJobDefinitionArn) {
    // Batch may be a moment behind its own deregistration: let the state machine retry the step.
    throw new AwsTransientError(`${jobDefinitionLabel(progress.newJobDefinitionArn)} is still the latest ACTIVE revision right after deregistering it.`);
  }
  return { ...progress, rollback: { deregistered, latestJobDefinitionArn: latest.jobDefinitionArn } };
}

/** After the rollback step failed: whether jobs submitted by name verifiably get the previous revision again. */
async function judgeJobDefinitionRollback(progress: BatchProgress): Promise<RollbackVerdict> {
  const [latest] = await activeRevisions(progress.jobDefinitionName);
  const recorded = jobDefinitionLabel(progress.previousJobDefinitionArn);
  if (latest?.jobDefinitionArn === progress.previousJobDefinitionArn) return { backOnRecorded: true, runs: `jobs submitted as ${progress.jobDefinitionName} get ${recorded} again` };
  return { backOnRecorded: false, runs: `jobs submitted as ${progress.jobDefinitionName} get ${latest?.jobDefinitionArn ? jobDefinitionLabel(latest.jobDefinitionArn) : 'no ACTIVE revision'}, not the recorded ${recorded}` };
}

export { registerJobDefinitionRevision, rollBackJobDefinition, judgeJobDefinitionRollback, activeRevisions };
