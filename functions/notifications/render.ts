import type { DeploymentEventDetail, DeploymentStatus } from '../events/deployment-events';
import { isOutcomeStatus, outcomeText } from '../events/statuses';

/**
 * Slack messages for deployment events, as pure functions of the event: Block Kit
 * blocks for the channel and a plain `text` fallback for notifications and clients
 * that cannot show blocks. Read by on-call engineers deciding in seconds whether to
 * act: status first, then what moved where, then why it failed.
 */

interface TextObject {
  type: 'mrkdwn' | 'plain_text';
  text: string;
  emoji?: boolean;
}

/** The Block Kit blocks these messages use (a subset of Slack's KnownBlock). */
type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji?: boolean } }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] };

interface SlackMessage {
  /** Notification text, and what clients without blocks show. */
  text: string;
  blocks: SlackBlock[];
}

interface StatusStyle {
  emoji: string;
  headline: (target: string, environment: string) => string;
}

const STATUS_STYLE: Record<DeploymentStatus, StatusStyle> = {
  AWAITING_APPROVAL: { emoji: '⏸️', headline: (t, e) => `${t} on ${e}: waiting for approval` },
  STARTED: { emoji: '🚀', headline: (t, e) => `Deploying ${t} to ${e}` },
  SUCCEEDED: { emoji: '✅', headline: (t, e) => `Deployed ${t} to ${e}` },
  FAILED: { emoji: '❌', headline: (t, e) => `${t} on ${e}: deployment failed, nothing changed` },
  ROLLING_BACK: { emoji: '⏪', headline: (t, e) => `${t} on ${e}: deployment failed, rolling back` },
  ROLLED_BACK: { emoji: '↩️', headline: (t, e) => `${t} on ${e}: rolled back` },
  ROLLBACK_FAILED: { emoji: '🚨', headline: (t, e) => `${t} on ${e}: rollback failed, a person must look` },
  SKIPPED: { emoji: '⏭️', headline: (t, e) => `${t} on ${e}: deployment skipped` },
  DRIFT_DETECTED: { emoji: '🧭', headline: (t, e) => `${t} on ${e}: changed outside ecr-deployer` },
};

/** The status in the words of README, the CLI and `npm start`: `ROLLED BACK (failed, then restored)`. */
function statusText(status: DeploymentStatus): string {
  return isOutcomeStatus(status) ? outcomeText(status) : status.replace(/_/g, ' ');
}

/** Block Kit limits (api.slack.com/reference/block-kit/blocks), with room to spare. */
const HEADER_MAX = 150;
const REASON_MAX = 2500;
const TEXT_REASON_MAX = 200;
const SHORT_DIGEST_LENGTH = 12;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** mrkdwn gives `&`, `<` and `>` meaning; text from events is shown as written. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inline code, with backticks (which would end it) made harmless. */
const code = (text: string): string => `\`${escapeMrkdwn(text).replace(/`/g, 'ˋ')}\``;

/** `sha256:7f5b2640fe6f…` → `7f5b2640fe6f`. */
function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, SHORT_DIGEST_LENGTH);
}

/**
 * A revision as people name it: `web:8` for an ECS task definition (and a Batch job
 * definition), `name:7` for a Lambda function version.
 *
 * @example revisionLabel('arn:aws:ecs:us-east-1:123456789012:task-definition/web:8') // 'web:8'
 */
function revisionLabel(arn: string): string {
  const slash = arn.lastIndexOf('/');
  if (slash >= 0) return arn.slice(slash + 1);
  const lambda = /:function:(.+)$/.exec(arn);
  return lambda?.[1] ?? arn;
}

/**
 * What moved, from the event's `previous` (before this deployment) and `current`
 * (what runs, or is being moved to, as of the event). Undefined when neither is known.
 *
 * @example describeRevisions({ status: 'SUCCEEDED', previous: '…/web:7', current: '…/web:8' }) // 'web:7 → web:8'
 */
function describeRevisions(detail: Pick<DeploymentEventDetail, 'status' | 'previous' | 'current'>): string | undefined {
  const previous = detail.previous ? revisionLabel(detail.previous) : undefined;
  const current = detail.current ? revisionLabel(detail.current) : undefined;
  if (previous && current && previous !== current) {
    // Rolling back moves the other way: from the new revision to the recorded one.
    return detail.status === 'ROLLING_BACK' ? `${current} → ${previous}` : `${previous} → ${current}`;
  }
  if (previous && current) return detail.status === 'ROLLED_BACK' ? `back on ${previous}` : `stays on ${previous}`;
  if (previous) return detail.status === 'ROLLBACK_FAILED' ? `was ${previous}, now unknown` : `was ${previous}`;
  if (current) return `→ ${current}`;
  return undefined;
}

/**
 * `45 ms`, `12s`, `2m 36s`, `1h 02m`.
 *
 * @example formatDuration(156_000) // '2m 36s'
 */
function formatDuration(ms: number): string {
  const clamped = Math.max(0, Math.round(ms));
  if (clamped < 1000) return `${clamped} ms`;
  const seconds = Math.round(clamped / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** From `startedAt` to `at`; undefined if either is not a time. */
function deploymentDuration(detail: Pick<DeploymentEventDetail, 'startedAt' | 'at'>): string | undefined {
  const ms = Date.parse(detail.at) - Date.parse(detail.startedAt);
  return Number.isNaN(ms) ? undefined : formatDuration(ms);
}

/** `2026-11-23 10:15:05 UTC`. */
function formatTime(iso: string): string {
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? iso : `${time.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const CONSOLE_HOSTS: Record<string, (region: string) => string> = {
  'aws': (region) => `${region}.console.aws.amazon.com`,
  'aws-cn': () => 'console.amazonaws.cn',
  'aws-us-gov': () => 'console.amazonaws-us-gov.com',
};

/**
 * The execution's page in the Step Functions console, or undefined for something
 * that is not an execution ARN.
 *
 * @example executionConsoleUrl('arn:aws:states:eu-west-1:123456789012:execution:deploy:web-7f5b')
 * // 'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:deploy:web-7f5b'
 */
function executionConsoleUrl(executionArn: string): string | undefined {
  const [arn, partition = '', service, region = '', , resourceType] = executionArn.split(':');
  const host = CONSOLE_HOSTS[partition];
  if (arn !== 'arn' || service !== 'states' || resourceType !== 'execution' || !region || !host) return undefined;
  return `https://${host(region)}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** `stream-ml-service:v1.4.0 (7f5b2640fe6f)`; `repo@7f5b2640fe6f` without a tag. */
function imageText(image: DeploymentEventDetail['image']): string {
  return image.tag ? `${image.repository}:${image.tag} (${shortDigest(image.digest)})` : `${image.repository}@${shortDigest(image.digest)}`;
}

function headline(detail: DeploymentEventDetail): string {
  const style = STATUS_STYLE[detail.status];
  return `${style.emoji} ${style.headline(detail.target, detail.environment)}`;
}

/** Statuses that mean something failed: their reason is the story. */
const FAILURE_STATUSES: ReadonlySet<DeploymentStatus> = new Set(['FAILED', 'ROLLING_BACK', 'ROLLED_BACK', 'ROLLBACK_FAILED']);

/** How long it took, for the statuses where that means something (not for one starting or a push that never ran). */
function elapsed(detail: DeploymentEventDetail): string | undefined {
  return detail.status === 'STARTED' || detail.status === 'SKIPPED' || detail.status === 'AWAITING_APPROVAL' || detail.status === 'DRIFT_DETECTED' ? undefined : deploymentDuration(detail);
}

/** Who asked: a push, a person, a rollback; undefined for events that do not say. */
function triggerText(detail: DeploymentEventDetail): string | undefined {
  if (detail.fastRollback === 'window') return 'fast rollback to a recent image (rollbackWindow): no canary, no bake';
  if (detail.rollbackOf) return `${detail.fastRollback ? 'fast rollback' : 'rollback'} of ${detail.rollbackOf}${detail.fastRollback ? ': no canary, no bake' : ''}`;
  if (!detail.trigger) return undefined;
  if (detail.trigger.kind === 'ecr-push') return 'ECR push';
  if (detail.trigger.kind === 'reconcile') return 'reconciler (a push EventBridge did not deliver)';
  if (detail.trigger.kind === 'drift') return 'reconciler (putting the deployed image back after drift)';
  if (detail.trigger.kind === 'promotion') return detail.promotedFrom ? `automatic promotion from ${detail.promotedFrom.target}` : 'automatic promotion';
  return detail.trigger.requestedBy ? `by hand (${detail.trigger.requestedBy})` : 'by hand';
}

/** The plain-text fallback: one line with everything an on-call engineer needs first. */
function fallbackText(detail: DeploymentEventDetail): string {
  const parts = [imageText(detail.image)];
  const revisions = describeRevisions(detail);
  if (revisions) parts.push(revisions);
  const duration = elapsed(detail);
  if (duration) parts.push(`after ${duration}`);
  let text = `${headline(detail)} — ${parts.join(', ')}`;
  if (detail.reason) text += ` — ${FAILURE_STATUSES.has(detail.status) ? `failed in ${detail.phase}: ` : ''}${truncate(detail.reason, TEXT_REASON_MAX)}`;
  if (detail.cleanup) text += ` — clean-up left to do: ${truncate(detail.cleanup, TEXT_REASON_MAX)}`;
  return text;
}

const field = (label: string, value: string): TextObject => ({ type: 'mrkdwn', text: `*${label}*\n${value}` });

/** The exact commands that decide a deployment waiting for approval. */
function approvalBlock(detail: DeploymentEventDetail): SlackBlock | undefined {
  if (detail.status !== 'AWAITING_APPROVAL') return undefined;
  const id = detail.deploymentId.replace(/[^A-Za-z0-9_-]/g, '');
  const until = /until (\S+?)\./.exec(detail.reason ?? '')?.[1];
  const commands = [`npx ecr-deployer approve ${id}`, `npx ecr-deployer reject ${id} --reason "…"`].join('\n');
  return { type: 'section', text: { type: 'mrkdwn', text: `:raised_hand: *Approve or reject*${until ? ` (before ${escapeMrkdwn(formatTime(until))}, else it is skipped)` : ''}\n\`\`\`${commands}\`\`\`` } };
}

/** Drift: what differs from what the deployer left, one line each, and what the reconciler does about it. */
function driftBlock(detail: DeploymentEventDetail): SlackBlock | undefined {
  const { drift } = detail;
  if (!drift) return undefined;
  const lines = drift.differences.map((difference) => `• ${escapeMrkdwn(truncate(difference, REASON_MAX))}`);
  const action = drift.action === 'redeploy' ? 'Putting the deployed image back (onDrift: redeploy).' : `Reported only (onDrift: report). To put the deployed image back: \`npx ecr-deployer deploy ${detail.target} --digest ${detail.image.digest}\``;
  return { type: 'section', text: { type: 'mrkdwn', text: `:compass: *What differs* (first seen ${escapeMrkdwn(formatTime(drift.since))}; left by ${code(drift.deployedBy)})\n${lines.join('\n')}\n${action}` } };
}

/** Scheduled tasks after SUCCEEDED: each rule target moved to the new revision, and by name what could not follow. */
function scheduledTasksBlock(detail: DeploymentEventDetail): SlackBlock | undefined {
  const outcome = detail.scheduledTasks;
  if (!outcome || (outcome.repointed.length === 0 && outcome.failed.length === 0)) return undefined;
  const lines = [
    ...outcome.repointed.map((task) => `• ${code(`${task.rule}/${task.targetId}`)} → ${code(task.to)}${task.from ? ` (was ${code(task.from)})` : ''}`),
    ...outcome.failed.map((problem) => `• :warning: ${code(problem.error)} ${escapeMrkdwn(truncate(problem.message, REASON_MAX))}`),
    ...(outcome.omitted ? [`• and ${outcome.omitted} more`] : []),
  ];
  return { type: 'section', text: { type: 'mrkdwn', text: `:alarm_clock: *Scheduled tasks*\n${lines.join('\n')}` } };
}

/** Alarms already in ALARM when the deployment began: reported, not blamed on the new image. */
function preexistingAlarmsBlock(detail: DeploymentEventDetail): SlackBlock | undefined {
  const preexisting = detail.alarms?.alreadyInAlarm ?? [];
  if (preexisting.length === 0) return undefined;
  const lines = preexisting.map((alarm) => `• ${code(alarm.name)}${alarm.since ? ` (since ${escapeMrkdwn(formatTime(alarm.since))})` : ''}: ${escapeMrkdwn(truncate(alarm.reason, REASON_MAX))}`);
  return { type: 'section', text: { type: 'mrkdwn', text: `:rotating_light: *Already in ALARM before this deployment* (not blamed on the new image)\n${lines.join('\n')}` } };
}

function reasonBlock(detail: DeploymentEventDetail): SlackBlock | undefined {
  if (!detail.reason || detail.status === 'AWAITING_APPROVAL' || detail.drift) return undefined;
  const label = FAILURE_STATUSES.has(detail.status) ? `*Failed in* ${code(detail.phase)}` : '*Reason*';
  const reason = escapeMrkdwn(truncate(detail.reason, REASON_MAX)).replace(/```/g, "'''");
  return { type: 'section', text: { type: 'mrkdwn', text: `${label}\n\`\`\`${reason}\`\`\`` } };
}

/** What clean-up after the failure did not manage (an orphan revision, a test job still running), and the command that finishes it. */
function cleanupBlock(detail: DeploymentEventDetail): SlackBlock | undefined {
  if (!detail.cleanup) return undefined;
  const cleanup = escapeMrkdwn(truncate(detail.cleanup, REASON_MAX)).replace(/```/g, "'''");
  return { type: 'section', text: { type: 'mrkdwn', text: `:broom: *Clean-up left to do*\n\`\`\`${cleanup}\`\`\`` } };
}

function contextBlock(detail: DeploymentEventDetail): SlackBlock {
  const url = detail.executionArn ? executionConsoleUrl(detail.executionArn) : undefined;
  const parts = [url ? `<${url}|Step Functions execution>` : undefined, `deployment ${code(detail.deploymentId)}`, formatTime(detail.at)].filter((part): part is string => Boolean(part));
  return { type: 'context', elements: [{ type: 'mrkdwn', text: parts.join(' · ') }] };
}

/**
 * The message for one deployment event: header with the status, a field grid
 * (target, environment, image tag and short digest, old → new revision, status,
 * duration), the failing phase and reason, and a link to the execution.
 *
 * @example renderSlackMessage(event.detail) // { text: '✅ Deployed web to prod — web:v2 (7f5b2640fe6f), web:7 → web:8, after 2m 36s', blocks: [...] }
 */
function renderSlackMessage(detail: DeploymentEventDetail): SlackMessage {
  const { image } = detail;
  const fields = [
    field('Target', `${code(detail.target)} (${escapeMrkdwn(detail.kind)})`),
    field('Environment', escapeMrkdwn(detail.environment)),
    field('Image', image.tag ? `${code(`${image.repository}:${image.tag}`)} @ ${code(shortDigest(image.digest))}` : `${code(image.repository)} @ ${code(shortDigest(image.digest))}`),
  ];
  const revisions = describeRevisions(detail);
  if (revisions) fields.push(field('Revision', code(revisions)));
  fields.push(field('Status', `${STATUS_STYLE[detail.status].emoji} ${statusText(detail.status)}`));
  const duration = elapsed(detail);
  if (detail.status === 'STARTED' || detail.status === 'AWAITING_APPROVAL') fields.push(field('Started', formatTime(detail.startedAt)));
  else if (detail.status === 'SKIPPED') fields.push(field('Pushed', formatTime(detail.startedAt)));
  else if (detail.status === 'DRIFT_DETECTED') fields.push(field('Since', formatTime(detail.startedAt)));
  else if (duration) fields.push(field(detail.status === 'ROLLING_BACK' ? 'Running for' : 'Duration', duration));
  const trigger = triggerText(detail);
  if (trigger) fields.push(field('Trigger', escapeMrkdwn(trigger)));
  if (detail.supersededBy) fields.push(field('Superseded by', code(shortDigest(detail.supersededBy))));
  if (detail.approvedBy) fields.push(field('Approved by', `${escapeMrkdwn(detail.approvedBy.by)} at ${formatTime(detail.approvedBy.at)}`));
  if (detail.promotedFrom) fields.push(field('Promoted from', `${code(detail.promotedFrom.target)} (tested by ${code(detail.promotedFrom.deploymentId)})`));

  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(headline(detail), HEADER_MAX), emoji: true } },
    { type: 'section', fields },
  ];
  for (const block of [approvalBlock(detail), driftBlock(detail), reasonBlock(detail), cleanupBlock(detail), scheduledTasksBlock(detail), preexistingAlarmsBlock(detail)]) if (block) blocks.push(block);
  blocks.push(contextBlock(detail));
  return { text: fallbackText(detail), blocks };
}

/**
 * Bot-token mode: the reply posted in the deployment's thread for a later status
 * (the first message, updated in place, carries the full card).
 */
function renderThreadReply(detail: DeploymentEventDetail): SlackMessage {
  const parts = [`${STATUS_STYLE[detail.status].emoji} *${detail.status}*`];
  const revisions = describeRevisions(detail);
  if (revisions) parts.push(code(revisions));
  const duration = elapsed(detail);
  if (duration) parts.push(`after ${duration}`);
  const blocks: SlackBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: parts.join(' · ') } }];
  for (const block of [approvalBlock(detail), driftBlock(detail), reasonBlock(detail), cleanupBlock(detail), scheduledTasksBlock(detail), preexistingAlarmsBlock(detail)]) if (block) blocks.push(block);
  return { text: fallbackText(detail), blocks };
}

/** mrkdwn → plain text for a terminal: links as `label <url>`, no markup, entities decoded. */
function plainText(mrkdwn: string): string {
  return mrkdwn
    .replace(/<([^|>]+)\|([^>]+)>/g, '$2 <$1>')
    .replace(/```/g, '')
    .replace(/[*`]/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * A message as indented lines for a terminal (`npm start`): the text fallback, then
 * each block on its own line(s), fields as `Label value` joined with ` · ` (the header
 * only when the text fallback does not already start with it).
 */
function renderMessageForTerminal(message: SlackMessage, indent = '  '): string[] {
  const lines = [`${indent}Slack: ${message.text}`];
  const bar = `${indent}   │ `;
  for (const block of message.blocks) {
    if (block.type === 'header' && !message.text.startsWith(block.text.text)) lines.push(`${bar}${block.text.text}`);
    if (block.type === 'context') lines.push(`${bar}${block.elements.map((element) => plainText(element.text)).join(' ')}`);
    if (block.type === 'section' && block.fields) lines.push(`${bar}${block.fields.map((f) => plainText(f.text).replace('\n', ' ')).join(' · ')}`);
    // `*Failed in* \`phase\`` over the reason becomes one line: `Failed in phase: reason`.
    if (block.type === 'section' && block.text) lines.push(...plainText(block.text.text.replace('\n', ': ')).split('\n').map((line) => `${bar}${line}`));
  }
  return lines;
}

export {
  STATUS_STYLE,
  renderSlackMessage,
  renderThreadReply,
  renderMessageForTerminal,
  executionConsoleUrl,
  revisionLabel,
  describeRevisions,
  formatDuration,
  shortDigest,
  escapeMrkdwn,
};
export type { SlackMessage, SlackBlock, TextObject };
