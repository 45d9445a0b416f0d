import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 standing in for Slack: incoming webhooks (any path
 * under /services/) and the Web API (/api/<method>). It records every request and
 * answers from a script per path, then with Slack's success answer.
 */

interface RecordedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed body: JSON for webhooks, JSON or form fields for the Web API. */
  body: Record<string, unknown>;
}

interface ScriptedAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

interface FakeSlack {
  /** `http://127.0.0.1:<port>`. */
  base: string;
  /** A webhook URL on this server, like https://hooks.slack.com/services/T…/B…/<secret>. */
  webhookUrl: (name?: string) => string;
  /** The Web API base URL (SLACK_API_URL). */
  apiUrl: string;
  requests: RecordedRequest[];
  /** Requests to one path, in order. */
  requestsTo: (path: string) => RecordedRequest[];
  /** Answers the next requests to `path` with these, in order. */
  script: (path: string, ...answers: ScriptedAnswer[]) => void;
  reset: () => void;
  close: () => Promise<void>;
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (!raw) return {};
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    // The Web API client sends form fields, with blocks as JSON text.
    return Object.fromEntries([...new URLSearchParams(raw).entries()].map(([key, value]) => [key, /^[[{]/.test(value) ? (JSON.parse(value) as unknown) : value]));
  }
  return JSON.parse(raw) as Record<string, unknown>;
}

async function startFakeSlack(): Promise<FakeSlack> {
  const requests: RecordedRequest[] = [];
  const scripts = new Map<string, ScriptedAnswer[]>();
  let messages = 0;

  const success = (path: string, body: Record<string, unknown>): ScriptedAnswer => {
    if (path === '/api/chat.postMessage') {
      messages += 1;
      return { status: 200, body: JSON.stringify({ ok: true, channel: 'C0DEPLOYS', ts: `1700000000.${String(messages).padStart(6, '0')}`, message: { text: body.text } }) };
    }
    if (path.startsWith('/api/')) return { status: 200, body: JSON.stringify({ ok: true, channel: body.channel, ts: body.ts }) };
    return { status: 200, body: 'ok' };
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      const body = parseBody(Buffer.concat(chunks).toString('utf8'), request.headers['content-type']);
      requests.push({ path, headers: request.headers, body });
      const answer = scripts.get(path)?.shift() ?? success(path, body);
      const contentType = answer.body.startsWith('{') ? 'application/json' : 'text/plain';
      response.writeHead(answer.status, { 'content-type': contentType, ...answer.headers }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    base,
    webhookUrl: (name = 'deploys') => `${base}/services/T0TEAM/B0${name.toUpperCase()}/s3cr3tW3bh00kT0k3n${name}`,
    apiUrl: `${base}/api/`,
    requests,
    requestsTo: (path) => requests.filter((request) => request.path === path),
    script: (path, ...answers) => scripts.set(path, [...(scripts.get(path) ?? []), ...answers]),
    reset: () => {
      requests.length = 0;
      scripts.clear();
      messages = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export { startFakeSlack };
export type { FakeSlack, RecordedRequest, ScriptedAnswer };
