/**
 * What functions/metrics emits, by name: the deployment metrics, their dimensions and
 * their namespace. The dashboard (functions/metrics/dashboard.ts) charts these very
 * names, so the picture and the emitted metrics cannot drift apart. No Powertools here:
 * packaging reads this file too.
 */

/** Every metric a finished deployment emits, per target it changed. */
const DEPLOYMENT_METRICS = {
  /** 1 per deployment that ended (any outcome but REJECTED). */
  deployments: 'Deployments',
  /** 1 when the target went back: ROLLED_BACK, or a requested rollback (`rollbackOf`) that SUCCEEDED; else 0. */
  rollbacks: 'Rollbacks',
  /** 1 when it ended FAILED or ROLLBACK_FAILED; else 0. */
  failures: 'Failures',
  /** Seconds from the image's push (the ECR event's time) to SUCCEEDED; only for a change that carries a push time. */
  leadTime: 'LeadTimeSeconds',
  /** Seconds from the execution's start to its end. */
  rolloutDuration: 'RolloutDurationSeconds',
} as const;

/** The one dimension set of every deployment metric: the target's name and its `environment` (deployments.yml). */
const DEPLOYMENT_DIMENSIONS = ['target', 'environment'] as const;

/**
 * Without POWERTOOLS_METRICS_NAMESPACE. serverless.yml sets `<service>/<stage>`: the
 * stage is in the namespace, not a dimension, as for the stack's other metrics.
 */
const DEFAULT_METRICS_NAMESPACE = 'ecr-deployer';

type DeploymentMetricName = (typeof DEPLOYMENT_METRICS)[keyof typeof DEPLOYMENT_METRICS];

export { DEPLOYMENT_METRICS, DEPLOYMENT_DIMENSIONS, DEFAULT_METRICS_NAMESPACE };
export type { DeploymentMetricName };
