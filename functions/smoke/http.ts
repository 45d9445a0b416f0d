import dns from 'node:dns';
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import type { HttpSmokeTest } from '../config/schema';
import { excerpt, redact } from '../shared/redact';
import { describeAddress, literalRefusal, RUNTIME_API, refusalOf, runtimeApiEndpoint, sameHost } from './addresses';
import { isHeaderSecret } from './headers';
import { HeaderSecretUnusable, readHeaderSecret } from './secrets';

interface CheckResult {
  passed: boolean;
  /** One line for humans: status and why it failed. Goes into execution history, events and Slack: redacted, bounded. */
  detail: string;
  /** A failure no later attempt may turn into a pass (a refused address, an unusable secret): the check is out of attempts at once. */
  final?: boolean;
}

/** Response excerpts in detail lines: enough to recognise an error page, short enough for a Slack line. */
const BODY_EXCERPT_LENGTH = 80;

/** What is read of a response body to look for `bodyContains`; the rest is not downloaded. */
const MAX_BODY_BYTES = 1024 * 1024;

const USER_AGENT = 'ecr-deployer-smoke-test';

/** A connection refused before it was made: the host resolves to an address smoke tests may not reach. */
class RefusedAddress extends Error {
  public override readonly name: string = 'RefusedAddress';
}

/**
 * A URL as detail lines show it: no user or password, no fragment, and the query
 * string's parameter names without their values (a token is often passed there).
 *
 * @example displayUrl(new URL('https://ci:pw@api.internal/health?token=abc&v=2#x')) // 'https://api.internal/health?token=…&v=…'
 */
function displayUrl(url: URL): string {
  const names = [...new Set(url.searchParams.keys())];
  const query = names.length > 0 ? `?${names.map((name) => `${encodeURIComponent(name)}=…`).join('&')}` : '';
  return `${url.protocol}//${url.host}${url.pathname}${query}`;
}

/** Every address `hostname` resolves to, through `dns.lookup` as it is when called (the operating system's resolver, as Node uses by default). */
function resolveAll(hostname: string, options: dns.LookupOptions = {}): Promise<dns.LookupAddress[]> {
  return new Promise((resolve, reject) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });
}

/** Why `hostname`, resolved to `addresses`, may not be connected to on `port`, if it may not. */
async function answerRefusal(hostname: string, port: number, addresses: dns.LookupAddress[]): Promise<string | undefined> {
  for (const { address } of addresses) {
    const refusal = refusalOf(address);
    if (refusal) return `${hostname} resolves to ${describeAddress(address)}, ${refusal}`;
  }
  const runtime = runtimeApiEndpoint();
  if (!runtime || runtime.port !== port) return undefined;
  // In Lambda the runtime API is an address (127.0.0.1:9001); a name is resolved like the smoke host.
  const runtimeAddresses = isIP(runtime.host) || runtime.host.toLowerCase() === 'localhost' ? [runtime.host] : (await resolveAll(runtime.host)).map((answer) => answer.address);
  const hit = addresses.find(({ address }) => runtimeAddresses.some((runtimeAddress) => sameHost(address, runtimeAddress)));
  return hit ? `${hostname} resolves to ${hit.address}, and ${hit.address}:${port} is ${RUNTIME_API}` : undefined;
}

/**
 * The DNS lookup of every smoke-test connection: all the addresses of the host,
 * and a `RefusedAddress` error — so no connection at all — when any of them may
 * not be reached. Checking every answer (not only the one Node would try first)
 * keeps a host with a metadata address among others from being tried on it later.
 *
 * @param port The port the request connects to (the runtime API is refused by host and port).
 */
function guardedLookup(port: number): LookupFunction {
  return (hostname, options, callback) => {
    resolveAll(hostname, options)
      .then(async (addresses) => {
        const refusal = await answerRefusal(hostname, port, addresses);
        if (refusal) throw new RefusedAddress(refusal);
        const [first] = addresses;
        if (options.all) callback(null, addresses);
        else if (first) callback(null, first.address, first.family);
        else callback(Object.assign(new Error(`${hostname} resolves to no address`), { code: 'ENOTFOUND' }), '');
      })
      .catch((error: NodeJS.ErrnoException) => callback(error, ''));
  };
}

/** Request headers with every `{ secret }` read; `secrets` are the values read, for redaction. */
async function resolveHeaders(headers: HttpSmokeTest['headers']): Promise<{ headers: OutgoingHttpHeaders; secrets: string[] }> {
  const resolved: OutgoingHttpHeaders = { 'user-agent': USER_AGENT };
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (isHeaderSecret(value)) {
      let secret: string;
      try {
        secret = await readHeaderSecret(value.secret);
      } catch (error) {
        if (error instanceof HeaderSecretUnusable) throw new HeaderSecretUnusable(`header ${name}: ${error.message}`);
        throw error;
      }
      secrets.push(secret);
      resolved[name.toLowerCase()] = secret;
    } else {
      resolved[name.toLowerCase()] = value;
    }
  }
  return { headers: resolved, secrets };
}

/** The request body and its content type: a string as it is, anything else as JSON. */
function encodeBody(body: unknown, headers: OutgoingHttpHeaders): { payload?: Buffer; headers: OutgoingHttpHeaders } {
  if (body === undefined) return { headers };
  const text = typeof body === 'string';
  const payload = Buffer.from(text ? body : JSON.stringify(body), 'utf8');
  const typed = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
  return { payload, headers: { ...(typed ? {} : { 'content-type': text ? 'text/plain; charset=utf-8' : 'application/json' }), ...headers, 'content-length': payload.length } };
}

function send(url: URL, method: string, headers: OutgoingHttpHeaders, signal: AbortSignal, payload?: Buffer): Promise<IncomingMessage> {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    // A connection of its own (no pooled socket that an earlier lookup opened), to the address the lookup checked.
    const request = client.request(url, { method, headers, agent: false, lookup: guardedLookup(port), signal }, resolve);
    request.once('error', reject);
    request.end(payload);
  });
}

/** The value at `prediction.label` / `items.0.id` of a JSON document, or undefined. */
function valueAt(document: unknown, path: string): unknown {
  let value = document;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Why the body does not hold `expected` (path → value), or undefined when it does. */
function jsonMismatch(body: string, expected: Record<string, unknown>, secrets: readonly string[]): string | undefined {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return `the body is not JSON${body.length >= MAX_BODY_BYTES ? ` (or longer than ${MAX_BODY_BYTES / 1024} KiB)` : ''}: ${excerpt(body, BODY_EXCERPT_LENGTH, secrets)}`;
  }
  for (const [path, value] of Object.entries(expected)) {
    const actual = valueAt(document, path);
    if (!isDeepStrictEqual(actual, value)) {
      return `${path} is ${actual === undefined ? 'missing' : excerpt(JSON.stringify(actual), BODY_EXCERPT_LENGTH, secrets)} (expected ${excerpt(JSON.stringify(value), BODY_EXCERPT_LENGTH, secrets)})`;
    }
  }
  return undefined;
}

async function readBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    const buffer = chunk as Buffer;
    chunks.push(buffer);
    size += buffer.length;
    if (size >= MAX_BODY_BYTES) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Where a redirect points, as detail lines show URLs; a Location that is no URL is quoted, bounded. */
function redirectTarget(location: string | undefined, base: URL, secrets: readonly string[]): string {
  if (!location) return 'nowhere (no Location header)';
  try {
    return displayUrl(new URL(location, base));
  } catch {
    return `"${excerpt(location, BODY_EXCERPT_LENGTH, secrets)}"`;
  }
}

/**
 * One HTTP request against a smoke-test URL. Never throws, except AwsTransientError
 * when a header secret cannot be read for now (the state machine retries the step).
 *
 * - Refused before anything is sent: a URL whose host is an address smoke tests may
 *   not reach, or the runtime API; a host that resolves to one (checked on every
 *   address DNS answers, when connecting). Such a failure is `final`.
 * - Redirects are not followed: a 3xx fails unless it is `expectStatus`.
 * - Header secrets are read at run time; their values, and anything that looks
 *   like a credential, are redacted from the detail line, which shows the URL
 *   without user, password or query values and at most 80 characters of the body.
 *
 * @param check An HTTP smoke test of deployments.yml, validated.
 */
async function runHttpCheck(check: HttpSmokeTest): Promise<CheckResult> {
  const url = new URL(check.url);
  const request = `${check.method} ${displayUrl(url)}`;
  let secrets: string[] = [];
  const result = (passed: boolean, outcome: string, final?: true): CheckResult => ({
    passed,
    detail: redact(`${request} → ${outcome}`, secrets),
    ...(final ? { final } : {}),
  });

  const refused = literalRefusal(url);
  if (refused) return result(false, `refused: ${refused}`, true);

  let headers: OutgoingHttpHeaders;
  try {
    ({ headers, secrets } = await resolveHeaders(check.headers));
  } catch (error) {
    if (error instanceof HeaderSecretUnusable) return result(false, error.message, true);
    throw error;
  }

  const started = Date.now();
  const signal = AbortSignal.timeout(check.timeoutSeconds * 1000);
  try {
    const encoded = encodeBody(check.body, headers);
    const response = await send(url, check.method, encoded.headers, signal, encoded.payload);
    const body = check.method === 'HEAD' ? '' : await readBody(response);
    response.destroy();
    const elapsed = Date.now() - started;
    const status = response.statusCode ?? 0;
    if (status !== check.expectStatus && status >= 300 && status < 400) {
      return result(false, `${status} redirected to ${redirectTarget(response.headers.location, url, secrets)} — redirects are not followed; point the smoke test at the final URL`);
    }
    if (status !== check.expectStatus) {
      const quoted = excerpt(body, BODY_EXCERPT_LENGTH, secrets);
      return result(false, `${status} (expected ${check.expectStatus})${quoted ? `: ${quoted}` : ''}`);
    }
    if (check.bodyContains !== undefined && !body.includes(check.bodyContains)) {
      return result(false, `${status} but body lacks "${check.bodyContains}"`);
    }
    const mismatch = check.expectJson ? jsonMismatch(body, check.expectJson, secrets) : undefined;
    if (mismatch) return result(false, `${status} but ${mismatch}`);
    return result(true, `${status} in ${elapsed} ms`);
  } catch (error) {
    if (error instanceof RefusedAddress) return result(false, `refused: ${error.message}`, true);
    if (signal.aborted) return result(false, `no answer within ${check.timeoutSeconds} s`);
    return result(false, error instanceof Error ? error.message : String(error));
  }
}

export { runHttpCheck, displayUrl };
export type { CheckResult };
