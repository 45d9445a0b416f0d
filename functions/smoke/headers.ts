import type { DeploymentsFile } from '../config/schema';

/**
 * Smoke-test headers as deployments.yml writes them: a plain value, or a reference
 * to a secret that the smoke Lambda reads at run time. A credential written in
 * deployments.yml would be in the resolved specs of every execution (its input,
 * state and history), so headers that carry one must be references.
 */

/** A header value held in Secrets Manager (name or ARN) or SSM (`ssm:/parameter`). */
interface HeaderSecret {
  secret: string;
}

type HeaderValue = string | HeaderSecret;

/** Header names that carry credentials whatever they are called. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);

/** Words that make a header name look like it carries a credential (X-Auth-Token, X-Client-Secret, Api-Key, X-Password…). */
const CREDENTIAL_WORDS = /token|secret|key|password|auth/i;

/**
 * Whether a header carries a credential, so that its value must come from a secret.
 *
 * @param name A header name, in any case.
 * @example isCredentialHeader('Authorization') // true
 * @example isCredentialHeader('X-Smoke-Test') // false
 */
function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADERS.has(name.toLowerCase()) || CREDENTIAL_WORDS.test(name);
}

function isHeaderSecret(value: HeaderValue): value is HeaderSecret {
  return typeof value !== 'string';
}

/**
 * Every secret the HTTP smoke tests of `config` read their headers from, once each:
 * what the smoke-test Lambda's role must be allowed to read (GetSecretValue, or
 * ssm:GetParameter for `ssm:` references), and nothing more. Map each through
 * `secretIamResources` (functions/shared/secret-reference.ts) for its IAM resources.
 *
 * @param config deployments.yml, validated.
 * @example smokeTestSecretReferences(config) // ['ecr-deployer/api-key', 'ssm:/smoke/session-cookie']
 */
function smokeTestSecretReferences(config: Pick<DeploymentsFile, 'targets'>): string[] {
  const references = new Set<string>();
  for (const target of config.targets) {
    for (const test of target.smokeTests) {
      if (!('http' in test)) continue;
      for (const value of Object.values(test.http.headers ?? {})) {
        if (isHeaderSecret(value)) references.add(value.secret);
      }
    }
  }
  return [...references];
}

export { isCredentialHeader, isHeaderSecret, smokeTestSecretReferences };
export type { HeaderSecret, HeaderValue };
