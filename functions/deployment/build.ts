import type { DeploymentsFile } from '../config/schema';
import { TRIGGER_KINDS, type Deployment, type DeploymentSettings, type ResolvedTarget, type TargetChange, type Trigger } from '../shared/deployment';
import { InvalidInput, TargetNotFound } from '../shared/errors';
import { ecrRegistry, imageRef } from '../shared/image';
import { alarmSettingsOf } from '../alarms/model';
import { scheduledRulesOf } from '../scheduled-tasks/model';
import { slotOf } from '../slots/identity';
import { resolveTarget } from '../trigger/targets';

/**
 * Deployments built from deployments.yml and what an input names (pure but for the
 * registry, from the environment). No input checking here: resolve.ts checks the
 * input first; HoldSlot and the event publisher build from what it checked, or from
 * what a refused input names, without the schema library.
 */

interface ExecutionContext {
  name: string;
  arn?: string;
  startTime?: string;
}

/** The target named `name` in deployments.yml, or `TargetNotFound` listing the known ones. */
function findTarget(config: DeploymentsFile, name: string): ResolvedTarget {
  const found = config.targets.find((t) => t.name === name);
  if (!found) throw new TargetNotFound(`no target named "${name}" in deployments.yml (known: ${config.targets.map((t) => t.name).join(', ')}).`);
  return resolveTarget(found);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Who asked, as far as a (possibly refused) input says: a person unless it says otherwise. */
function triggerNamedBy(value: unknown): Trigger {
  const kind = isRecord(value) ? TRIGGER_KINDS.find((known) => known === value.kind) : undefined;
  if (!isRecord(value) || !kind) return { kind: 'manual' };
  return { kind, ...(typeof value.requestedBy === 'string' ? { requestedBy: value.requestedBy } : {}) };
}

/** This account's and region's ECR registry, where every target's repository is. */
function defaultRegistry(): string {
  const accountId = process.env.AWS_ACCOUNT_ID;
  const region = process.env.AWS_REGION;
  if (!accountId || !region) throw new InvalidInput('AWS_ACCOUNT_ID/AWS_REGION are not set: the registry of the targets cannot be derived.');
  return ecrRegistry(accountId, region);
}

/**
 * The changes for images named by target, each target checked to be in
 * deployments.yml and on `slot`, in name order (pure but for the registry).
 */
function changesOfImages(slot: string, images: Record<string, { digest: string; tag?: string; pushedAt?: string; rollbackOf?: string }>, config: DeploymentsFile): TargetChange[] {
  const registry = defaultRegistry();
  return Object.entries(images)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, image]) => {
      const target = findTarget(config, name);
      const key = slotOf(target).key;
      if (key !== slot) throw new InvalidInput(`target ${name} deploys to ${key}, not to ${slot}: one deployment changes one slot.`);
      return {
        target,
        image: imageRef(registry, target.repository, image.digest, image.tag),
        ...(image.pushedAt ? { pushedAt: image.pushedAt } : {}),
        ...(image.rollbackOf ? { rollbackOf: image.rollbackOf, fastRollback: 'rollback' as const } : {}),
      };
    });
}

/**
 * The targets an input names, as far as it can be read and deployments.yml knows
 * them (pure but for reading it): for the event of an input refused before it
 * resolved. Nothing for an input that names none.
 */
function targetsNamedBy(rawInput: unknown, config: DeploymentsFile): { targets: ResolvedTarget[]; images: Record<string, { digest?: string; tag?: string }>; trigger: Trigger } {
  const input = isRecord(rawInput) ? rawInput : {};
  const trigger = triggerNamedBy(input.trigger);
  const known = (name: unknown): ResolvedTarget[] => {
    const found = typeof name === 'string' ? config.targets.find((t) => t.name === name) : undefined;
    return found ? [resolveTarget(found)] : [];
  };
  if (isRecord(input.images)) {
    const images = Object.fromEntries(
      Object.entries(input.images).map(([name, image]) => [name, isRecord(image) ? { digest: typeof image.digest === 'string' ? image.digest : undefined, tag: typeof image.tag === 'string' ? image.tag : undefined } : {}]),
    );
    return { targets: Object.keys(images).flatMap(known), images, trigger };
  }
  const targets = known(input.target);
  const image = { digest: typeof input.digest === 'string' ? input.digest : undefined, tag: typeof input.tag === 'string' ? input.tag : undefined };
  return { targets, images: Object.fromEntries(targets.map((t) => [t.name, image])), trigger };
}

/**
 * What the changes of one deployment share (pure): the longest deadlines, the
 * shortest poll, and every target's smoke tests once each.
 */
function settingsFor(changes: TargetChange[]): DeploymentSettings {
  const targets = changes.map((c) => c.target);
  const seen = new Set<string>();
  const smokeTests = targets.flatMap((t) => t.smokeTests).filter((test) => {
    const key = JSON.stringify(test);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  // A rollback goes back to what ran and was approved before: it does not wait for a person.
  const approvals = changes.filter((change) => !change.rollbackOf && change.target.approval?.required).map((change) => change.target.approval?.timeoutSeconds ?? 0);
  const preDeploy = changes.find((change) => change.target.ecs?.preDeployTask)?.target.ecs?.preDeployTask;
  const scheduledRules = scheduledRulesOf(changes);
  const alarms = alarmSettingsOf(targets.map((target) => target.alarms));
  const scanWaits = changes.flatMap((change) => (change.target.gates?.scanFindings ? [change.target.gates.scanFindings.waitSeconds] : []));
  return {
    ...(approvals.length > 0 ? { approval: { timeoutSeconds: Math.max(...approvals) } } : {}),
    ...(scanWaits.length > 0 ? { scanGate: { waitSeconds: Math.max(...scanWaits) } } : {}),
    // One service runs one pre-deploy task: the first of its targets that names one.
    ...(preDeploy ? { preDeployTask: preDeploy } : {}),
    ...(scheduledRules ? { scheduledRules } : {}),
    ...(alarms ? { alarms } : {}),
    rollout: {
      timeoutSeconds: Math.max(...targets.map((t) => t.rollout.timeoutSeconds)),
      rollbackTimeoutSeconds: Math.max(...targets.map((t) => t.rollout.rollbackTimeoutSeconds)),
      pollSeconds: Math.min(...targets.map((t) => t.rollout.pollSeconds)),
      waitForSlotSeconds: Math.max(...targets.map((t) => t.rollout.waitForSlotSeconds)),
      mergeWindowSeconds: Math.max(...targets.map((t) => t.rollout.mergeWindowSeconds)),
    },
    smokeTests,
  };
}

/** A deployment of `changes` (at least one, all of one slot) by the execution `execution` (pure). */
function deploymentOf(changes: TargetChange[], trigger: Trigger, execution: ExecutionContext, generation?: number): Deployment {
  const [first] = changes;
  if (!first) throw new InvalidInput('a deployment needs at least one target to change.');
  return {
    id: execution.name,
    executionArn: execution.arn,
    startedAt: execution.startTime ?? new Date().toISOString(),
    slot: slotOf(first.target),
    ...(generation !== undefined ? { generation } : {}),
    changes,
    settings: settingsFor(changes),
    trigger,
  };
}

export { findTarget, defaultRegistry, changesOfImages, targetsNamedBy, settingsFor, deploymentOf, isRecord };
export type { ExecutionContext };
