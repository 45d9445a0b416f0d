import dns from 'node:dns';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net, { type AddressInfo, type LookupFunction } from 'node:net';

/**
 * The network of the smoke-test tests: real HTTP servers on 127.0.0.1, DNS
 * answers given per test, and a guard that keeps every connection on loopback.
 * Nothing here ever reaches another address: a connection the code under test
 * would make elsewhere (a metadata address, say) is blocked and recorded instead.
 */

interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

interface LocalServer {
  /** `http://127.0.0.1:<port>`. */
  base: string;
  port: number;
  /** TCP connections accepted, whether or not a request followed. */
  readonly connections: number;
  requests: RecordedRequest[];
  close: () => Promise<void>;
}

/** A real HTTP server on 127.0.0.1 (a free port) that counts connections and records requests. */
async function startServer(respond: (request: IncomingMessage, response: ServerResponse) => void): Promise<LocalServer> {
  const requests: RecordedRequest[] = [];
  let connections = 0;
  const server: Server = createServer((request, response) => {
    requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers });
    respond(request, response);
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return connections;
    },
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * Makes `dns.lookup` answer `answers` (host → addresses), and ENOTFOUND for any
 * other host: no query leaves this machine. The code under test calls
 * `dns.lookup` on the module object when it resolves, so this spy is what it gets.
 */
function answerDns(answers: Record<string, string[]>): jest.SpyInstance {
  const lookup = (hostname: string, options: unknown, maybeCallback?: unknown): void => {
    const callback = (typeof options === 'function' ? options : maybeCallback) as LookupCallback;
    const all = typeof options === 'object' && options !== null && (options as dns.LookupOptions).all === true;
    const addresses = (answers[hostname] ?? []).map((address) => ({ address, family: net.isIPv6(address) ? 6 : 4 }));
    const [first] = addresses;
    if (!first) process.nextTick(callback, Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '');
    else if (all) process.nextTick(callback, null, addresses);
    else process.nextTick(callback, null, first.address, first.family);
  };
  return jest.spyOn(dns, 'lookup').mockImplementation(lookup as unknown as typeof dns.lookup);
}

interface ConnectionGuard {
  /** Addresses a socket was about to connect to (after its lookup): loopback only, else blocked. */
  attempted: string[];
  /** The non-loopback ones among them, which were blocked before connecting. */
  blocked: string[];
}

const isLoopback = (address: string): boolean => address === '::1' || /^(?:::ffff:)?127\./.test(address);

/**
 * Watches every TCP connection this process starts: the address it connects to,
 * a literal host or what its lookup function answers. A connection to anything
 * but loopback is refused here, before it reaches the network, and recorded, so
 * a test can assert that the code under test never tried one.
 */
function guardConnections(): ConnectionGuard {
  const guard: ConnectionGuard = { attempted: [], blocked: [] };
  const connect = net.Socket.prototype.connect;
  jest.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (this: net.Socket, ...args: unknown[]) {
    const [first] = args;
    // net.createConnection passes its normalized [options, callback] array.
    const options = (Array.isArray(first) ? first[0] : first) as net.TcpNetConnectOpts | undefined;
    if (options && typeof options === 'object' && typeof options.host === 'string') {
      const { host } = options;
      if (net.isIP(host)) {
        guard.attempted.push(host);
        if (!isLoopback(host)) {
          guard.blocked.push(host);
          process.nextTick(() => this.destroy(new Error(`test guard: blocked a connection to ${host}`)));
          return this;
        }
      } else {
        const lookup: LookupFunction = options.lookup ?? (dns.lookup as unknown as LookupFunction);
        options.lookup = (hostname, lookupOptions, callback) =>
          lookup(hostname, lookupOptions, (error, address, family) => {
            if (error) {
              callback(error, address, family);
              return;
            }
            const addresses = typeof address === 'string' ? [address] : address.map((answer) => answer.address);
            guard.attempted.push(...addresses);
            const outside = addresses.filter((candidate) => !isLoopback(candidate));
            if (outside.length > 0) {
              guard.blocked.push(...outside);
              callback(new Error(`test guard: blocked a connection to ${outside.join(', ')}`), '');
              return;
            }
            callback(null, address, family);
          });
      }
    }
    return (connect as (...connectArgs: unknown[]) => net.Socket).apply(this, args);
  });
  return guard;
}

export { startServer, answerDns, guardConnections };
export type { LocalServer, RecordedRequest, ConnectionGuard };
