import { tagMatchesTarget, type CompiledDeployments } from '../config/packaged';
import { buildDriftEvent, publishDeploymentEvents } from '../events/deployment-events';
import { tagPolicyOf } from '../policy/tag-policy';
import type { ResolvedTarget } from '../shared/deployment';
import { imageRef } from '../shared/image';
import { logger } from '../shared/logger';
import { recordPush, startClaimed } from '../slots/coordinator';
import { slotOf } from '../slots/identity';
import type { SlotRecord } from '../slots/model';
import { allSlots, updateSlot } from '../slots/store';
import { resolveTarget } from '../trigger/targets';
import { isDue, markDriftReported, noteObservation, notMissed, slotBusy } from './decide';
import { listTaggedImages, newestFollowedImage } from './images';
import { observeTargets, type CallCount, type Left } from './observe';

/**
 * One sweep of the reconciler (README, "Reconciler and drift"): for each target
 * due, a push EventBridge lost is recorded as the trigger records a push, and what
 * runs is compared with what the deployer left. It writes only through the slot
 * store, and never to a slot a deployment holds or waits for.
 */

interface ReconcileSettings {
  /** This stack's ECR registry (`<account>.dkr.ecr.<region>.amazonaws.com`). */
  registry: string;
  stateMachineArn: string;
  /** How often the sweep runs (the schedule, minutes): targets looked at less often are due in one sweep of each of their periods. */
  sweepMinutes: number;
}

interface ReconcileReport {
  /** Targets looked at in this sweep. */
  due: string[];
  /** Pushes EventBridge did not deliver, recorded now. */
  missedPushes: { target: string; digest: string; tag: string; pushedAt: string }[];
  started: string[];
  drift: { target: string; observed: string; action: 'report' | 'redeploy' }[];
  /** Targets whose drift is gone: they run what the deployer left again. */
  driftCleared: string[];
  /** Targets not looked at for drift, and why. */
  notChecked: { target: string; why: string }[];
  /** AWS calls this sweep made: ECR's DescribeImages, the slot table, the targets' Describe/Get calls. */
  calls: { ecr: number; slotTable: number; targets: number };
}

function dueTargets(compiled: CompiledDeployments, settings: ReconcileSettings, now: Date): ResolvedTarget[] {
  return compiled.config.targets.filter((target) => target.reconcile !== false && isDue(target.reconcile.everyMinutes, settings.sweepMinutes, now)).map(resolveTarget);
}

/** Pushes whose event never came: the newest image each push target follows, when it is newer than anything the target runs or will run. */
async function recordMissedPushes(targets: ResolvedTarget[], slots: Map<string, SlotRecord>, compiled: CompiledDeployments, settings: ReconcileSettings, report: ReconcileReport, now: Date): Promise<void> {
  const byRepository = new Map<string, ResolvedTarget[]>();
  for (const target of targets.filter((t) => t.trigger === 'push')) byRepository.set(target.repository, [...(byRepository.get(target.repository) ?? []), target]);
  for (const [repository, followers] of byRepository) {
    const { images, calls } = await listTaggedImages(repository);
    report.calls.ecr += calls;
    for (const target of followers) {
      const policy = tagPolicyOf(target);
      const newest = newestFollowedImage(images, (tag) => tagMatchesTarget(compiled, target.name, tag), policy);
      if (!newest) continue;
      const why = notMissed(slots.get(slotOf(target).key)?.targets[target.name], newest, policy);
      if (why) continue;
      const pushedAt = newest.pushedAt.toISOString();
      const recorded = await recordPush({ repository, registry: settings.registry, digest: newest.digest, tag: newest.tag, pushedAt }, [target], settings.stateMachineArn, now);
      report.calls.slotTable += 2;
      if (recorded.recorded.length === 0) continue;
      report.missedPushes.push({ target: target.name, digest: newest.digest, tag: newest.tag, pushedAt });
      report.started.push(...recorded.started);
      logger.warn('a push EventBridge did not deliver, recorded now', { target: target.name, digest: newest.digest, tag: newest.tag, pushedAt, started: recorded.started });
    }
  }
}

/** Targets that run something else than the deployer left: reported once per revision seen, and put back with `onDrift: redeploy`. */
async function detectDrift(targets: ResolvedTarget[], slots: Map<string, SlotRecord>, report: ReconcileReport, settings: ReconcileSettings, now: Date): Promise<void> {
  const checked: { target: ResolvedTarget; left: Left & { deploymentId: string } }[] = [];
  for (const target of targets) {
    const record = slots.get(slotOf(target).key);
    const deployed = record?.targets[target.name]?.deployed;
    if (!record || !deployed?.revision) report.notChecked.push({ target: target.name, why: 'no revision recorded from a deployment by ecr-deployer yet' });
    else if (slotBusy(record) || report.missedPushes.some((push) => push.target === target.name)) report.notChecked.push({ target: target.name, why: 'a deployment holds or waits for its slot' });
    else checked.push({ target, left: { revision: deployed.revision, digest: deployed.digest, deploymentId: deployed.deploymentId } });
  }
  const count: CallCount = { calls: 0 };
  const observations = await observeTargets(checked, count);
  report.calls.targets += count.calls;
  for (const { target, left } of checked) {
    const observation = observations.get(target.name);
    if (!observation || 'missing' in observation) {
      report.notChecked.push({ target: target.name, why: observation?.missing ?? 'not read' });
      continue;
    }
    if (observation.matches && !slots.get(slotOf(target).key)?.targets[target.name]?.drift) continue;
    const slot = slotOf(target);
    const redeploy = target.reconcile !== false && target.reconcile.onDrift === 'redeploy';
    const { result } = await updateSlot(slot.key, slot.kind, (record) => noteObservation(record, target.name, observation, left.deploymentId, now, redeploy));
    report.calls.slotTable += 2;
    if (result.action === 'cleared') report.driftCleared.push(target.name);
    if (result.action !== 'report') continue;
    const event = buildDriftEvent(
      {
        target,
        image: imageRef(settings.registry, target.repository, left.digest, slots.get(slot.key)?.targets[target.name]?.deployed?.tag),
        drift: { expected: left.revision, observed: observation.revision, since: result.since, deployedBy: left.deploymentId, differences: observation.differences, action: redeploy ? 'redeploy' : 'report' },
      },
      now,
    );
    await publishDeploymentEvents([event]);
    await updateSlot(slot.key, slot.kind, (record) => markDriftReported(record, target.name, observation.revision));
    report.calls.slotTable += 2;
    report.drift.push({ target: target.name, observed: observation.revision, action: redeploy ? 'redeploy' : 'report' });
    logger.warn('drift detected', { target: target.name, expected: left.revision, observed: observation.revision, differences: observation.differences });
    if (result.start) {
      await startClaimed(settings.stateMachineArn, result.start);
      report.started.push(result.start.name);
    }
  }
}

/**
 * The sweep: reads every slot once (a Scan), ECR once per repository followed by
 * push targets (every page of DescribeImages), and each checked target once (ECS
 * services ten at a time); writes only where something is found.
 */
async function reconcileTargets(compiled: CompiledDeployments, settings: ReconcileSettings, now = new Date()): Promise<ReconcileReport> {
  const report: ReconcileReport = { due: [], missedPushes: [], started: [], drift: [], driftCleared: [], notChecked: [], calls: { ecr: 0, slotTable: 0, targets: 0 } };
  const targets = dueTargets(compiled, settings, now);
  report.due = targets.map((target) => target.name);
  if (targets.length === 0) return report;
  const slots = new Map<string, SlotRecord>();
  for await (const record of allSlots(() => (report.calls.slotTable += 1))) slots.set(record.key, record);
  await recordMissedPushes(targets, slots, compiled, settings, report, now);
  await detectDrift(targets, slots, report, settings, now);
  return report;
}

export { reconcileTargets };
export type { ReconcileReport, ReconcileSettings };
