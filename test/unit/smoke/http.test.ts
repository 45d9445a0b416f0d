import { httpSmokeTestSchema, type HttpSmokeTest } from '../../../functions/config/schema';
import { displayUrl, runHttpCheck } from '../../../functions/smoke/http';
import { httpCheck, runSmokeTestRound } from '../../../functions/smoke/run';
import { answerDns, guardConnections, startServer, type ConnectionGuard, type LocalServer } from './support/network';

/** A real HTTP server on 127.0.0.1 with a route per behaviour. */
let server: LocalServer;
let base: string;
/** What a redirect of `server` points at: it must never be asked anything. */
let elsewhere: LocalServer;
let guard: ConnectionGuard;
/** What the /predict route received: method, content type and body. */
let received: { method?: string; contentType?: string; body: string } | undefined;

beforeAll(async () => {
  elsewhere = await startServer((_, response) => response.writeHead(200).end('{"status":"ok"}'));
  server = await startServer((request, response) => {
    const path = request.url ?? '';
    if (path === '/ok') response.writeHead(200).end('{"status":"ok"}');
    else if (path === '/degraded') response.writeHead(200).end('{"status":"degraded"}');
    else if (path === '/error') response.writeHead(500).end('boom\n  trace line');
    else if (path === '/long-error') response.writeHead(503).end(`upstream failed: ${'x'.repeat(300)}`);
    else if (path === '/redirect') response.writeHead(302, { location: `${elsewhere.base}/login?session=s3ss10n-v4lue&next=/health` }).end();
    else if (path === '/moved') response.writeHead(301, { location: '/ok' }).end();
    else if (path === '/slow') setTimeout(() => response.writeHead(200).end('late'), 3000).unref();
    else if (path.startsWith('/query')) response.writeHead(500).end('no');
    else if (path === '/predict') {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        received = { method: request.method, contentType: request.headers['content-type'], body };
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"prediction":{"label":"cat","score":0.97},"items":[{"id":7}],"model":{"ready":true}}');
      });
    }
    else response.writeHead(404).end();
  });
  base = server.base;
});

afterAll(async () => {
  await server.close();
  await elsewhere.close();
});

beforeEach(() => {
  guard = guardConnections();
});

const check = (path: string, extra: Record<string, unknown> = {}) => httpSmokeTestSchema.parse({ url: `${base}${path}`, ...extra });
/** A check with any URL, as the state could carry it, past the schema (which refuses these already). */
const unchecked = (url: string): HttpSmokeTest => ({ ...check('/ok'), url });

describe('runHttpCheck', () => {
  it('passes on the expected status and body', async () => {
    await expect(runHttpCheck(check('/ok', { bodyContains: '"ok"' }))).resolves.toMatchObject({ passed: true });
  });

  it('fails on another status and quotes the start of the body', async () => {
    await expect(runHttpCheck(check('/error'))).resolves.toEqual({ passed: false, detail: `GET ${base}/error → 500 (expected 200): boom trace line` });
  });

  it('quotes at most 80 characters of the body', async () => {
    const { detail } = await runHttpCheck(check('/long-error'));

    const quoted = detail.slice(detail.indexOf('(expected 200): ') + '(expected 200): '.length);
    expect(quoted).toHaveLength(80);
    expect(quoted).toMatch(/^upstream failed: x+…$/);
  });

  it('fails when the body lacks the expected text', async () => {
    await expect(runHttpCheck(check('/degraded', { bodyContains: '"ok"' }))).resolves.toMatchObject({ passed: false, detail: expect.stringContaining('200 but body lacks') });
  });

  it('gives up after the per-request timeout', async () => {
    await expect(runHttpCheck(check('/slow', { timeoutSeconds: 1 }))).resolves.toMatchObject({ passed: false, detail: expect.stringContaining('no answer within 1 s') });
  });

  it('fails, without throwing, when nothing listens', async () => {
    await expect(runHttpCheck(httpSmokeTestSchema.parse({ url: 'http://127.0.0.1:9/health', timeoutSeconds: 2 }))).resolves.toMatchObject({ passed: false });
  });

  it('shows the URL without user, password or query values, keeping the path', async () => {
    const { detail } = await runHttpCheck(unchecked(`http://ci:hunter2@127.0.0.1:${server.port}/query/v1?token=abc123secret&page=2#top`));

    expect(detail).toBe(`GET ${base}/query/v1?token=…&page=… → 500 (expected 200): no`);
    expect(server.requests.at(-1)).toMatchObject({ path: '/query/v1?token=abc123secret&page=2' });
  });
});

describe('requests with a body, and JSON answers', () => {
  beforeEach(() => {
    received = undefined;
  });

  it('sends a JSON body as application/json (as seed 000 tests POST /predict)', async () => {
    const result = await runHttpCheck(check('/predict', { method: 'POST', body: { image: 'https://example.com/cat.jpg', topK: 1 } }));

    expect(result).toMatchObject({ passed: true, detail: expect.stringMatching(/^POST .*\/predict → 200 in \d+ ms$/) });
    expect(received).toEqual({ method: 'POST', contentType: 'application/json', body: '{"image":"https://example.com/cat.jpg","topK":1}' });
  });

  it('sends a string body as it is, with the content type a header gives', async () => {
    await runHttpCheck(check('/predict', { method: 'PUT', body: 'a,b\n1,2', headers: { 'Content-Type': 'text/csv' } }));

    expect(received).toEqual({ method: 'PUT', contentType: 'text/csv', body: 'a,b\n1,2' });
  });

  it('passes when every expectJson path has its value, arrays by index', async () => {
    const expectJson = { 'prediction.label': 'cat', 'items.0.id': 7, 'model.ready': true };

    await expect(runHttpCheck(check('/predict', { method: 'POST', body: {}, expectJson }))).resolves.toMatchObject({ passed: true });
  });

  it('fails naming the path, what it holds and what was expected', async () => {
    const result = await runHttpCheck(check('/predict', { method: 'POST', body: {}, expectJson: { 'prediction.label': 'dog' } }));

    expect(result).toEqual({ passed: false, detail: expect.stringContaining('→ 200 but prediction.label is "cat" (expected "dog")') });
  });

  it('fails on a missing path, and on a body that is not JSON', async () => {
    await expect(runHttpCheck(check('/predict', { method: 'POST', body: {}, expectJson: { 'model.version': 3 } }))).resolves.toMatchObject({ passed: false, detail: expect.stringContaining('model.version is missing') });
    await expect(runHttpCheck(check('/error', { expectStatus: 500, expectJson: { status: 'ok' } }))).resolves.toMatchObject({ passed: false, detail: expect.stringContaining('the body is not JSON: boom') });
  });

  it('refuses, in deployments.yml, a body on a GET and a path that is not one', () => {
    expect(httpSmokeTestSchema.safeParse({ url: `${base}/predict`, body: { a: 1 } }).error?.issues).toEqual([expect.objectContaining({ path: ['body'], message: expect.stringContaining('set method') })]);
    expect(httpSmokeTestSchema.safeParse({ url: `${base}/predict`, expectJson: { '$..label': 'cat' } }).success).toBe(false);
  });
});

describe('redirects', () => {
  it('are not followed: the check fails naming where it pointed, and the target of the redirect is never asked', async () => {
    const before = elsewhere.connections;

    const result = await runHttpCheck(check('/redirect'));

    expect(result).toEqual({
      passed: false,
      detail: `GET ${base}/redirect → 302 redirected to ${elsewhere.base}/login?session=…&next=… — redirects are not followed; point the smoke test at the final URL`,
    });
    expect(elsewhere.connections).toBe(before);
  });

  it('pass when the 3xx is the status expected', async () => {
    await expect(runHttpCheck(check('/moved', { expectStatus: 301 }))).resolves.toMatchObject({ passed: true, detail: expect.stringContaining('→ 301 in') });
  });
});

describe('addresses a smoke test may not reach', () => {
  it.each([
    ['instance metadata', 'http://169.254.169.254/latest/meta-data/iam/security-credentials/', '169.254.169.254 is a link-local address: smoke tests may not reach instance metadata'],
    ['the ECS credentials endpoint', 'http://169.254.170.2/v2/credentials/abc', '169.254.170.2 is a link-local address'],
    ['IPv6 instance metadata', 'http://[fd00:ec2::254]/latest/meta-data/', 'fd00:ec2::254 is an address of the AWS metadata range fd00:ec2::/32'],
    ['another address of the AWS IPv6 range', 'http://[fd00:ec2::23]/', 'fd00:ec2::23 is an address of the AWS metadata range'],
    ['an IPv4-mapped IPv6 metadata address', 'http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe (169.254.169.254) is a link-local address'],
    ['metadata written as one decimal number', 'http://2852039166/latest/meta-data/', '169.254.169.254 is a link-local address'],
    ['metadata written in hex', 'http://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254 is a link-local address'],
    ['metadata written in octal', 'http://0251.0376.0251.0376/', '169.254.169.254 is a link-local address'],
    ['an IPv6 link-local address', 'http://[fe80::1]/', 'fe80::1 is a link-local address'],
    ['the unspecified IPv4 address', 'http://0.0.0.0:8080/', '0.0.0.0 is an unspecified address'],
    ['the unspecified IPv6 address', 'http://[::]:8080/', ':: is an unspecified address'],
  ])('refuses %s before connecting, for good', async (_, url, reason) => {
    const result = await runHttpCheck(unchecked(url));

    expect(result).toMatchObject({ passed: false, final: true, detail: expect.stringContaining(`→ refused: ${reason}`) });
    expect(guard.attempted).toEqual([]);
  });

  it.each([
    ['169.254.169.254', ['169.254.169.254'], 'metadata.smoke.test resolves to 169.254.169.254, a link-local address: smoke tests may not reach instance metadata'],
    ['fd00:ec2::254', ['fd00:ec2::254'], 'metadata.smoke.test resolves to fd00:ec2::254, an address of the AWS metadata range fd00:ec2::/32: smoke tests may not reach instance metadata'],
    ['::ffff:169.254.169.254', ['::ffff:169.254.169.254'], 'metadata.smoke.test resolves to ::ffff:169.254.169.254 (169.254.169.254), a link-local address: smoke tests may not reach instance metadata'],
    ['loopback and a metadata address', ['127.0.0.1', '169.254.169.254'], 'metadata.smoke.test resolves to 169.254.169.254, a link-local address: smoke tests may not reach instance metadata'],
  ])('refuses a host name that resolves to %s when connecting, and sends nothing', async (_, answer, reason) => {
    const dns = answerDns({ 'metadata.smoke.test': answer });
    const before = server.connections;

    const result = await runHttpCheck(unchecked(`http://metadata.smoke.test:${server.port}/ok`));

    expect(result).toEqual({ passed: false, final: true, detail: `GET http://metadata.smoke.test:${server.port}/ok → refused: ${reason}` });
    expect(dns).toHaveBeenCalledWith('metadata.smoke.test', expect.objectContaining({ all: true }), expect.any(Function));
    expect(guard.blocked).toEqual([]);
    expect(server.connections).toBe(before);
  });

  it('reaches a host name that resolves to loopback (through the DNS answer given)', async () => {
    const dns = answerDns({ 'health.smoke.test': ['127.0.0.1'] });

    const result = await runHttpCheck(unchecked(`http://health.smoke.test:${server.port}/ok`));

    expect(result).toMatchObject({ passed: true, detail: expect.stringMatching(new RegExp(`^GET http://health\\.smoke\\.test:${server.port}/ok → 200 in \\d+ ms$`)) });
    expect(dns).toHaveBeenCalledWith('health.smoke.test', expect.anything(), expect.any(Function));
    expect(guard.attempted).toContain('127.0.0.1');
    expect(server.requests.at(-1)).toMatchObject({ path: '/ok', headers: expect.objectContaining({ host: `health.smoke.test:${server.port}` }) });
  });

  it('reaches private and loopback addresses: internal load balancers are normal', async () => {
    await expect(runHttpCheck(check('/ok'))).resolves.toMatchObject({ passed: true });
    expect(guard.attempted).toEqual(['127.0.0.1']);
  });

  describe('the Lambda runtime API', () => {
    let runtimeApi: LocalServer;
    const saved = process.env.AWS_LAMBDA_RUNTIME_API;

    beforeEach(async () => {
      runtimeApi = await startServer((_, response) => response.writeHead(200).end('{"status":"ok"}'));
      process.env.AWS_LAMBDA_RUNTIME_API = `127.0.0.1:${runtimeApi.port}`;
    });

    afterEach(async () => {
      if (saved === undefined) delete process.env.AWS_LAMBDA_RUNTIME_API;
      else process.env.AWS_LAMBDA_RUNTIME_API = saved;
      await runtimeApi.close();
    });

    it.each([
      ['its address and port', (port: number) => `http://127.0.0.1:${port}/2018-06-01/runtime/invocation/next`],
      ['another loopback spelling of it', (port: number) => `http://[::ffff:127.0.0.1]:${port}/2018-06-01/runtime/invocation/next`],
    ])('is refused by %s, and receives nothing', async (_, url) => {
      const result = await runHttpCheck(unchecked(url(runtimeApi.port)));

      expect(result).toMatchObject({ passed: false, final: true, detail: expect.stringContaining(`:${runtimeApi.port} is the Lambda runtime API (AWS_LAMBDA_RUNTIME_API): smoke tests may not reach it`) });
      expect(runtimeApi.connections).toBe(0);
    });

    it('is refused through a host name that resolves to it, and receives nothing', async () => {
      answerDns({ 'runtime.smoke.test': ['127.0.0.1'] });

      const result = await runHttpCheck(unchecked(`http://runtime.smoke.test:${runtimeApi.port}/2018-06-01/runtime/invocation/next`));

      expect(result).toMatchObject({
        passed: false,
        final: true,
        detail: expect.stringContaining(`refused: runtime.smoke.test resolves to 127.0.0.1, and 127.0.0.1:${runtimeApi.port} is the Lambda runtime API`),
      });
      expect(runtimeApi.connections).toBe(0);
    });

    it('leaves other ports of loopback reachable', async () => {
      await expect(runHttpCheck(check('/ok'))).resolves.toMatchObject({ passed: true });
      expect(runtimeApi.connections).toBe(0);
    });
  });
});

describe('displayUrl', () => {
  it('drops user, password, fragment and query values', () => {
    expect(displayUrl(new URL('https://ci:pw@api.internal:8443/v1/health?token=abc&v=2&v=3#x'))).toBe('https://api.internal:8443/v1/health?token=…&v=…');
  });
});

describe('runSmokeTestRound', () => {
  it('asks to wait the shortest interval of the checks still failing', async () => {
    const tests = [httpCheck(check('/ok')), httpCheck(check('/error', { attempts: 3, intervalSeconds: 7 }))];

    const round = await runSmokeTestRound(tests, undefined);

    expect(round).toMatchObject({ allPassed: false, retryAfterSeconds: 7, checks: [{ passed: true, attempts: 1 }, { passed: false, attempts: 1 }] });
  });

  it('does not repeat a check that passed in an earlier round', async () => {
    const tests = [httpCheck(check('/error', { attempts: 1 }))];

    const round = await runSmokeTestRound(tests, { checks: [{ passed: true, attempts: 2 }], allPassed: true, retryAfterSeconds: 0 });

    expect(round.allPassed).toBe(true);
  });

  it('throws SmokeTestFailed when a check is out of attempts', async () => {
    const tests = [httpCheck(check('/error', { attempts: 2 }))];

    await expect(runSmokeTestRound(tests, { checks: [{ passed: false, attempts: 1 }], allPassed: false, retryAfterSeconds: 10 })).rejects.toMatchObject({
      name: 'SmokeTestFailed',
      message: expect.stringContaining('(after 2 attempts)'),
    });
  });

  it('fails at once on a refused address, with attempts left: a later attempt must not turn it into a pass', async () => {
    const tests = [httpCheck({ ...unchecked('http://169.254.169.254/latest/meta-data/'), attempts: 5 })];

    await expect(runSmokeTestRound(tests, undefined)).rejects.toMatchObject({
      name: 'SmokeTestFailed',
      message: expect.stringContaining('refused: 169.254.169.254 is a link-local address: smoke tests may not reach instance metadata (after 1 attempt)'),
    });
    expect(guard.attempted).toEqual([]);
  });

  it('passes at once with no smoke tests configured', async () => {
    await expect(runSmokeTestRound([], undefined)).resolves.toEqual({ checks: [], allPassed: true, retryAfterSeconds: 0 });
  });
});
