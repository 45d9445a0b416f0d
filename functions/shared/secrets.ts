import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { isTransientAwsError } from './aws-errors';
import { secretsManager } from './clients/secrets-manager';
import { ssm } from './clients/ssm';
import { AwsTransientError } from './errors';
import { rememberSecret } from './redact';
import { parseSecretReference } from './secret-reference';

/**
 * Secrets named in deployments.yml (Slack webhooks and tokens, smoke-test headers),
 * read with Powertools Parameters on the module-scope SDK clients (which the tests
 * mock by class) and cached for `maxAgeSeconds`. Errors name the reference, never the
 * value; every value read is remembered by the redaction (functions/shared/redact.ts),
 * so no later log line, event or error of this environment shows it.
 */

const secretsProvider = /* @__PURE__ */ new SecretsProvider({ awsSdkV3Client: secretsManager });
const ssmProvider = /* @__PURE__ */ new SSMProvider({ awsSdkV3Client: ssm });

/** The secret does not exist or may not be read: a configuration problem, not worth retrying. */
class SecretUnreadable extends Error {
  public override readonly name: string = 'SecretUnreadable';
}

/**
 * The stored value of `reference` (a Secrets Manager name, or `ssm:<parameter name>`):
 * a string, or bytes for a binary secret.
 *
 * @param what What the secret is for, in messages: "the Slack secret".
 * @throws AwsTransientError on throttling, 5xx or network errors.
 * @throws SecretUnreadable when it does not exist or may not be read.
 */
async function readSecret(reference: string, what: string, maxAgeSeconds: number): Promise<unknown> {
  const parsed = parseSecretReference(reference);
  let raw: unknown;
  try {
    raw = parsed.store === 'ssm' ? await ssmProvider.get(parsed.name, { decrypt: true, maxAge: maxAgeSeconds }) : await secretsProvider.get(parsed.secretId, { maxAge: maxAgeSeconds });
  } catch (error) {
    // Powertools wraps the SDK's error in a GetParameterError; the SDK's says what happened.
    const original = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const description = original instanceof Error ? `${original.name}: ${original.message}` : String(original);
    if (isTransientAwsError(original)) throw new AwsTransientError(`reading ${what} ${reference}: ${description}`, { cause: original });
    throw new SecretUnreadable(`cannot read ${what} ${reference}: ${description}`);
  }
  const text = raw instanceof Uint8Array ? new TextDecoder().decode(raw) : typeof raw === 'string' ? raw : undefined;
  if (text?.trim()) rememberSecret(text.trim());
  return raw;
}

/** Drops every cached secret: the next read asks the store again (after a rejection, a rotated secret is read anew). */
function forgetSecrets(): void {
  secretsProvider.clearCache();
  ssmProvider.clearCache();
}

export { readSecret, forgetSecrets, SecretUnreadable };
