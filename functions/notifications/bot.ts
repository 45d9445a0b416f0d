import { LogLevel, WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import { logger } from '../shared/logger';
import { SlackApiRejected } from './errors';
import { redact } from '../shared/redact';
import { slackAnswer } from './redact';
import type { SlackMessage } from './render';
import { SlackRetryableFailure } from './retry';
import { REQUEST_TIMEOUT_MS } from './webhook';

/**
 * Bot-token mode, on the official Web API client (`@slack/web-api`): chat.postMessage
 * and chat.update, each tried once here (its own retries and rate-limit queue off) so
 * that the notifier's bounded retries decide, as for webhooks.
 */

const SLACK_API_URL = 'https://slack.com/api/';

/**
 * Slack's Web API. SLACK_API_URL exists for the tests, which stand a server on
 * 127.0.0.1 in for slack.com; nothing deployed sets it.
 */
function slackApiUrl(): string {
  return process.env.SLACK_API_URL || SLACK_API_URL;
}

/** `ok: false` errors worth another try (docs.slack.dev, chat.postMessage "Errors"); every other one is permanent. */
const TRANSIENT_API_ERRORS = new Set(['ratelimited', 'rate_limited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** The client's own log lines go to ours at debug level, with the token removed. */
function quietLogger(token: string): SlackLogger {
  let level = LogLevel.WARN;
  const forward = (messages: unknown[]): void => logger.debug('slack web api', { detail: redact(messages.map(String).join(' '), [token]) });
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...messages: unknown[]) => forward(messages),
    error: (...messages: unknown[]) => forward(messages),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** One client per token and API URL for the life of the execution environment (its connections are reused). */
const clients = new Map<string, WebClient>();

function clientFor(token: string): WebClient {
  const url = slackApiUrl();
  const key = `${url} ${token}`;
  let client = clients.get(key);
  if (!client) {
    client = new WebClient(token, {
      slackApiUrl: url,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: REQUEST_TIMEOUT_MS,
      logger: quietLogger(token),
    });
    clients.set(key, client);
  }
  return client;
}

/** Maps the client's errors onto retry or rejection; messages carry Slack's error code, never the token. */
function classify(method: string, error: unknown, token: string): Error {
  if (error instanceof WebAPIRateLimitedError) return new SlackRetryableFailure(`Slack rate-limited ${method}`, error.retryAfter * 1000);
  if (error instanceof WebAPIPlatformError) {
    const code = slackAnswer(error.data.error, token);
    return TRANSIENT_API_ERRORS.has(error.data.error) ? new SlackRetryableFailure(`${method} failed: ${code}`) : new SlackApiRejected(`Slack refused ${method}: ${code}`);
  }
  if (error instanceof WebAPIHTTPError) {
    const answer = `HTTP ${error.statusCode} ${slackAnswer(error.body, token)}`.trim();
    return error.statusCode >= 500 ? new SlackRetryableFailure(`${method} failed (${answer})`) : new SlackApiRejected(`Slack refused ${method} (${answer})`);
  }
  if (error instanceof WebAPIRequestError) return new SlackRetryableFailure(`${method}: Slack did not answer (${redact(`${error.original.name}: ${error.original.message}`, [token])})`);
  return error instanceof Error ? error : new Error(String(error));
}

interface PostedMessage {
  /** The channel's id (chat.update needs the id, even when the settings name the channel). */
  channel: string;
  ts: string;
}

/**
 * chat.postMessage, once; in a thread when `threadTs` is given.
 *
 * @throws SlackApiRejected, SlackRetryableFailure
 */
async function postMessage(token: string, channel: string, message: SlackMessage, threadTs?: string): Promise<PostedMessage> {
  try {
    const result = await clientFor(token).chat.postMessage({
      channel,
      text: message.text,
      blocks: message.blocks,
      unfurl_links: false,
      unfurl_media: false,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    if (!result.ts || !result.channel) throw new SlackApiRejected('Slack accepted chat.postMessage but returned no channel or ts');
    return { channel: result.channel, ts: result.ts };
  } catch (error) {
    throw classify('chat.postMessage', error, token);
  }
}

/**
 * chat.update of a message posted before, once.
 *
 * @throws SlackApiRejected, SlackRetryableFailure
 */
async function updateMessage(token: string, posted: PostedMessage, message: SlackMessage): Promise<void> {
  try {
    await clientFor(token).chat.update({ channel: posted.channel, ts: posted.ts, text: message.text, blocks: message.blocks });
  } catch (error) {
    throw classify('chat.update', error, token);
  }
}

export { postMessage, updateMessage, slackApiUrl };
export type { PostedMessage };
