import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { httpSmokeTestSchema } from '../../../functions/config/schema';
import { runHttpCheck } from '../../../functions/smoke/http';
import { httpCheck, runSmokeTestRound } from '../../../functions/smoke/run';
import { forgetHeaderSecrets } from '../../../functions/smoke/secrets';
import { logger } from '../../../functions/shared/logger';
import { step } from '../../../functions/shared/step';
import { guardConnections, startServer, type LocalServer } from './support/network';
import { captureLogs } from '../../support/logs';

const secretsMock = mockClient(SecretsManagerClient);
const ssmMock = mockClient(SSMClient);

const API_KEY = 'k3y-9f8e7d6c5b4a-smoke';
const SESSION = 'sess10n=Zm9vYmFyYmF6cXV4';

/** Answers 401 quoting every header it got (as some error pages do), except on /ok. */
let server: LocalServer;

beforeAll(async () => {
  server = await startServer((request, response) => {
    if (request.url === '/ok') {
      response.writeHead(200).end('{"status":"ok"}');
      return;
    }
    const echoed = `unauthorized: x-api-key=${String(request.headers['x-api-key'])} cookie=${String(request.headers.cookie)} encoded=${encodeURIComponent(String(request.headers['x-api-key']))}`;
    response.writeHead(401).end(echoed);
  });
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  secretsMock.reset();
  ssmMock.reset();
  forgetHeaderSecrets();
  guardConnections();
});

const check = (path: string, extra: Record<string, unknown> = {}) =>
  httpSmokeTestSchema.parse({
    url: `${server.base}${path}`,
    headers: { 'X-Api-Key': { secret: 'ecr-deployer/smoke-api-key' }, 'Cookie': { secret: 'ssm:/ecr-deployer/smoke-session' }, 'X-Smoke-Test': '1' },
    ...extra,
  });

function storeSecrets(): void {
  secretsMock.on(GetSecretValueCommand, { SecretId: 'ecr-deployer/smoke-api-key' }).resolves({ SecretString: `${API_KEY}\n` });
  ssmMock.on(GetParameterCommand, { Name: '/ecr-deployer/smoke-session', WithDecryption: true }).resolves({ Parameter: { Name: '/ecr-deployer/smoke-session', Type: 'SecureString', Value: SESSION } });
}

const secretsIn = (text: string): string[] => [API_KEY, SESSION, encodeURIComponent(API_KEY), 'Zm9vYmFyYmF6cXV4'].filter((secret) => text.includes(secret));

describe('header secrets', () => {
  it('are read from Secrets Manager and SSM (decrypted) and sent', async () => {
    storeSecrets();

    const result = await runHttpCheck(check('/ok'));

    expect(result).toMatchObject({ passed: true });
    expect(server.requests.at(-1)?.headers).toMatchObject({ 'x-api-key': API_KEY, 'cookie': SESSION, 'x-smoke-test': '1' });
    expect(secretsMock).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'ecr-deployer/smoke-api-key' });
    expect(ssmMock).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/ecr-deployer/smoke-session', WithDecryption: true });
  });

  it('are read once and then served from the cache', async () => {
    storeSecrets();

    await runHttpCheck(check('/ok'));
    await runHttpCheck(check('/ok'));

    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(ssmMock).toHaveReceivedCommandTimes(GetParameterCommand, 1);
  });

  it('never appear in the detail, the thrown error or the logs, even when the server echoes them back', async () => {
    storeSecrets();
    const outcomes: string[] = [];

    const logs = await captureLogs(async () => {
      const result = await runHttpCheck(check('/echo'));
      outcomes.push(result.detail);
      const round = step('RunSmokeTests', () => runSmokeTestRound([httpCheck(check('/echo', { attempts: 1 }))], undefined));
      await round(undefined).catch((error: Error) => outcomes.push(`${error.name}: ${error.message}\n${error.stack ?? ''}`));
      logger.info(`a line that quotes the key: ${API_KEY}`);
    });

    expect(server.requests.at(-1)?.headers).toMatchObject({ 'x-api-key': API_KEY });
    expect(outcomes[0]).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/echo → 401 \(expected 200\): unauthorized: x-api-key=\[redacted\] cookie=\[redacted\]/);
    expect(outcomes[1]).toContain('SmokeTestFailed: GET');
    expect(logs).toContain('step failed');
    expect(logs).toContain('a line that quotes the key: [redacted]');
    expect(secretsIn(outcomes.join('\n'))).toEqual([]);
    expect(secretsIn(logs)).toEqual([]);
  });

  it('fail the check for good, naming the header and the secret (never a value), and send nothing when the secret is missing', async () => {
    secretsMock.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
    const before = server.connections;

    const result = await runHttpCheck(check('/ok'));

    expect(result).toEqual({
      passed: false,
      final: true,
      detail: `GET ${server.base}/ok → header X-Api-Key: cannot read the header secret ecr-deployer/smoke-api-key: ResourceNotFoundException: Secrets Manager can't find the specified secret.`,
    });
    expect(server.connections).toBe(before);
  });

  it('throw AwsTransientError when Secrets Manager throttles, so the state machine retries the step; nothing is sent', async () => {
    secretsMock.on(GetSecretValueCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    const before = server.connections;

    await expect(runHttpCheck(check('/ok'))).rejects.toMatchObject({ name: 'AwsTransientError', message: expect.stringContaining('ecr-deployer/smoke-api-key: ThrottlingException') });
    expect(server.connections).toBe(before);
  });

  it('fail the check when the secret is empty', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '  ' });
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: SESSION } });

    await expect(runHttpCheck(check('/ok'))).resolves.toMatchObject({ passed: false, final: true, detail: expect.stringContaining('the header secret ecr-deployer/smoke-api-key is empty') });
  });
});
