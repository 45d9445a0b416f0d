import type { DeploymentEventDetail } from '../events/deployment-events';
import { logger } from '../shared/logger';
import type * as SlackBot from './bot';
import type { PostedMessage } from './bot';
import { SlackNotificationRejected, SlackThreadPending } from './errors';
import { renderSlackMessage, renderThreadReply } from './render';
import { SLACK_TIME_BUDGET_MS, systemClock, withSlackRetries, type RetryClock } from './retry';
import { forgetSlackSecrets, loadSlackSecret } from './secrets';
import { resolveSlackSettings, shouldNotify, type BotDestination, type NotificationsSource } from './settings';
import { advanceThread, claimNotification, claimThread, getThread, markRejected, markSent, release, saveThread, type Claim } from './store';
import { postToWebhook } from './webhook';

/**
 * One deployment event → at most one Slack message. The notifier is an EventBridge
 * consumer like any other: nothing in the state machine waits for it or knows it.
 */

type NotifyOutcome =
  | { outcome: 'not-configured' }
  | { outcome: 'filtered' }
  | { outcome: 'duplicate' }
  | { outcome: 'sent'; via: 'webhook' | 'new-message' | 'thread-reply' };

interface NotifyOptions {
  /** deployments.yml, validated. */
  config: NotificationsSource;
  /** Time and waiting; tests pass one that does not wait. */
  clock?: RetryClock;
}

/** How often a second status looks for the first message another invocation is posting. */
const THREAD_POLL_MS = 500;

const errorSummary = (error: unknown): { name: string; message: string } =>
  error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };

/** Bookkeeping must not turn a delivered message into a failed (and so repeated) one. */
async function bestEffort(what: string, detail: DeploymentEventDetail, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    logger.warn(`could not ${what}`, { target: detail.target, deploymentId: detail.deploymentId, status: detail.status, error: errorSummary(error) });
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

/**
 * Tells Slack about one deployment event, as the event's target is configured to
 * (deployments.yml `notifications.slack`, per target overrides): filtered by status,
 * deduplicated on deployment id + status, retried within a bounded time.
 *
 * @throws SlackNotificationRejected (SlackWebhookRejected, SlackApiRejected) when Slack refuses the message for good.
 * @throws SlackConfigurationError, ConfigError when the settings or the secret cannot work.
 * @throws SlackUnavailable, SlackThreadPending, AwsTransientError when a later attempt may succeed.
 * @example await notifySlack(event.detail, { config: loadDeploymentsFile() }) // { outcome: 'sent', via: 'webhook' }
 */
async function notifySlack(detail: DeploymentEventDetail, options: NotifyOptions): Promise<NotifyOutcome> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.now() + SLACK_TIME_BUDGET_MS;
  const destination = resolveSlackSettings(options.config, detail.target);
  if (!destination) return { outcome: 'not-configured' };
  if (!shouldNotify(destination, detail.status)) return { outcome: 'filtered' };

  const secret = await loadSlackSecret(destination.secret, destination.mode);
  const held = await claimNotification(detail.deploymentId, detail.status, clock.now());
  if (!held) return { outcome: 'duplicate' };
  try {
    let via: 'webhook' | 'new-message' | 'thread-reply';
    if (destination.mode === 'webhook') {
      await withSlackRetries('incoming webhook', () => postToWebhook(secret, renderSlackMessage(detail)), { clock, deadline });
      via = 'webhook';
    } else {
      via = await notifyWithBot(secret, destination, detail, clock, deadline);
    }
    await bestEffort('record the Slack message as sent', detail, () => markSent(held, clock.now()));
    return { outcome: 'sent', via };
  } catch (error) {
    if (error instanceof SlackNotificationRejected) {
      // A secret rotated since this environment cached it is read again next time.
      forgetSlackSecrets();
      await bestEffort('record the Slack rejection', detail, () => markRejected(held, clock.now()));
    } else {
      await bestEffort('release the notification claim', detail, () => release(held));
    }
    throw error;
  }
}

export { notifySlack, THREAD_POLL_MS };
export type { NotifyOutcome, NotifyOptions };
