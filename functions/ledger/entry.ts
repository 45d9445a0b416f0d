import type { TargetKind } from '../config/schema';
import type { DeploymentEventDetail } from '../events/deployment-events';
import type { DeploymentState, Trigger } from '../shared/deployment';

/**
 * The deployment ledger: one entry per target a deployment changed (or tried to),
 * written when it ended, kept for `ledger.retentionDays` (TTL). It outlives the
 * Step Functions history (90 days): `history`, `status` and `rollback: true` read it.
 */

/** How a deployment of a target ended, as its last event said. */
type LedgerStatus = 'SUCCEEDED' | 'ROLLED_BACK' | 'ROLLBACK_FAILED' | 'FAILED' | 'SKIPPED';

interface LedgerEntry {
  target: string;
  environment: string;
  kind: TargetKind;
  /** The execution name. */
  deploymentId: string;
  executionArn?: string;
  status: LedgerStatus;
  /** Why it ended as it did (none for SUCCEEDED). */
  reason?: string;
  image: { repository: string; tag?: string; digest: string; uri: string };
  /** The revision (task or job definition ARN, Lambda version ARN, or image) the target ran before, and after. Unknown after ROLLBACK_FAILED. */
  revisions: { before?: string; after?: string };
  /** The images the target ran before it (what `rollback: true` goes back to). */
  previousImages: string[];
  /** When the image was pushed, for a push deployment. */
  pushedAt?: string;
  startedAt: string;
  finishedAt: string;
  trigger: { kind: Trigger['kind']; requestedBy?: string };
  approvedBy?: { by: string; at: string };
  promotedFrom?: { target: string; deploymentId: string };
  /** A rollback: the deployment it undid. */
  rollbackOf?: string;
  /** Epoch seconds after which DynamoDB deletes the entry (TTL). */
  expiresAt: number;
}

const DEFAULT_RETENTION_DAYS = 400;
const LEDGER_STATUSES: readonly string[] = ['SUCCEEDED', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'FAILED', 'SKIPPED'] satisfies LedgerStatus[];

/** The sort key: start time, then the execution name, so that the entries of a target read newest first and a retried write lands on the same item. */
function sortKeyOf(entry: Pick<LedgerEntry, 'startedAt' | 'deploymentId'>): string {
  return `${entry.startedAt}#${entry.deploymentId}`;
}

/** What a target ran before, per kind, as the deployment's steps recorded it. */
function previousImagesOf(state: DeploymentState, target: string): string[] {
  const containers = state.ecs?.containers ?? state.batch?.containers;
  if (containers) return [...new Set(containers.filter((c) => c.target === target).map((c) => c.previousImage))];
  // The resolved URI is pinned by digest even when the function was configured with a tag.
  const lambda = state.lambda?.previousResolvedImageUri ?? state.lambda?.previousImageUri;
  return lambda ? [lambda] : [];
}

/**
 * The ledger entries of a deployment that ended, from its last events (one per
 * target) and its state. Events of other statuses (STARTED, ROLLING_BACK, …) are
 * not outcomes and make no entry.
 */
function ledgerEntriesOf(events: DeploymentEventDetail[], state: DeploymentState | undefined, now: Date, retentionDays = DEFAULT_RETENTION_DAYS): LedgerEntry[] {
  const expiresAt = Math.floor(now.getTime() / 1000) + retentionDays * 86_400;
  return events
    .filter((event) => LEDGER_STATUSES.includes(event.status))
    .map((event) => {
      const pushedAt = state?.deployment.changes.find((change) => change.target.name === event.target)?.pushedAt;
      return {
        target: event.target,
        environment: event.environment,
        kind: event.kind as TargetKind,
        deploymentId: event.deploymentId,
        ...(event.executionArn ? { executionArn: event.executionArn } : {}),
        status: event.status as LedgerStatus,
        ...(event.reason ? { reason: event.reason } : {}),
        image: event.image,
        revisions: { ...(event.previous ? { before: event.previous } : {}), ...(event.current ? { after: event.current } : {}) },
        previousImages: state ? previousImagesOf(state, event.target) : [],
        ...(pushedAt ? { pushedAt } : {}),
        startedAt: event.startedAt,
        finishedAt: now.toISOString(),
        trigger: event.trigger ?? { kind: 'manual' },
        ...(event.approvedBy ? { approvedBy: event.approvedBy } : {}),
        ...(event.promotedFrom ? { promotedFrom: event.promotedFrom } : {}),
        ...(event.rollbackOf ? { rollbackOf: event.rollbackOf } : {}),
        expiresAt,
      };
    });
}

export { ledgerEntriesOf, sortKeyOf, previousImagesOf, DEFAULT_RETENTION_DAYS };
export type { LedgerEntry, LedgerStatus };
