import { forgetSecrets, readSecret, SecretUnreadable } from '../shared/secrets';

/**
 * Smoke-test header values kept in Secrets Manager or an SSM SecureString, read with
 * Powertools Parameters on the module-scope SDK clients (which the tests mock by
 * class) and cached for a few minutes, so that a round of smoke tests every ten
 * seconds reads each secret about once per cold start, and a rotated secret is
 * picked up soon. Every value read is remembered by the redaction
 * (functions/shared/redact.ts): no log line or error of this environment shows it.
 */

const SECRET_MAX_AGE_SECONDS = 5 * 60;

/** A secret that exists but cannot be used as a header value, or cannot be read for good (missing, access denied). */
class HeaderSecretUnusable extends Error {
  public override readonly name: string = 'HeaderSecretUnusable';
}

/**
 * The value of one header secret: the secret's text (SecretString, or SecretBinary
 * as UTF-8), trimmed.
 *
 * @param reference A Secrets Manager name, or `ssm:<parameter name>`.
 * @throws AwsTransientError on throttling, 5xx or network errors: the state machine retries the step.
 * @throws HeaderSecretUnusable naming the reference (never the value) when the secret is missing, unreadable, empty or not one line.
 * @example await readHeaderSecret('ecr-deployer/smoke-api-key') // 'k3y…'
 */
async function readHeaderSecret(reference: string): Promise<string> {
  let raw: unknown;
  try {
    raw = await readSecret(reference, 'the header secret', SECRET_MAX_AGE_SECONDS);
  } catch (error) {
    if (error instanceof SecretUnreadable) throw new HeaderSecretUnusable(error.message);
    throw error;
  }
  const value = (raw instanceof Uint8Array ? new TextDecoder().decode(raw) : typeof raw === 'string' ? raw : '').trim();
  if (!value) throw new HeaderSecretUnusable(`the header secret ${reference} is empty`);
  if (/[\r\n]/.test(value)) throw new HeaderSecretUnusable(`the header secret ${reference} holds more than one line: store the header value alone, as plain text`);
  return value;
}

/** Drops every cached header secret: the next read asks the store again. */
function forgetHeaderSecrets(): void {
  forgetSecrets();
}

export { readHeaderSecret, forgetHeaderSecrets, HeaderSecretUnusable, SECRET_MAX_AGE_SECONDS };
