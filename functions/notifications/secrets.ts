import { forgetSecrets, readSecret, SecretUnreadable } from '../shared/secrets';
import { SlackConfigurationError } from './errors';

/**
 * The webhook URL or bot token, read from Secrets Manager or an SSM SecureString with
 * Powertools Parameters on the module-scope SDK clients (which the tests mock by
 * class), and cached for the life of the execution environment: in practice read once
 * per cold start. After Slack rejects a message the cache is dropped, so a secret that
 * was rotated since is read again by the next event.
 *
 * Nothing here puts the value in a message: errors name the secret's reference only.
 */

type SlackSecretKind = 'webhook' | 'bot';

/** Longer than an execution environment lives (Lambda recycles them within hours). */
const SECRET_MAX_AGE_SECONDS = 24 * 60 * 60;


/** Keys a JSON secret (the Secrets Manager console's key/value form) may hold the value under. */
const JSON_KEYS: Record<SlackSecretKind, string[]> = {
  webhook: ['webhookUrl', 'webhook_url', 'url'],
  bot: ['botToken', 'bot_token', 'token'],
};

const WHAT: Record<SlackSecretKind, string> = {
  webhook: 'an incoming-webhook URL (https://hooks.slack.com/services/…)',
  bot: 'a bot token (xoxb-…)',
};

function notHolding(kind: SlackSecretKind, reference: string, detail: string): SlackConfigurationError {
  return new SlackConfigurationError(
    `the Slack secret ${reference} does not hold ${WHAT[kind]}: ${detail}. Store the value as plain text, or as JSON with a "${JSON_KEYS[kind][0]}" key.`,
  );
}

/**
 * The webhook URL or token out of a secret's value: plain text, or a JSON object with
 * one of the keys above.
 *
 * @throws SlackConfigurationError naming the reference (never the value) when it holds neither.
 */
function extractSlackSecret(raw: unknown, kind: SlackSecretKind, reference: string): string {
  let value = (raw instanceof Uint8Array ? new TextDecoder().decode(raw) : typeof raw === 'string' ? raw : '').trim();
  if (value.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      // Not the parser's message: Node quotes the start of the text in it.
      throw notHolding(kind, reference, 'it starts with "{" but is not valid JSON');
    }
    const record = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    const key = JSON_KEYS[kind].find((candidate) => typeof record[candidate] === 'string');
    if (!key) throw notHolding(kind, reference, `it is JSON without a ${JSON_KEYS[kind].map((k) => `"${k}"`).join(' or ')} key`);
    value = String(record[key]).trim();
  }
  if (!value) throw notHolding(kind, reference, 'it is empty');
  if (kind === 'webhook') {
    let protocol: string | undefined;
    try {
      protocol = new URL(value).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol !== 'https:' && protocol !== 'http:') throw notHolding(kind, reference, 'it is not an http(s) URL');
  } else if (/\s/.test(value)) {
    throw notHolding(kind, reference, 'it contains whitespace');
  }
  return value;
}

/**
 * Reads (or takes from the cache) the secret a destination names.
 *
 * @throws AwsTransientError on throttling, 5xx or network errors (the event is retried).
 * @throws SlackConfigurationError when the secret does not exist, may not be read, or holds something else.
 * @example await loadSlackSecret('ssm:/ecr-deployer/slack-webhook', 'webhook') // 'https://hooks.slack.com/services/…'
 */
async function loadSlackSecret(reference: string, kind: SlackSecretKind): Promise<string> {
  let raw: unknown;
  try {
    raw = await readSecret(reference, 'the Slack secret', SECRET_MAX_AGE_SECONDS);
  } catch (error) {
    if (error instanceof SecretUnreadable) throw new SlackConfigurationError(error.message);
    throw error;
  }
  if (raw === undefined) throw notHolding(kind, reference, 'it has no value');
  return extractSlackSecret(raw, kind, reference);
}

/** Drops every cached secret value: the next load reads the store again. */
function forgetSlackSecrets(): void {
  forgetSecrets();
}

export { loadSlackSecret, extractSlackSecret, forgetSlackSecrets, SECRET_MAX_AGE_SECONDS };
export type { SlackSecretKind };
