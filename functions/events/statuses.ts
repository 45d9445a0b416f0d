/** The statuses of a deployment event (README, "Deployment events"), each of which a Slack channel can be told about. */
const DEPLOYMENT_STATUSES = ['STARTED', 'SUCCEEDED', 'FAILED', 'ROLLING_BACK', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'SKIPPED'] as const;
type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export { DEPLOYMENT_STATUSES };
export type { DeploymentStatus };
