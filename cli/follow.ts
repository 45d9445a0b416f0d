import { DescribeExecutionCommand, GetExecutionHistoryCommand, type DescribeExecutionCommandOutput, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { outcomeText } from '../functions/events/statuses';
import type { DeploymentState } from '../functions/shared/deployment';
import { consoleUrl, type CliContext } from './context';
import { formatDuration } from './names';
import { causeMessage, describeRolledBack, describeStep, describeSuccess, isPollingStep, isQuietStep, parseState, phaseOf } from './steps';

/**
 * Follows an execution of the deploy state machine until it ends: polls
 * DescribeExecution and GetExecutionHistory, prints a line per finished step (a
 * polling step only when what it sees changes), keeps a live status line on a
 * terminal, and ends with the outcome and where to look.
 */

/** How a deployment ended, from the Fail state it ended in (or its execution status). */
type Outcome = 'SUCCEEDED' | 'ROLLED_BACK' | 'ROLLBACK_FAILED' | 'FAILED' | 'SKIPPED' | 'REJECTED' | 'TIMED_OUT' | 'ABORTED' | 'RUNNING';

const OUTCOME_BY_FAIL_STATE: Record<string, Outcome> = {
  RejectInput: 'REJECTED',
  DeploymentFailed: 'FAILED',
  DeploymentRolledBack: 'ROLLED_BACK',
  RollbackFailed: 'ROLLBACK_FAILED',
  DeploymentNotApproved: 'SKIPPED',
};

function outcomeOf(status: string | undefined, failState: string | undefined): Outcome {
  if (status === 'SUCCEEDED') return 'SUCCEEDED';
  if (status === 'TIMED_OUT' || status === 'ABORTED') return status;
  if (status === 'RUNNING' || status === 'PENDING_REDRIVE') return 'RUNNING';
  return (failState && OUTCOME_BY_FAIL_STATE[failState]) || 'FAILED';
}

interface FollowResult {
  outcome: Outcome;
  described: DescribeExecutionCommandOutput;
  lastState?: DeploymentState;
}

/** Reads an execution's history from where it left off. */
class HistoryReader {
  private pageToken?: string;
  private lastId = 0;

  public constructor(
    private readonly sfn: SFNClient,
    private readonly executionArn: string,
  ) {}

  /** The events since the last call. */
  public async next(): Promise<HistoryEvent[]> {
    const fresh: HistoryEvent[] = [];
    for (;;) {
      const page = await this.sfn.send(new GetExecutionHistoryCommand({ executionArn: this.executionArn, maxResults: 1000, nextToken: this.pageToken, includeExecutionData: true }));
      for (const event of page.events ?? []) {
        const id = event.id ?? 0;
        if (id > this.lastId) {
          fresh.push(event);
          this.lastId = id;
        }
      }
      // The last page is read again next time: new events are appended to it.
      if (!page.nextToken) return fresh;
      this.pageToken = page.nextToken;
    }
  }
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Turns history events into lines, and remembers what the outcome needs. */
class ProgressView {
  public lastState?: DeploymentState;
  public failState?: string;
  /** The Lambda a failing step ran (its log group is /aws/lambda/<name>). */
  public failedFunction?: string;
  private startedAt?: number;
  private current?: { name: string; since: number };
  private readonly lastSummary = new Map<string, string>();
  private lastScheduled?: string;
  private failedState?: string;
  private ticks = 0;

  public constructor(private readonly context: CliContext) {}

  public add(events: HistoryEvent[]): void {
    for (const event of events) this.handle(event);
  }

  private elapsed(at: Date | undefined): string {
    const time = at?.getTime() ?? this.startedAt ?? 0;
    return `+${formatDuration(time - (this.startedAt ?? time))}`.padEnd(8);
  }

  private print(at: Date | undefined, phase: string, text: string): void {
    this.context.out.line(`  ${this.elapsed(at)} ${phase.padEnd(15)} ${text}`.trimEnd());
  }

  private handle(event: HistoryEvent): void {
    const at = event.timestamp;
    if (event.type === 'ExecutionStarted') this.startedAt = at?.getTime();
    const entered = event.stateEnteredEventDetails;
    if (entered?.name && event.type?.endsWith('StateEntered')) {
      this.current = { name: entered.name, since: at?.getTime() ?? 0 };
      if (event.type === 'FailStateEntered') this.failState = entered.name;
      this.lastState = parseState(entered.input) ?? this.lastState;
    }
    if (event.type === 'LambdaFunctionScheduled' || event.type === 'TaskScheduled') {
      const name = this.current?.name ?? '';
      if (this.failedState === name) this.print(at, phaseOf(name), '↻ retried after a transient error');
      this.failedState = undefined;
      this.lastScheduled = event.lambdaFunctionScheduledEventDetails?.resource;
    }
    const failure = event.lambdaFunctionFailedEventDetails ?? event.taskFailedEventDetails ?? event.lambdaFunctionTimedOutEventDetails;
    if (failure && this.current) {
      this.failedState = this.current.name;
      // A Lambda ARN in AWS (arn:aws:lambda:region:account:function:name); the state's name locally.
      this.failedFunction = this.lastScheduled?.startsWith('arn:') ? this.lastScheduled.split(':')[6] : undefined;
      this.print(at, phaseOf(this.current.name), `✗ ${failure.error ?? 'error'}: ${causeMessage(failure.cause)}`);
    }
    const exited = event.stateExitedEventDetails;
    if (event.type === 'TaskStateExited' && exited?.name) {
      const state = parseState(exited.output);
      this.lastState = state ?? this.lastState;
      const wasFailure = this.failedState === exited.name;
      this.failedState = undefined;
      if (wasFailure || isQuietStep(exited.name)) return;
      const summary = describeStep(exited.name, state);
      if (isPollingStep(exited.name) && this.lastSummary.get(exited.name) === summary) return;
      this.lastSummary.set(exited.name, summary);
      this.print(at, phaseOf(exited.name), summary || exited.name);
    }
  }

  /** The live line on a terminal: phase, what it last saw, time so far. */
  public tick(now: Date): void {
    if (!this.current) return;
    this.ticks += 1;
    const phase = phaseOf(this.current.name);
    const seen = [...this.lastSummary.entries()].filter(([name]) => phaseOf(name) === phase).pop()?.[1];
    const since = this.startedAt === undefined ? '' : ` · ${formatDuration(now.getTime() - this.startedAt)}`;
    this.context.out.status(`${SPINNER[this.ticks % SPINNER.length]} ${phase}${seen ? ` · ${seen}` : ''}${since}`);
  }
}

function targetLabel(state: DeploymentState | undefined): string {
  const names = state?.deployment.changes.map((c) => c.target.name) ?? [];
  return names.length > 0 ? names.join(' and ') : 'the target';
}

/** The closing lines: outcome, and for failures where to look. */
async function printOutcome(context: CliContext, result: FollowResult, view: ProgressView): Promise<void> {
  const { out } = context;
  const { described, outcome, lastState } = result;
  const took = described.startDate && described.stopDate ? ` in ${formatDuration(described.stopDate.getTime() - described.startDate.getTime())}` : '';
  const reason = `${described.error ?? ''}${described.cause ? `: ${causeMessage(described.cause)}` : ''}`;
  switch (outcome) {
    case 'SUCCEEDED':
      out.line(`✔ SUCCEEDED${took} — ${describeSuccess(lastState)}`);
      return;
    case 'ROLLED_BACK':
      out.line(`✘ ${outcomeText('ROLLED_BACK')}${took} — ${reason}`);
      out.line(`  ${describeRolledBack(lastState)}: the failed image is not running.`);
      break;
    case 'ROLLBACK_FAILED':
      out.line(`✘ ${outcomeText('ROLLBACK_FAILED')}${took} — ${reason}`);
      out.line(`  ${targetLabel(lastState)} may be on neither image: a person must look now.`);
      break;
    case 'SKIPPED':
      out.line(`⏭ ${outcomeText('SKIPPED')} — ${described.cause ?? 'not approved'}`);
      out.line(`  ${targetLabel(lastState)} was not changed.`);
      return;
    case 'REJECTED':
      out.line(`✘ REJECTED — ${reason}`);
      out.line('  The input was refused before anything changed.');
      return;
    case 'FAILED':
      out.line(`✘ ${outcomeText('FAILED')}${took} — ${reason}`);
      out.line(`  It failed before ${targetLabel(lastState)} changed: it still runs what it ran.`);
      break;
    default:
      out.line(`✘ ${outcome}${took}${reason ? ` — ${reason}` : ''}`);
  }
  const region = await context.region();
  const url = consoleUrl(context, described.executionArn ?? '', region);
  out.line('  where to look:');
  const history = context.local ? '(--local: kept in this process only; the lines above are all of it)' : (url ?? `npx ecr-deployer watch ${described.name ?? ''}`);
  out.line(`    execution history  ${history}`);
  if (view.failedFunction) out.line(`    step logs          CloudWatch log group /aws/lambda/${view.failedFunction}`);
  const ecs = lastState?.deployment.changes[0]?.target.ecs;
  if (ecs) out.line(`    service events     aws ecs describe-services --cluster ${ecs.cluster} --services ${ecs.service} --query 'services[0].events[:10]'`);
  out.line(`    deployment events  EventBridge "Deployment State Change", deploymentId ${described.name ?? ''} (and Slack, if configured)`);
}

/**
 * Follows an execution to its end and prints its progress and outcome.
 *
 * @example
 * const result = await followExecution(context, executionArn);
 * process.exitCode = result.outcome === 'SUCCEEDED' ? 0 : 1;
 */
async function followExecution(context: CliContext, executionArn: string, limit: { timeoutSeconds?: number; watchHint?: string } = {}): Promise<FollowResult> {
  const { sfn } = context.clients;
  const reader = new HistoryReader(sfn, executionArn);
  const view = new ProgressView(context);
  const pollMs = context.deps.pollMs ?? (context.local ? 20 : 2000);
  const giveUpAt = limit.timeoutSeconds === undefined ? undefined : context.deps.now().getTime() + limit.timeoutSeconds * 1000;
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    view.add(await reader.next());
    if (described.status !== 'RUNNING' && described.status !== 'PENDING_REDRIVE') {
      view.add(await reader.next());
      context.out.clearStatus();
      // A finished execution's output is its final state; a failed one has none, its last state's input stands in.
      const result: FollowResult = { outcome: outcomeOf(described.status, view.failState), described, lastState: parseState(described.output) ?? view.lastState };
      await printOutcome(context, result, view);
      return result;
    }
    if (giveUpAt !== undefined && context.deps.now().getTime() >= giveUpAt) {
      context.out.clearStatus();
      context.out.line(`… still ${described.status} after ${limit.timeoutSeconds} s (--timeout): it goes on${limit.watchHint ? `; follow it again with ${limit.watchHint}` : ''}`);
      return { outcome: 'RUNNING', described, lastState: view.lastState };
    }
    view.tick(context.deps.now());
    await context.deps.sleep(pollMs);
  }
}

export { followExecution, outcomeOf, HistoryReader };
export type { FollowResult, Outcome };
