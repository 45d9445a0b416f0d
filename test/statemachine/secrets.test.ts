import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { forgetSecrets } from '../../functions/shared/secrets';
import { captureLogs } from '../support/logs';
import { createSampleWorld, digest, eventStatuses, executionInput, runDeployment, streamMlTarget, STREAM_ML } from '../support/world';
import type { LocalRunResult } from '../../local/state-machine';

/**
 * A smoke test whose Authorization header comes from Secrets Manager, against a service that
 * answers 500 and echoes the header back: the deployment uses the secret, fails, rolls back,
 * and the value appears in none of the execution's states, its events or the logs.
 */

// Not a shape the redaction knows (such as "Bearer …"): only knowing the value read can remove it.
const SECRET_VALUE = 'ApiKey s3cr3t-Smoke-Token-9f8e7d6c';
const secretsMock = mockClient(SecretsManagerClient);
let account: SimulatedAwsAccount;
let server: Server;
let seen: IncomingHttpHeaders[];
let url: string;

beforeEach(async () => {
  forgetSecrets();
  secretsMock.reset();
  secretsMock.on(GetSecretValueCommand, { SecretId: 'web/smoke-token' }).resolves({ SecretString: SECRET_VALUE });
  seen = [];
  server = createServer((request, response) => {
    seen.push(request.headers);
    response.writeHead(500, { 'content-type': 'text/plain' }).end(`unauthorized: you sent ${request.headers.authorization ?? 'nothing'}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
});

afterEach(async () => {
  account.restore();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('a smoke-test header secret', () => {
  it('is sent to the service, and appears in no state, event or log line of the deployment it fails', async () => {
    account = createSampleWorld();
    const target = streamMlTarget({ smokeTests: [{ http: { url, headers: { Authorization: { secret: 'web/smoke-token' } }, attempts: 2, intervalSeconds: 0 } }] });

    let result: LocalRunResult | undefined;
    const logs = await captureLogs(async () => {
      result = await runDeployment(executionInput(account, target, digest('stream-ml-secret-header')));
    });

    expect(seen.map((headers) => headers.authorization)).toEqual([SECRET_VALUE, SECRET_VALUE]);
    expect(eventStatuses(account)).toEqual(['STARTED', 'ROLLING_BACK', 'ROLLED_BACK']);
    expect(account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.revision).toBe(1);
    const history = JSON.stringify(result?.events);
    expect(history).toContain('500 (expected 200): unauthorized: you sent [redacted]');
    expect(history).toContain('web/smoke-token');
    for (const text of [history, JSON.stringify(account.events), logs]) {
      expect(text).not.toContain('s3cr3t-Smoke-Token');
    }
    expect(logs).toContain('step failed');
  });
});
