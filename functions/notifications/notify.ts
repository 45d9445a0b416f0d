import { IdempotencyAlreadyInProgressError, IdempotencyPersistenceLayerError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { Context } from 'aws-lambda';
import type { DeploymentEventDetail } from '../events/deployment-events';
import { withTransientErrorsNamed } from '../shared/aws-errors';
import { logger } from '../shared/logger';
import type * as SlackBot from './bot';
import type { PostedMessage } from './bot';
import { SlackNotificationRejected, SlackThreadPending } from './errors';
import { renderSlackMessage, renderThreadReply } from './render';
import { SLACK_TIME_BUDGET_MS, systemClock, withSlackRetries, type RetryClock } from './retry';
import { forgetSlackSecrets, loadSlackSecret } from './secrets';
import { resolveSlackSettings, shouldNotify, type BotDestination, type NotificationsSource, type SlackDestination } from './settings';
import { advanceThread, claimThread, getThread, notificationIdempotency, release, saveThread, type Claim, type NotificationKey } from './store';
import { postToWebhook } from './webhook';

/**
 * One deployment event → at most one Slack message. The notifier is an EventBridge
 * consumer like any other: nothing in the state machine waits for it or knows it.
 */

type Via = 'webhook' | 'new-message' | 'thread-reply';

type NotifyOutcome =
  | { outcome: 'not-configured' }
  | { outcome: 'filtered' }
  | { outcome: 'duplicate' }
  | { outcome: 'sent'; via: Via };

interface NotifyOptions {
  /** deployments.yml, validated. */
  config: NotificationsSource;
  /** The invocation's: a message is held as in progress until its deadline (store.ts). */
  lambdaContext: Context;
  /** Time and waiting; tests pass one that does not wait. */
  clock?: RetryClock;
}

/** What a notification's record keeps (store.ts): the key, readable, and how sending ended. */
type NotificationRecord = NotificationKey & ({ outcome: 'sent'; via: Via } | { outcome: 'rejected'; reason: string });

/** How this invocation's own attempt ended; none when another delivery's record answered. */
type Attempt = { sent: Via } | { rejected: SlackNotificationRejected } | { failed: unknown };

/** How often a second status looks for the first message another invocation is posting. */
const THREAD_POLL_MS = 500;

const errorSummary = (error: unknown): { name: string; message: string } =>
  error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };

function warnCouldNot(what: string, detail: DeploymentEventDetail, error: unknown): void {
  logger.warn(`could not ${what}`, { target: detail.target, deploymentId: detail.deploymentId, status: detail.status, error: errorSummary(error) });
}

/** Bookkeeping must not turn a delivered message into a failed (and so repeated) one. */
async function bestEffort(what: string, detail: DeploymentEventDetail, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    warnCouldNot(what, detail, error);
  }
}

/** The Slack web client (and what it brings) loads only where a bot token is configured, at its first message. */
const slackBot = (): typeof SlackBot => require('./bot') as typeof SlackBot;

/**
 * Bot-token mode: the deployment's first message is posted to the channel and updated
 * in place as the status changes; every later status is also a reply in its thread,
 * so the channel shows one message per deployment.
 */
async function notifyWithBot(token: string, destination: BotDestination, detail: DeploymentEventDetail, clock: RetryClock, deadline: number): Promise<'new-message' | 'thread-reply'> {
  const { postMessage, updateMessage } = slackBot();
  const retrying = { clock, deadline };
  for (;;) {
    const thread = await getThread(detail.deploymentId);
    if (thread?.state === 'posted' && thread.channel && thread.ts) {
      const first: PostedMessage = { channel: thread.channel, ts: thread.ts };
      await withSlackRetries('chat.postMessage (thread reply)', () => postMessage(token, first.channel, renderThreadReply(detail), first.ts), retrying);
      // The reply is the notification; bringing the first message up to date is a courtesy,
      // and only for an event later than the one it shows (events may arrive out of order).
      await bestEffort('update the deployment\'s first Slack message', detail, async () => {
        if (await advanceThread(detail.deploymentId, detail.at)) {
          await withSlackRetries('chat.update', () => updateMessage(token, first, renderSlackMessage(detail)), retrying);
        }
      });
      return 'thread-reply';
    }
    if (!thread || (thread.leaseUntil !== undefined && thread.leaseUntil < clock.now())) {
      const held = await claimThread(detail.deploymentId, clock.now());
      if (held) return postFirstMessage(token, destination, detail, held, retrying);
      continue; // another invocation claimed it in between: look again
    }
    // Another invocation is posting the first message: wait for its ts, within the budget.
    if (clock.now() + THREAD_POLL_MS > deadline) {
      throw new SlackThreadPending(`the first Slack message of deployment ${detail.deploymentId} is being posted by another invocation; retrying later`);
    }
    await clock.sleep(THREAD_POLL_MS);
  }
}

async function postFirstMessage(token: string, destination: BotDestination, detail: DeploymentEventDetail, held: Claim, retrying: { clock: RetryClock; deadline: number }): Promise<'new-message'> {
  const { postMessage } = slackBot();
  let posted: PostedMessage;
  try {
    posted = await withSlackRetries('chat.postMessage', () => postMessage(token, destination.channel, renderSlackMessage(detail)), retrying);
  } catch (error) {
    await bestEffort('release the thread claim', detail, () => release(held));
    throw error;
  }
  await saveThread(held, { ...posted, shownAt: detail.at }, retrying.clock.now());
  return 'new-message';
}

/** Sends the message, in the destination's mode, within the time budget. */
async function send(secret: string, destination: SlackDestination, detail: DeploymentEventDetail, clock: RetryClock, deadline: number): Promise<Via> {
  if (destination.mode === 'bot') return notifyWithBot(secret, destination, detail, clock, deadline);
  await withSlackRetries('incoming webhook', () => postToWebhook(secret, renderSlackMessage(detail)), { clock, deadline });
  return 'webhook';
}

/**
 * Tells Slack about one deployment event, as the event's target is configured to
 * (deployments.yml `notifications.slack`, per target overrides): filtered by status,
 * deduplicated on deployment id + status (Powertools Idempotency, store.ts), retried
 * within a bounded time.
 *
 * @throws SlackNotificationRejected (SlackWebhookRejected, SlackApiRejected) when Slack refuses the message for good.
 * @throws SlackConfigurationError, ConfigError when the settings or the secret cannot work.
 * @throws SlackUnavailable, SlackThreadPending, AwsTransientError when a later attempt may succeed.
 * @example await notifySlack(event.detail, { config: loadDeploymentsFile(), lambdaContext: context }) // { outcome: 'sent', via: 'webhook' }
 */
async function notifySlack(detail: DeploymentEventDetail, options: NotifyOptions): Promise<NotifyOutcome> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.now() + SLACK_TIME_BUDGET_MS;
  const destination = resolveSlackSettings(options.config, detail.target);
  if (!destination) return { outcome: 'not-configured' };
  if (!shouldNotify(destination, detail.status)) return { outcome: 'filtered' };

  const secret = await loadSlackSecret(destination.secret, destination.mode);
  const key: NotificationKey = { deploymentId: detail.deploymentId, status: detail.status };
  // Set only when this invocation tries to send: a duplicate gets the earlier delivery's record back instead.
  const own: { attempt?: Attempt } = {};
  // Powertools keys the record on the first argument.
  const sendOnce = makeIdempotent(async (_key: NotificationKey): Promise<NotificationRecord> => {
    try {
      const via = await send(secret, destination, detail, clock, deadline);
      own.attempt = { sent: via };
      return { ...key, outcome: 'sent', via };
    } catch (error) {
      // Thrown, the record is deleted and a retry sends; returned, a rejection is kept and not tried again.
      if (!(error instanceof SlackNotificationRejected)) {
        own.attempt = { failed: error };
        throw error;
      }
      // A secret rotated since this environment cached it is read again next time.
      forgetSlackSecrets();
      own.attempt = { rejected: error };
      return { ...key, outcome: 'rejected', reason: `${error.name}: ${error.message}` };
    }
  }, notificationIdempotency(options.lambdaContext));

  try {
    await sendOnce(key);
  } catch (error) {
    if (error instanceof IdempotencyAlreadyInProgressError) return { outcome: 'duplicate' };
    if (!(error instanceof IdempotencyPersistenceLayerError)) throw error;
    // Nothing was sent: the table could not be read or written, named as every other AWS failure is.
    if (!own.attempt) return withTransientErrorsNamed('use the notifications table', () => Promise.reject(error.cause));
    // As bestEffort: recording must not turn a delivered message into a failed (and repeated) one, nor hide why sending failed.
    warnCouldNot('record the Slack notification', detail, error.cause);
  }
  const attempt = own.attempt;
  if (!attempt) return { outcome: 'duplicate' };
  if ('failed' in attempt) throw attempt.failed;
  if ('rejected' in attempt) throw attempt.rejected;
  return { outcome: 'sent', via: attempt.sent };
}

export { notifySlack, THREAD_POLL_MS };
export type { NotifyOutcome, NotifyOptions };
