import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpSmokeTestSchema } from '../../../functions/config/schema';
import { runHttpCheck } from '../../../functions/smoke/http';
import { httpCheck, runSmokeTestRound } from '../../../functions/smoke/run';

/** A real HTTP server on 127.0.0.1 with a route per behaviour. */
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/ok') response.writeHead(200).end('{"status":"ok"}');
    else if (request.url === '/degraded') response.writeHead(200).end('{"status":"degraded"}');
    else if (request.url === '/error') response.writeHead(500).end('boom\n  trace line');
    else if (request.url === '/redirect') response.writeHead(302, { location: '/ok' }).end();
    else if (request.url === '/slow') setTimeout(() => response.writeHead(200).end('late'), 3000);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const check = (path: string, extra: Record<string, unknown> = {}) => httpSmokeTestSchema.parse({ url: `${base}${path}`, ...extra });

describe('runHttpCheck', () => {
  it('passes on the expected status and body', async () => {
    await expect(runHttpCheck(check('/ok', { bodyContains: '"ok"' }))).resolves.toMatchObject({ passed: true });
  });

  it('fails on another status and quotes the start of the body', async () => {
    await expect(runHttpCheck(check('/error'))).resolves.toEqual({ passed: false, detail: `GET ${base}/error → 500 (expected 200): boom trace line` });
  });

  it('fails when the body lacks the expected text', async () => {
    await expect(runHttpCheck(check('/degraded', { bodyContains: '"ok"' }))).resolves.toMatchObject({ passed: false, detail: expect.stringContaining('200 but body lacks') });
  });

  it('does not follow redirects: a login page must not pass a health check', async () => {
    await expect(runHttpCheck(check('/redirect'))).resolves.toMatchObject({ passed: false, detail: expect.stringContaining('302') });
  });

  it('gives up after the per-request timeout', async () => {
    await expect(runHttpCheck(check('/slow', { timeoutSeconds: 1 }))).resolves.toMatchObject({ passed: false, detail: expect.stringContaining('no answer within 1 s') });
  });

  it('fails, without throwing, when nothing listens', async () => {
    await expect(runHttpCheck(httpSmokeTestSchema.parse({ url: 'http://127.0.0.1:9/health', timeoutSeconds: 2 }))).resolves.toMatchObject({ passed: false });
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

  it('passes at once with no smoke tests configured', async () => {
    await expect(runSmokeTestRound([], undefined)).resolves.toEqual({ checks: [], allPassed: true, retryAfterSeconds: 0 });
  });
});
