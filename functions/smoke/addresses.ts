import { isIP, isIPv4 } from 'node:net';

/**
 * Which addresses a smoke test may not reach (README, "HTTP smoke tests: what they may reach, and credentials").
 * The smoke Lambda runs with the deployer's credentials next to services that
 * hand out more: instance and task metadata (169.254.169.254, 169.254.170.2, and
 * their IPv6 forms in fd00:ec2::/32) and the Lambda runtime API. A smoke URL from
 * deployments.yml must not be a way to reach them. Private ranges and loopback
 * stay allowed: internal load balancers and local test servers are normal.
 */

/** Why an address is refused: what it is, then why that matters. */
type Refusal = string;

const METADATA = 'smoke tests may not reach instance metadata';
const LINK_LOCAL: Refusal = `a link-local address: ${METADATA}`;
const AWS_METADATA_RANGE: Refusal = `an address of the AWS metadata range fd00:ec2::/32: ${METADATA}`;
const UNSPECIFIED: Refusal = 'an unspecified address, which connects to this host itself: smoke tests may not use it';
const RUNTIME_API = 'the Lambda runtime API (AWS_LAMBDA_RUNTIME_API): smoke tests may not reach it';

function ipv4Refusal(address: string): Refusal | undefined {
  const [first, second] = address.split('.').map(Number);
  if (first === 169 && second === 254) return LINK_LOCAL;
  // 0.0.0.0/8, "this network": Linux connects 0.0.0.0 to the host itself.
  if (first === 0) return UNSPECIFIED;
  return undefined;
}

/**
 * The eight 16-bit groups of an IPv6 address. The WHATWG URL parser first writes
 * it in its one canonical form (hex groups, the longest zero run as `::`, no
 * dotted tail), so every spelling of one address comes out the same.
 */
function ipv6Groups(address: string): number[] | undefined {
  let canonical: string;
  try {
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const [head = '', tail] = canonical.split('::');
  const before = head ? head.split(':') : [];
  const after = tail ? tail.split(':') : [];
  const groups = tail === undefined ? before : [...before, ...Array<string>(8 - before.length - after.length).fill('0'), ...after];
  return groups.map((group) => parseInt(group, 16));
}

/** The IPv4 address an IPv6 address carries in its last 32 bits, when its prefix says it reaches that IPv4 address. */
function embeddedIpv4(groups: number[]): string | undefined {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0] = groups;
  const zeros = a === 0 && b === 0 && c === 0 && d === 0 && e === 0;
  const mapped = zeros && f === 0xffff; // ::ffff:0:0/96
  const compatible = zeros && f === 0 && g !== 0; // ::a.b.c.d (deprecated); not ::1 or ::
  const nat64 = a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0; // 64:ff9b::/96
  if (!mapped && !compatible && !nat64) return undefined;
  return [g >> 8, g & 0xff, h >> 8, h & 0xff].join('.');
}

/**
 * Why a smoke test may not connect to `address` (an IPv4 or IPv6 address, as DNS
 * answers or a URL spells it), or `undefined` when it may.
 *
 * @param address An IP address; a zone (`fe80::1%eth0`) is ignored.
 * @example refusalOf('169.254.169.254') // 'a link-local address: smoke tests may not reach instance metadata'
 * @example refusalOf('::ffff:a9fe:a9fe') // the same: an IPv4-mapped IPv6 address is judged by its IPv4 address
 * @example refusalOf('10.0.3.7') // undefined
 */
function refusalOf(address: string): Refusal | undefined {
  const bare = address.replace(/%.*$/, '');
  if (isIPv4(bare)) return ipv4Refusal(bare);
  const groups = ipv6Groups(bare);
  if (!groups || groups.length !== 8) return undefined;
  if (groups.every((group) => group === 0)) return UNSPECIFIED;
  const ipv4 = embeddedIpv4(groups);
  if (ipv4) return ipv4Refusal(ipv4);
  const [first = 0, second = 0] = groups;
  if ((first & 0xffc0) === 0xfe80) return LINK_LOCAL;
  if (first === 0xfd00 && second === 0x0ec2) return AWS_METADATA_RANGE;
  return undefined;
}

/** `address`, with the IPv4 address it stands for when it is an IPv4-mapped (or NAT64) IPv6 address. */
function describeAddress(address: string): string {
  const bare = address.replace(/%.*$/, '');
  const groups = isIPv4(bare) ? undefined : ipv6Groups(bare);
  const ipv4 = groups ? embeddedIpv4(groups) : undefined;
  return ipv4 ? `${address} (${ipv4})` : address;
}

/** One form per address, for comparing two spellings: IPv4 dotted, IPv6 canonical groups; an IPv4-mapped IPv6 address as its IPv4 address. */
function comparable(address: string): string {
  const bare = address.replace(/%.*$/, '');
  if (isIPv4(bare)) return bare;
  const groups = ipv6Groups(bare);
  if (!groups) return bare.toLowerCase();
  return embeddedIpv4(groups) ?? groups.map((group) => group.toString(16)).join(':');
}

function isLoopback(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  if (!isIP(host.replace(/%.*$/, ''))) return false;
  const form = comparable(host);
  return form === '0:0:0:0:0:0:0:1' || (isIPv4(form) && form.startsWith('127.'));
}

/**
 * Whether two hosts (names or addresses) are one for the runtime API check: the
 * same name, the same address however spelt, or both loopback (all of 127.0.0.0/8
 * and ::1 reach the same host).
 */
function sameHost(a: string, b: string): boolean {
  if (a.toLowerCase() === b.toLowerCase()) return true;
  if (isLoopback(a) && isLoopback(b)) return true;
  return isIP(a.replace(/%.*$/, '')) !== 0 && isIP(b.replace(/%.*$/, '')) !== 0 && comparable(a) === comparable(b);
}

/** Where the Lambda runtime API listens (AWS_LAMBDA_RUNTIME_API, `host:port`), read when asked: tests set it per test. */
function runtimeApiEndpoint(): { host: string; port: number } | undefined {
  const value = process.env.AWS_LAMBDA_RUNTIME_API;
  if (!value) return undefined;
  try {
    const { hostname, port } = new URL(`http://${value}/`);
    return { host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 80) };
  } catch {
    return undefined;
  }
}

/**
 * Why a URL whose host is an IP address may not be requested, whatever machine
 * it runs on (deployments.yml is checked with this when it is read).
 *
 * @param url A URL as the WHATWG parser reads it: `http://2852039166/` and
 *   `http://0xa9.0xfe.0xa9.0xfe/` are both 169.254.169.254 by then.
 * @example addressRefusal(new URL('http://[fd00:ec2::254]/')) // 'fd00:ec2::254 is an address of the AWS metadata range fd00:ec2::/32: …'
 */
function addressRefusal(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!isIP(host)) return undefined;
  const refusal = refusalOf(host);
  return refusal ? `${describeAddress(host)} is ${refusal}` : undefined;
}

/**
 * Why a URL may not be requested from here, checked before any connection:
 * `addressRefusal`, and the runtime API of this Lambda. Node connects to an IP
 * address without a DNS lookup, so the connection-time check (http.ts) never sees
 * a literal address; hosts that are names are checked there once resolved.
 */
function literalRefusal(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const runtime = runtimeApiEndpoint();
  if (runtime && runtime.port === port && sameHost(host, runtime.host)) return `${url.host} is ${RUNTIME_API}`;
  return addressRefusal(url);
}

export { refusalOf, describeAddress, sameHost, runtimeApiEndpoint, addressRefusal, literalRefusal, RUNTIME_API };
export type { Refusal };
