import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface HealthResponse {
  status: number;
  body: string;
}

interface RunningHealthServer {
  url: string;
  requests: number;
  close: () => Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 (a free port) standing in for a service's
 * health endpoint: `respond` decides each answer, e.g. from what the simulated
 * account runs now.
 */
async function startHealthServer(respond: () => HealthResponse, path = '/health'): Promise<RunningHealthServer> {
  const state = { requests: 0 };
  const server: Server = createServer((request, response) => {
    state.requests += 1;
    if (request.url !== path) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const answer = respond();
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

export { startHealthServer };
export type { HealthResponse, RunningHealthServer };
