import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError, type FetchFunction } from '@slack/webhook';
import { SlackWebhookRejected } from './errors';
import { redact } from '../shared/redact';
import { slackAnswer } from './redact';
import type { SlackMessage } from './render';
import { SlackRetryableFailure } from './retry';

/** One request to Slack may take this long; the retries around it have their own budget. */
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * Retry-After as milliseconds: delta-seconds (what Slack sends) or an HTTP date.
 *
 * @example retryAfterMs('3', Date.now()) // 3000
 */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A request error's story (refused, reset, timed out), without the URL. */
function describeRequestError(error: IncomingWebhookRequestError, url: string): string {
  const original = error.original;
  const cause = original.cause instanceof Error ? original.cause : undefined;
  const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : cause?.message;
  return redact(`${original.name}: ${original.message}${code ? ` (${code})` : ''}`, [url]);
}

/**
 * Posts one message to an incoming webhook, once (`@slack/webhook`, with its own
 * retries off: a 429 must wait for Retry-After, which the library neither honours nor
 * reports, so a fetch wrapper reads the header).
 *
 * @throws SlackWebhookRejected on a 4xx other than 429: the webhook is revoked or wrong, or the payload is.
 * @throws SlackRetryableFailure on 429 (with Retry-After), 5xx, or no answer.
 */
async function postToWebhook(url: string, message: SlackMessage): Promise<void> {
  let retryAfterHeader: string | null = null;
  const fetchReadingRetryAfter: FetchFunction = async (input, init) => {
    const response = await fetch(input, init);
    retryAfterHeader = response.headers.get('retry-after');
    return response;
  };
  const webhook = new IncomingWebhook(url, { timeout: REQUEST_TIMEOUT_MS, fetch: fetchReadingRetryAfter, retryConfig: { retries: 0 } });
  try {
    await webhook.send({ text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false });
  } catch (error) {
    if (error instanceof IncomingWebhookHTTPError) {
      const answer = `HTTP ${error.statusCode} ${slackAnswer(error.body, url)}`.trim();
      if (error.statusCode === 429) throw new SlackRetryableFailure(`Slack rate-limited the webhook (${answer})`, retryAfterMs(retryAfterHeader, Date.now()));
      if (error.statusCode >= 500) throw new SlackRetryableFailure(`Slack's webhook endpoint failed (${answer})`);
      throw new SlackWebhookRejected(`Slack rejected the webhook message (${answer}); fix or replace the webhook URL in its secret`);
    }
    if (error instanceof IncomingWebhookRequestError) throw new SlackRetryableFailure(`Slack's webhook endpoint did not answer (${describeRequestError(error, url)})`);
    throw error;
  }
}

export { postToWebhook, retryAfterMs, REQUEST_TIMEOUT_MS };
