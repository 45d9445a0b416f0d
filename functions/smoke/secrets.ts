import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { isTransientAwsError } from '../shared/aws-errors';
import { secretsManager } from '../shared/clients/secrets-manager';
import { ssm } from '../shared/clients/ssm';
import { AwsTransientError } from '../shared/errors';
import { rememberSecret } from '../shared/redact';
import { parseSecretReference } from '../shared/secret-reference';

/**
 * Smoke-test header values kept in Secrets Manager or an SSM SecureString, read with
 * Powertools Parameters on the module-scope SDK clients (which the tests mock by
 * class) and cached for a few minutes, so that a round of smoke tests every ten
 * seconds reads each secret about once per cold start, and a rotated secret is
 * picked up soon. Every value read is remembered by the redaction
 * (functions/shared/redact.ts): no log line or error of this environment shows it.
 */

const SECRET_MAX_AGE_SECONDS = 5 * 60;

const secretsProvider = new SecretsProvider({ awsSdkV3Client: secretsManager });
const ssmProvider = new SSMProvider({ awsSdkV3Client: ssm });

/** A secret that exists but cannot be used as a header value, or cannot be read for good (missing, access denied). */
class HeaderSecretUnusable extends Error {
  public override readonly name: string = 'HeaderSecretUnusable';
}

/**
 * The value of one header secret: the secret's text (SecretString, or SecretBinary
 * as UTF-8), trimmed.
 *
 * @param reference A Secrets Manager name or ARN, or `ssm:<parameter name or ARN>`.
 * @throws AwsTransientError on throttling, 5xx or network errors: the state machine retries the step.
 * @throws HeaderSecretUnusable naming the reference (never the value) when the secret is missing, unreadable, empty or not one line.
 * @example await readHeaderSecret('ecr-deployer/smoke-api-key') // 'k3y…'
 */
async function readHeaderSecret(reference: string): Promise<string> {
  const parsed = parseSecretReference(reference);
  let raw: unknown;
  try {
    raw =
      parsed.store === 'ssm'
        ? await ssmProvider.get(parsed.name, { decrypt: true, maxAge: SECRET_MAX_AGE_SECONDS })
        : await secretsProvider.get(parsed.secretId, { maxAge: SECRET_MAX_AGE_SECONDS });
  } catch (error) {
    // Powertools wraps the SDK's error in a GetParameterError; the SDK's says what happened.
    const original = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const description = original instanceof Error ? `${original.name}: ${original.message}` : String(original);
    if (isTransientAwsError(original)) throw new AwsTransientError(`reading the smoke-test header secret ${reference}: ${description}`, { cause: original });
    throw new HeaderSecretUnusable(`cannot read the header secret ${reference}: ${description}`);
  }
  const value = (raw instanceof Uint8Array ? new TextDecoder().decode(raw) : typeof raw === 'string' ? raw : '').trim();
  if (value) rememberSecret(value);
  if (!value) throw new HeaderSecretUnusable(`the header secret ${reference} is empty`);
  if (/[\r\n]/.test(value)) throw new HeaderSecretUnusable(`the header secret ${reference} holds more than one line: store the header value alone, as plain text`);
  return value;
}

/** Drops every cached header secret: the next read asks the store again. */
function forgetHeaderSecrets(): void {
  secretsProvider.clearCache();
  ssmProvider.clearCache();
}

export { readHeaderSecret, forgetHeaderSecrets, HeaderSecretUnusable, SECRET_MAX_AGE_SECONDS };
