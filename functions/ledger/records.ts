import type { SFNClient } from '@aws-sdk/client-sfn';
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { deploymentRecords, type DeploymentRecord, type ScanStats } from '../deployment/history';
import type { LedgerEntry } from './entry';
import { ledgerEntries, type LedgerQuery, type LedgerTable } from './store';

/**
 * Ledger entries in the shape the Step Functions history is read into
 * (functions/deployment/history.ts), so that rollback and the CLI read either.
 */
function deploymentRecordOfLedgerEntry(entry: LedgerEntry): DeploymentRecord {
  const rollback = entry.rollbackOf !== undefined;
  return {
    executionName: entry.deploymentId,
    executionArn: entry.executionArn ?? '',
    // What the execution ended as: only a deployment that SUCCEEDED ends its execution SUCCEEDED.
    status: entry.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED',
    startDate: new Date(entry.startedAt),
    stopDate: new Date(entry.finishedAt),
    target: entry.target,
    targets: [entry.target],
    kind: entry.kind,
    request: {
      form: rollback ? 'rollback' : entry.promotedFrom ? 'promotion' : entry.trigger.kind === 'ecr-push' ? 'push' : entry.image.tag ? 'tag' : 'digest',
      ...(entry.promotedFrom ? { promoteFrom: entry.promotedFrom.target } : {}),
      ...(entry.image.tag ? { tag: entry.image.tag } : {}),
      digest: entry.image.digest,
      triggerKind: entry.trigger.kind,
      ...(entry.trigger.requestedBy ? { requestedBy: entry.trigger.requestedBy } : {}),
    },
    image: { repository: entry.image.repository, ...(entry.image.tag ? { tag: entry.image.tag } : {}), digest: entry.image.digest },
    previousImages: entry.previousImages,
    revisions: { previous: entry.revisions.before, next: entry.revisions.after },
    ...(entry.rollbackOf ? { rollbackOf: entry.rollbackOf } : {}),
    ...(entry.status !== 'SUCCEEDED' && entry.reason ? { error: entry.status, cause: entry.reason } : {}),
  };
}

/** The ledger's entries, or none when the stack has no ledger table (yet): a deployer older than the ledger. */
async function* entriesIfLedger(query: LedgerQuery, table: LedgerTable): AsyncGenerator<LedgerEntry> {
  try {
    yield* ledgerEntries(query, table);
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}

interface DeploymentSources {
  target: string;
  /** The ledger, when there is one. */
  ledger?: LedgerTable;
  /** The Step Functions history: read when the ledger knows nothing of the target. */
  stateMachineArn: string;
  sfn?: SFNClient;
  stats?: ScanStats;
  statusFilter?: 'SUCCEEDED';
}

/**
 * A target's finished deployments, newest first: from the ledger, or, when the
 * ledger holds none of the target (deployed before the ledger existed), from the
 * Step Functions history, which reaches back 90 days.
 */
async function* finishedDeployments(sources: DeploymentSources): AsyncGenerator<DeploymentRecord> {
  let inLedger = false;
  if (sources.ledger) {
    for await (const entry of entriesIfLedger({ target: sources.target }, sources.ledger)) {
      inLedger = true;
      if (sources.stats) sources.stats.ledgerEntries = (sources.stats.ledgerEntries ?? 0) + 1;
      if (sources.statusFilter && entry.status !== sources.statusFilter) continue;
      yield deploymentRecordOfLedgerEntry(entry);
    }
  }
  if (inLedger) return;
  yield* deploymentRecords({ stateMachineArn: sources.stateMachineArn, target: sources.target, client: sources.sfn, stats: sources.stats, statusFilter: sources.statusFilter });
}

export { deploymentRecordOfLedgerEntry, finishedDeployments, entriesIfLedger };
export type { DeploymentSources };
