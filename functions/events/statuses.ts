/** The statuses of a deployment event (README, "Deployment events"), each of which a Slack channel can be told about. */
const DEPLOYMENT_STATUSES = ['AWAITING_APPROVAL', 'STARTED', 'SUCCEEDED', 'FAILED', 'ROLLING_BACK', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'SKIPPED', 'DRIFT_DETECTED'] as const;
type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** The statuses a deployment ends with. */
type OutcomeStatus = Extract<DeploymentStatus, 'SUCCEEDED' | 'FAILED' | 'ROLLED_BACK' | 'ROLLBACK_FAILED' | 'SKIPPED'>;

/**
 * One wording per outcome, for the README, `npm start`, the CLI and Slack alike:
 * the name a person reads, and what it means for the target.
 */
const OUTCOME_WORDS: Record<OutcomeStatus, { name: string; meaning: string }> = {
  SUCCEEDED: { name: 'SUCCEEDED', meaning: 'the new image runs' },
  ROLLED_BACK: { name: 'ROLLED BACK', meaning: 'failed, then restored' },
  ROLLBACK_FAILED: { name: 'ROLLBACK FAILED', meaning: 'a person must look' },
  FAILED: { name: 'FAILED', meaning: 'nothing changed' },
  SKIPPED: { name: 'SKIPPED', meaning: 'not started' },
};

function isOutcomeStatus(status: string): status is OutcomeStatus {
  return Object.hasOwn(OUTCOME_WORDS, status);
}

/**
 * @example
 * outcomeText('ROLLED_BACK'); // 'ROLLED BACK (failed, then restored)'
 */
function outcomeText(status: OutcomeStatus): string {
  const words = OUTCOME_WORDS[status];
  return `${words.name} (${words.meaning})`;
}

export { DEPLOYMENT_STATUSES, OUTCOME_WORDS, isOutcomeStatus, outcomeText };
export type { DeploymentStatus, OutcomeStatus };
