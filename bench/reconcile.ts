import { handler as reconcile } from '../functions/handlers/reconcile';
import type { ReconcileReport } from '../functions/reconcile/sweep';
import { deliverPush } from '../local/deploy-push';
import { fakeDigest } from '../local/simulated-ecr';
import { inBurstWorld, pushEvent, serviceName } from './burst';

/**
 * The reconciler's cost: one sweep over `targets` ECS targets, each deployed once,
 * with `missed` pushes EventBridge never delivered; then a sweep with nothing to do.
 * Calls are counted as the sweep made them (ECR, the slot table, the targets' reads).
 */

interface SweepCost {
  report: ReconcileReport;
  /** Every AWS call of the sweep, the slot table's included. */
  calls: number;
}

const total = (report: ReconcileReport) => report.calls.ecr + report.calls.slotTable + report.calls.targets;

function reconcileCost(targets: number, missed: number): Promise<{ busy: SweepCost; idle: SweepCost }> {
  return inBurstWorld(targets, 1, 0, async (account) => {
    for (let i = 0; i < targets; i += 1) {
      const target = serviceName(i);
      await deliverPush(account, pushEvent(account, { target, pushedAt: i, deliveredAtMs: 0, digest: fakeDigest(`${target}:build-0`), tag: 'build-0', id: `${target}-push-0` }));
    }
    await account.stepFunctions.settle();
    // Pushes whose events were lost: the images are in ECR, no event came.
    for (let i = 0; i < missed; i += 1) account.ecr.pushImage(serviceName(i), fakeDigest(`${serviceName(i)}:build-1`), ['build-1']);
    const busy = await reconcile();
    await account.stepFunctions.settle();
    const idle = await reconcile();
    return { busy: { report: busy, calls: total(busy) }, idle: { report: idle, calls: total(idle) } };
  });
}

/**
 * The bound: one DescribeImages page per repository (each holds under 1000 images), one
 * Scan page, one DescribeServices per ten services, and two slot-table calls (read, write) per finding.
 */
function sweepLine(what: string, targets: number, cost: SweepCost): string {
  const { calls, missedPushes, drift } = cost.report;
  const bound = targets + 1 + Math.ceil(targets / 10) + 2 * (missedPushes.length + drift.length);
  return `bench: reconciler sweep of ${targets} targets (${what}): ${cost.calls} AWS calls (${calls.ecr} ECR DescribeImages, ${calls.slotTable} slot table, ${calls.targets} target reads; bound ${bound}, ${(cost.calls / bound).toFixed(2)}×), ${missedPushes.length} missed pushes recorded, ${drift.length} drifted`;
}

export { reconcileCost, sweepLine };
