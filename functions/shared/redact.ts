/**
 * The one redaction every log line, event and error message passes through
 * (README, "Trust boundary"): what looks like a credential is replaced by
 * `[redacted]` wherever it came from, and so is every secret value the caller
 * knows (a Slack webhook URL, a smoke-test header read from Secrets Manager).
 * A secret read at run time is also remembered for the life of the execution
 * environment, so that text the reader never sees (a log line, an error thrown
 * further up) is redacted of it too.
 */

const REDACTED = '[redacted]';

/** Shapes of credentials, whoever wrote them. Each keeps what helps a person (the scheme, the host) and drops the secret. */
const CREDENTIAL_PATTERNS: { pattern: RegExp; replacement: string }[] = [
  // URL userinfo: https://user:password@host → https://[redacted]@host
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi, replacement: `$1${REDACTED}@` },
  // Slack incoming webhooks and workflow triggers: the path is the secret.
  { pattern: /(https:\/\/hooks\.slack(?:-gov)?\.com\/(?:services|workflows|triggers)\/)[^\s"'<>)]+/gi, replacement: `$1${REDACTED}` },
  // Slack tokens: bot, user, app-level, configuration, refresh.
  { pattern: /\bxox[abeoprs]-[A-Za-z0-9-]+/g, replacement: REDACTED },
  { pattern: /\bxapp-[A-Za-z0-9-]+/g, replacement: REDACTED },
  // Authorization header values written out: "Bearer abc…", "Basic dXNlcjpw…" (a value has a digit or a symbol, so prose like "Basic authentication" stays).
  { pattern: /\b(Bearer|Basic)\s+(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}/gi, replacement: `$1 ${REDACTED}` },
  // AWS access key ids.
  { pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, replacement: REDACTED },
];

/** Secret values shorter than this are not searched for: "a" would redact every word. */
const SHORTEST_KNOWN_SECRET = 4;

/** Secret values this execution environment has read (`rememberSecret`). */
const remembered = new Set<string>();

/**
 * Makes every later `redact` (log lines, error messages, events) remove `secret`,
 * whether or not its caller knows it.
 *
 * @example rememberSecret(headerValue); redact(`echoed ${headerValue}`) // 'echoed [redacted]'
 */
function rememberSecret(secret: string): void {
  if (secret.length >= SHORTEST_KNOWN_SECRET) remembered.add(secret);
}

/** A known secret, and the forms it takes in text: a URL also by its path (the part that is secret in a webhook). */
function variantsOf(secret: string): string[] {
  const variants = [secret];
  try {
    const { pathname } = new URL(secret);
    if (pathname.length > SHORTEST_KNOWN_SECRET) variants.push(pathname);
  } catch {
    // not a URL: a token or a password
  }
  try {
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) variants.push(encoded);
  } catch {
    // lone surrogates: nothing else to look for
  }
  return variants;
}

/**
 * `text` without credentials: URL userinfo, Slack webhook paths and tokens,
 * written-out Authorization values, AWS access key ids, each of `knownSecrets`, and
 * every secret remembered with `rememberSecret`.
 *
 * @example redact('GET https://ci:hunter2@api.internal/health → 401') // 'GET https://[redacted]@api.internal/health → 401'
 * @example redact('token s3cr3t-value refused', ['s3cr3t-value']) // 'token [redacted] refused'
 */
function redact(text: string, knownSecrets: readonly string[] = []): string {
  const known = [...knownSecrets, ...remembered]
    .filter((secret) => secret.length >= SHORTEST_KNOWN_SECRET)
    .flatMap(variantsOf)
    // Longest first, so a secret that contains another is removed whole.
    .sort((a, b) => b.length - a.length);
  const withoutKnown = known.reduce((result, secret) => result.split(secret).join(REDACTED), text);
  return CREDENTIAL_PATTERNS.reduce((result, { pattern, replacement }) => result.replace(pattern, replacement), withoutKnown);
}

/** `value` with `redact` applied to every string in it, keys kept (for log attributes and event details). */
function redactDeep<T>(value: T, knownSecrets: readonly string[] = []): T {
  return redactValue(value, knownSecrets, new WeakSet()) as T;
}

function redactValue(value: unknown, knownSecrets: readonly string[], seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redact(value, knownSecrets);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, knownSecrets, seen));
  if (value instanceof Error) {
    const copy = new Error(redact(value.message, knownSecrets));
    copy.name = value.name;
    if (value.stack) copy.stack = redact(value.stack, knownSecrets);
    return copy;
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item, knownSecrets, seen)]));
}

/** A text bounded to `length` characters, on one line, redacted: for response excerpts in events and Slack. */
function excerpt(text: string, length: number, knownSecrets: readonly string[] = []): string {
  const line = redact(text, knownSecrets).replace(/\s+/g, ' ').trim();
  return line.length > length ? `${line.slice(0, length - 1)}…` : line;
}

export { redact, redactDeep, excerpt, rememberSecret, REDACTED };
