import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { deploymentRecords, withRecordedState, type DeploymentRecord, type ScanStats } from '../../functions/deployment/history';
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { deploymentRecordOfLedgerEntry, entriesIfLedger } from '../../functions/ledger/records';
import { revisionLabel } from '../../functions/notifications/render';
import type { ResolvedTarget } from '../../functions/shared/deployment';
import { slotOf } from '../../functions/slots/identity';
import type { TargetSlotState } from '../../functions/slots/model';
import { readSlot } from '../../functions/slots/store';
import { defaultLedgerTable, type LedgerTable } from '../../functions/ledger/store';
import { parseImageReference, shortDigest } from '../../functions/shared/image';
import type { CliContext } from '../context';
import { CliError, UsageError } from '../errors';
import { outcomeOf, type Outcome } from '../follow';
import { formatDuration, formatTime } from '../names';
import { imageLabel, parseState, phaseOf } from '../steps';
import { findTargetIn } from './deploy';
import { runningNow, type RunningNow } from './running';
import { cliCommand } from './start';

interface StatusRow {
  record: DeploymentRecord;
  outcome: Outcome;
  /** Why it ended as it did, as the ledger recorded it. */
  reason?: string;
  /** Where a running deployment is. */
  phase?: string;
}

/** What an execution was asked to deploy, when what it deployed is not known (yet). */
function requestLabel(record: DeploymentRecord): string {
  const { request } = record;
  if (record.image) return imageLabel(record.image);
  if (request.form === 'rollback') return 'rollback';
  if (request.form === 'promotion') return `promotion from ${request.promoteFrom ?? '?'}`;
  if (request.form === 'digest' && request.digest) return `${request.tag ?? ''} @ sha256:${shortDigest(request.digest)}`.trim();
  if (request.form === 'tag') return `tag ${request.tag ?? '?'}`;
  return '-';
}

function triggerLabel(record: DeploymentRecord): string {
  if (record.rollbackOf || record.request.form === 'rollback') return 'rollback';
  if (record.request.triggerKind === 'promotion' || record.request.form === 'promotion') return 'promotion';
  if (record.request.triggerKind === 'reconcile' || record.request.triggerKind === 'drift') return record.request.triggerKind;
  return record.request.triggerKind === 'ecr-push' ? 'push' : 'manual';
}

/**
 * A finished-but-failed or running execution has no output: the input of the last
 * state it entered holds the deployment, and the Fail state it ended in says how.
 */
async function withLastState(context: CliContext, record: DeploymentRecord): Promise<StatusRow> {
  if (record.status === 'SUCCEEDED') return { record, outcome: 'SUCCEEDED' };
  const history = await context.clients.sfn.send(new GetExecutionHistoryCommand({ executionArn: record.executionArn, reverseOrder: true, maxResults: 20, includeExecutionData: true }));
  const events = history.events ?? [];
  const failState = events.find((e) => e.type === 'FailStateEntered')?.stateEnteredEventDetails?.name;
  const lastEntered = events.find((e) => e.stateEnteredEventDetails?.name)?.stateEnteredEventDetails;
  const stateEvent = events.find((e) => parseState(e.stateEnteredEventDetails?.input) !== undefined);
  const completed = withRecordedState(record, parseState(stateEvent?.stateEnteredEventDetails?.input));
  const outcome = outcomeOf(record.status, failState);
  return { record: completed, outcome, phase: outcome === 'RUNNING' && lastEntered?.name ? phaseOf(lastEntered.name) : undefined };
}

function duration(row: StatusRow, now: Date): string {
  const { startDate, stopDate } = row.record;
  if (!startDate) return '-';
  return stopDate ? formatDuration(stopDate.getTime() - startDate.getTime()) : `${formatDuration(now.getTime() - startDate.getTime())} so far`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  '));
}

/** One deployment as `status --json` gives it: stable keys, ISO times, null for what is not known. */
function jsonRow(row: StatusRow) {
  const { record } = row;
  const seconds = record.startDate && record.stopDate ? Math.round((record.stopDate.getTime() - record.startDate.getTime()) / 1000) : null;
  return {
    executionName: record.executionName,
    executionArn: record.executionArn,
    target: record.target ?? null,
    targets: record.targets ?? (record.target ? [record.target] : []),
    kind: record.kind ?? null,
    outcome: row.outcome,
    phase: row.phase ?? null,
    startedAt: record.startDate?.toISOString() ?? null,
    stoppedAt: record.stopDate?.toISOString() ?? null,
    durationSeconds: seconds,
    trigger: triggerLabel(record),
    requestedBy: record.request.requestedBy ?? null,
    image: record.image ? { repository: record.image.repository ?? null, tag: record.image.tag ?? null, digest: record.image.digest } : null,
    revisions: { previous: record.revisions?.previous ?? null, next: record.revisions?.next ?? null },
    rollbackOf: record.rollbackOf ?? null,
    reason: row.reason ?? null,
    error: record.error ?? null,
  };
}

/** What runs now, and the deployment of the list that put it there (the newest SUCCEEDED one with its digest). */
function runningDocument(now: RunningNow | undefined, rows: StatusRow[]) {
  if (!now) return null;
  const digests = now.images.map((image) => parseImageReference(image).digest).filter((digest): digest is string => Boolean(digest));
  const by = rows.find((row) => row.outcome === 'SUCCEEDED' && row.record.image && digests.includes(row.record.image.digest));
  return { revision: now.revision, images: now.images, since: now.since?.toISOString() ?? null, deployment: by?.record.executionName ?? null };
}

function runningLine(target: string, running: NonNullable<ReturnType<typeof runningDocument>>): string {
  const images = running.images.map((image) => image.replace(/^[^/]+\.amazonaws\.com(\.cn)?\//, '').replace(/@sha256:([a-f0-9]{12})[a-f0-9]+/, '@sha256:$1')).join(', ') || 'no image of its repository';
  const since = running.since ? ` since ${formatTime(new Date(running.since))} UTC` : '';
  const by = running.deployment ? `, by deployment ${running.deployment}` : ', not by a deployment listed here';
  return `now: ${target} runs ${running.revision} (${images})${since}${by}`;
}

interface ListOptions {
  limit: number;
  json?: boolean;
  /** Deployments started at or after this time (history). */
  since?: Date;
  /** … and before this one. */
  until?: Date;
}

/** `status [<target>] [--limit N] [--json]`: what the target runs now, then its most recent deployments. */
function statusCommand(context: CliContext, targetName: string | undefined, options: ListOptions): Promise<number> {
  return listDeployments(context, targetName, options, { running: true });
}

/**
 * `history <target> [--since T] [--until T] [--limit N] [--json]`: the target's deployments only,
 * newest first, from the ledger (kept ledger.retentionDays). `history --environment E`: those of
 * every target of that environment, merged.
 */
function historyCommand(context: CliContext, targetName: string | undefined, options: ListOptions & { environment?: string }): Promise<number> {
  if (targetName !== undefined) return listDeployments(context, targetName, options, { running: false });
  if (options.environment === undefined) throw new UsageError('history needs a target, or --environment to list every target of one environment.');
  return environmentHistory(context, options.environment, options);
}

/** Every target of an environment: their ledger entries in the range, merged newest first. */
async function environmentHistory(context: CliContext, environment: string, options: ListOptions): Promise<number> {
  const { out } = context;
  const config = context.loadConfig();
  const targets = config.targets.filter((target) => target.environment === environment).map((target) => target.name);
  if (targets.length === 0) {
    const known = [...new Set(config.targets.map((target) => target.environment))].join(', ');
    throw new CliError(`no target of ${context.deploymentsFile()} has environment "${environment}" (environments: ${known}).`);
  }
  const ledger = ledgerOf(context);
  const rows: StatusRow[] = [];
  context.errorContext.action = 'dynamodb:Query (the deployment ledger)';
  const query = { ...(options.since ? { since: options.since.toISOString() } : {}), ...(options.until ? { until: options.until.toISOString() } : {}) };
  for (const target of targets) {
    if (!ledger) break;
    let taken = 0;
    for await (const entry of entriesIfLedger({ target, ...query }, ledger)) {
      rows.push({ record: deploymentRecordOfLedgerEntry(entry), outcome: entry.status, ...(entry.reason ? { reason: entry.reason } : {}) });
      taken += 1;
      if (taken >= options.limit) break;
    }
  }
  rows.sort((a, b) => (b.record.startDate?.getTime() ?? 0) - (a.record.startDate?.getTime() ?? 0));
  const shown = rows.slice(0, options.limit);
  if (options.json) {
    out.json({ environment, targets, source: 'ledger', deployments: shown.map(jsonRow) });
    return 0;
  }
  const range = rangeText(options);
  if (shown.length === 0) {
    out.line(`no deployments of environment ${environment} (${targets.join(', ')})${range} in the deployment ledger.`);
    return 0;
  }
  printRows(context, shown);
  out.line(`${shown.length} most recent deployment(s) of environment ${environment} (${targets.join(', ')})${range}, from the deployment ledger.`);
  return 0;
}

function rangeText(options: ListOptions): string {
  return [options.since ? ` since ${formatTime(options.since)} UTC` : '', options.until ? ` before ${formatTime(options.until)} UTC` : ''].join('');
}

/** The table of deployments, one row each. */
function printRows(context: CliContext, rows: StatusRow[]): void {
  const now = context.deps.now();
  const lines = table([
    ['STARTED (UTC)', 'TARGET', 'IMAGE', 'OUTCOME', 'TOOK', 'BY', 'EXECUTION'],
    ...rows.map((row) => [
      formatTime(row.record.startDate),
      row.record.target ?? '?',
      requestLabel(row.record),
      row.phase ? `${row.outcome} (${row.phase})` : row.outcome.replace(/_/g, ' '),
      duration(row, now),
      triggerLabel(row.record),
      row.record.executionName,
    ]),
  ]);
  for (const line of lines) context.out.line(line);
  context.out.line();
}

/** The drift the reconciler recorded in the target's slot, if any; none when the slot table cannot be read (a stack older than it). */
async function driftOf(context: CliContext, target: ResolvedTarget): Promise<TargetSlotState['drift']> {
  const slot = slotOf(target);
  try {
    return (await readSlot(slot.key, slot.kind, context.slotTable())).targets[target.name]?.drift;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** The ledger: the stack's table, or with --local the local stack's own. */
function ledgerOf(context: CliContext): LedgerTable | undefined {
  return context.ledgerTable() ?? (process.env.LEDGER_TABLE ? defaultLedgerTable() : undefined);
}

const within = (options: ListOptions) => (date: Date | undefined) =>
  !date || ((!options.since || date >= options.since) && (!options.until || date < options.until));

/**
 * A target's deployments: those running now (Step Functions), then those the
 * ledger recorded. A target the ledger knows nothing of (deployed before the
 * ledger existed) is read from the Step Functions history alone.
 */
async function targetRows(context: CliContext, targetName: string, options: ListOptions, stateMachineArn: string, stats: ScanStats): Promise<{ rows: StatusRow[]; source: 'ledger' | 'step-functions' }> {
  const ledger = ledgerOf(context);
  const finished: StatusRow[] = [];
  if (ledger) {
    context.errorContext.action = 'dynamodb:Query (the deployment ledger)';
    const query = { target: targetName, ...(options.since ? { since: options.since.toISOString() } : {}), ...(options.until ? { until: options.until.toISOString() } : {}) };
    for await (const entry of entriesIfLedger(query, ledger)) {
      finished.push({ record: deploymentRecordOfLedgerEntry(entry), outcome: entry.status, ...(entry.reason ? { reason: entry.reason } : {}) });
      if (finished.length >= options.limit) break;
    }
  }
  if (finished.length === 0) return { rows: await executionRows(context, targetName, options, stateMachineArn, stats), source: 'step-functions' };
  context.errorContext.action = 'states:ListExecutions / states:DescribeExecution / states:GetExecutionHistory';
  const running: StatusRow[] = [];
  if (!options.until) {
    for await (const record of deploymentRecords({ stateMachineArn, target: targetName, statusFilter: 'RUNNING', client: context.clients.sfn, maxDescribed: 20, stats })) running.push(await withLastState(context, record));
  }
  return { rows: [...running.filter((row) => within(options)(row.record.startDate)), ...finished].slice(0, options.limit), source: 'ledger' };
}

/** Deployments read from the executions of the state machine (90 days). */
async function executionRows(context: CliContext, targetName: string | undefined, options: ListOptions, stateMachineArn: string, stats: ScanStats): Promise<StatusRow[]> {
  context.errorContext.action = 'states:ListExecutions / states:DescribeExecution / states:GetExecutionHistory';
  const rows: StatusRow[] = [];
  const inRange = within(options);
  for await (const record of deploymentRecords({ stateMachineArn, target: targetName, client: context.clients.sfn, maxDescribed: options.limit * 10 + 20, stats })) {
    if (!inRange(record.startDate)) continue;
    rows.push(await withLastState(context, record));
    if (rows.length >= options.limit) break;
  }
  return rows;
}

async function listDeployments(context: CliContext, targetName: string | undefined, options: ListOptions, show: { running: boolean }): Promise<number> {
  const { out } = context;
  const target = targetName !== undefined ? findTargetIn(context, targetName) : undefined;
  const stateMachineArn = await context.stateMachineArn();
  const stats: ScanStats = { listed: 0, described: 0, limited: false };
  const { rows, source } = targetName ? await targetRows(context, targetName, options, stateMachineArn, stats) : { rows: await executionRows(context, undefined, options, stateMachineArn, stats), source: 'step-functions' as const };
  const what = targetName ? ` of ${targetName}` : '';
  context.errorContext.action = 'read-only Describe/Get calls on the target';
  const running = target && show.running ? runningDocument(await runningNow(context, target), rows) : undefined;
  const drift = target && show.running ? await driftOf(context, target) : undefined;
  if (options.json) {
    out.json({ stateMachineArn, source, ...(target && show.running ? { running, drift: drift ?? null } : {}), deployments: rows.map(jsonRow) });
    return 0;
  }
  if (target && show.running) out.line(running ? runningLine(target.name, running) : `now: ${target.name}'s ${target.kind} resource was not found`);
  if (drift) out.line(`drift: since ${formatTime(new Date(drift.since))} UTC it runs ${revisionLabel(drift.observed)}, not what ${drift.deploymentId} left (the reconciler reported it: DRIFT_DETECTED)`);
  const range = rangeText(options);
  if (rows.length === 0) {
    out.line(`no deployments${what}${range} found among the ${stats.listed} most recent executions of ${stateMachineArn}${targetName ? ', nor in the deployment ledger' : ''}.`);
    return 0;
  }
  printRows(context, rows);
  const from = source === 'ledger' ? 'from the deployment ledger' : 'from the Step Functions history (90 days)';
  out.line(`${rows.length} most recent deployment(s)${what}${range}, ${from}. Details of one: ${cliCommand(context)} watch <execution>`);
  return 0;
}

export { historyCommand, statusCommand, requestLabel };
