import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Deployment, TargetChange } from '../shared/deployment';
import { logger } from '../shared/logger';
import type { SlotOutcome } from '../slots/model';
import { DEFAULT_METRICS_NAMESPACE, DEPLOYMENT_METRICS } from './names';

/** Seconds from `from` (ISO time) to `now`; undefined for a time that does not parse. Never negative: clocks differ. */
function secondsSince(from: string | undefined, now: Date): number | undefined {
  const start = from === undefined ? Number.NaN : Date.parse(from);
  return Number.isNaN(start) ? undefined : Math.max(0, (now.getTime() - start) / 1000);
}

/** One target's metrics of a deployment that ended `status`, stored on `metrics` (see DEPLOYMENT_METRICS). */
function addTargetMetrics(metrics: Metrics, status: SlotOutcome, change: TargetChange, startedAt: string | undefined, now: Date): void {
  const rolledBack = status === 'ROLLED_BACK' || (status === 'SUCCEEDED' && change.rollbackOf !== undefined);
  const failed = status === 'FAILED' || status === 'ROLLBACK_FAILED';
  metrics.addDimension('target', change.target.name);
  metrics.addDimension('environment', change.target.environment);
  // Zeros too: a Sum counts them, an Average of Failures is the failure rate.
  metrics.addMetric(DEPLOYMENT_METRICS.deployments, MetricUnit.Count, 1);
  metrics.addMetric(DEPLOYMENT_METRICS.rollbacks, MetricUnit.Count, rolledBack ? 1 : 0);
  metrics.addMetric(DEPLOYMENT_METRICS.failures, MetricUnit.Count, failed ? 1 : 0);
  const duration = secondsSince(startedAt, now);
  if (duration !== undefined) metrics.addMetric(DEPLOYMENT_METRICS.rolloutDuration, MetricUnit.Seconds, duration);
  // Whatever started it (a push, a reconciliation), a change that carries its push time has a lead time.
  const leadTime = status === 'SUCCEEDED' ? secondsSince(change.pushedAt, now) : undefined;
  if (leadTime !== undefined) metrics.addMetric(DEPLOYMENT_METRICS.leadTime, MetricUnit.Seconds, leadTime);
}

/**
 * Writes the metrics of a finished deployment as CloudWatch embedded metric format (EMF)
 * lines on stdout, one per target it changed (each line has one dimension set: target,
 * environment). CloudWatch Logs turns them into metrics: no API call, no permission
 * beyond writing the function's logs. POWERTOOLS_METRICS_DISABLED (local runs, tests)
 * turns them off.
 *
 * Never throws: a deployment's release must not fail on its metrics.
 *
 * A double count is possible, and accepted: EMF has no idempotency, and when Step
 * Functions retries the release step after this ran (starting the automatic promotions
 * failed for a transient reason), the retry counts the deployment again. Counting only in
 * the call that released the slot would avoid it, but lose the deployment instead when
 * the call that released it failed before this (starting the next claim's execution).
 *
 * @param status How it ended, as the release step is told.
 * @param deployment The deployment, as far as the state holds one (a refused input has none).
 * @param now When it ended.
 * @example publishDeploymentMetrics('SUCCEEDED', state.deployment);
 */
function publishDeploymentMetrics(status: SlotOutcome, deployment: Partial<Deployment> | undefined, now = new Date()): void {
  // REJECTED (and a state without changes) changed nothing: not a deployment to count.
  if (status === 'REJECTED' || !Array.isArray(deployment?.changes)) return;
  try {
    // Read per call: the environment decides namespace and whether it is on. Its warnings go to the structured logs.
    const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_METRICS_NAMESPACE, logger });
    // No `service` dimension: the namespace names the service (and the stage).
    metrics.clearDefaultDimensions();
    for (const change of deployment.changes) {
      metrics.setTimestamp(now);
      // Searchable in the log line, not dimensions: one value per deployment.
      metrics.addMetadata('deploymentId', deployment.id ?? 'unknown');
      metrics.addMetadata('status', status);
      addTargetMetrics(metrics, status, change, deployment.startedAt, now);
      metrics.publishStoredMetrics();
    }
  } catch (error) {
    logger.warn('deployment metrics not published', { status, deploymentId: deployment.id, error: error as Error });
  }
}

export { publishDeploymentMetrics };
