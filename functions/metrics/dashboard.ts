import { DEPLOYMENT_METRICS, type DeploymentMetricName } from './names';

/**
 * The stack's CloudWatch dashboard (AWS::CloudWatch::Dashboard, built when packaging by
 * scripts/serverless-config.js): the picture an operator opens. One line per target of
 * deployments.yml in every chart, each a metric functions/metrics emits, by the names in
 * ./names.ts. Pure; not bundled into any function.
 */

interface DashboardTarget {
  name: string;
  environment: string;
}

interface DashboardOptions {
  /** Where the metrics are (POWERTOOLS_METRICS_NAMESPACE of the function that emits them). */
  namespace: string;
  /** The stage, for the title. */
  stage: string;
  targets: readonly DashboardTarget[];
  /** The region of the metrics; the stack passes `${AWS::Region}` (Fn::Sub). */
  region: string;
}

/** A day per point: few deployments a day per target, so percentiles need the day's. */
const PERIOD_SECONDS = 86_400;

/** Counts add up per day; times are read at their median and 90th percentile. */
type Stat = 'Sum' | 'p50' | 'p90';

type MetricRow = [string, DeploymentMetricName, 'target', string, 'environment', string, { label: string }];

interface Widget {
  type: 'metric' | 'text';
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

/** A chart of `metric` with `stat`, one line per target. */
function chart(options: DashboardOptions, title: string, metric: DeploymentMetricName, stat: Stat, place: Pick<Widget, 'x' | 'y' | 'width'>): Widget {
  const metrics: MetricRow[] = options.targets.map((target) => [options.namespace, metric, 'target', target.name, 'environment', target.environment, { label: `${target.name} (${target.environment})` }]);
  const counts = stat === 'Sum';
  return {
    type: 'metric',
    ...place,
    height: 6,
    properties: {
      title,
      view: 'timeSeries',
      // Counts stack up to the day's total; percentiles of targets do not add up.
      stacked: counts,
      region: options.region,
      stat,
      period: PERIOD_SECONDS,
      metrics,
      yAxis: { left: { min: 0, label: counts ? 'per day' : 'seconds', showUnits: false } },
    },
  };
}

/**
 * The dashboard's body (DashboardBody, as an object): deployments, rollbacks and failures
 * per target and day; lead time (push to SUCCEEDED) and rollout duration, p50 and p90.
 *
 * @example JSON.stringify(deploymentsDashboardBody({ namespace: 'ecr-deployer/dev', stage: 'dev', targets, region: '${AWS::Region}' }))
 */
function deploymentsDashboardBody(options: DashboardOptions): { start: string; periodOverride: string; widgets: Widget[] } {
  const { deployments, rollbacks, failures, leadTime, rolloutDuration } = DEPLOYMENT_METRICS;
  const intro = [
    `# ecr-deployer deployments (${options.stage})`,
    `Per target (environment), a point a day, from the EMF lines of each deployment's release step in namespace \`${options.namespace}\` (README, "Metrics and dashboard"). Lead time: from the image's push to SUCCEEDED; rollout duration: from the execution's start to its end.`,
  ].join('\n\n');
  return {
    start: '-P14D',
    periodOverride: 'inherit',
    widgets: [
      { type: 'text', x: 0, y: 0, width: 24, height: 3, properties: { markdown: intro } },
      chart(options, 'Deployments per target', deployments, 'Sum', { x: 0, y: 3, width: 8 }),
      chart(options, 'Rollbacks per target', rollbacks, 'Sum', { x: 8, y: 3, width: 8 }),
      chart(options, 'Failures per target (FAILED, ROLLBACK_FAILED)', failures, 'Sum', { x: 16, y: 3, width: 8 }),
      chart(options, 'Lead time, push to SUCCEEDED: p50', leadTime, 'p50', { x: 0, y: 9, width: 12 }),
      chart(options, 'Lead time, push to SUCCEEDED: p90', leadTime, 'p90', { x: 12, y: 9, width: 12 }),
      chart(options, 'Rollout duration: p50', rolloutDuration, 'p50', { x: 0, y: 15, width: 12 }),
      chart(options, 'Rollout duration: p90', rolloutDuration, 'p90', { x: 12, y: 15, width: 12 }),
    ],
  };
}

export { deploymentsDashboardBody };
export type { DashboardTarget, DashboardOptions };
