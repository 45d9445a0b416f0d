import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handler } from '../../../functions/handlers/slack-notifier';
import { notifySlack } from '../../../functions/notifications/notify';
import { forgetSlackSecrets } from '../../../functions/notifications/secrets';
import { fakeClock } from './support/clock';
import { configWith, eventBridgeEnvelope, eventFor } from './support/events';
import { useFreshTables } from '../../support/dynamodb';
import { lambdaContext } from '../../support/lambda-context';
import { startFakeSlack, type FakeSlack } from './support/slack-server';
import { captureLogs } from '../../support/logs';

const secretsMock = mockClient(SecretsManagerClient);
const ssmMock = mockClient(SSMClient);

const WEBHOOK = '/services/T0TEAM/B0DEPLOYS/s3cr3tW3bh00kT0k3ndeploys';
const TOKEN = 'xoxb-000-111-s3cr3tB0tT0k3n';
const DEV = { target: 'web-dev', environment: 'dev', deploymentId: 'web-dev-7f5b2640fe6fb4f46592dfd3410c4a79' };

let slack: FakeSlack;
let dir: string;
useFreshTables();
const saved = { DEPLOYMENTS_FILE: process.env.DEPLOYMENTS_FILE, SLACK_API_URL: process.env.SLACK_API_URL };

beforeAll(async () => {
  slack = await startFakeSlack();
  dir = mkdtempSync(join(tmpdir(), 'ecr-deployer-notifier-'));
  const file = join(dir, 'deployments.yml');
  writeFileSync(
    file,
    [
      'targets:',
      '  - { name: stream-ml-service, repository: stream-ml-service, environment: prod, ecs: { cluster: c, service: s } }',
      '  - name: web-dev',
      '    repository: web',
      '    environment: dev',
      '    ecs: { cluster: c, service: web-dev }',
      '    notifications:',
      '      slack: { botTokenSecret: "ssm:/ecr-deployer/slack-bot", channel: "#dev-deploys" }',
      'notifications:',
      '  slack: { webhookSecret: ecr-deployer/slack-webhook }',
    ].join('\n'),
  );
  process.env.DEPLOYMENTS_FILE = file;
  process.env.SLACK_API_URL = slack.apiUrl;
});

afterAll(async () => {
  await slack.close();
  rmSync(dir, { recursive: true, force: true });
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

beforeEach(() => {
  slack.reset();
  secretsMock.reset();
  ssmMock.reset();
  forgetSlackSecrets();
  secretsMock.on(GetSecretValueCommand).resolves({ SecretString: slack.webhookUrl('deploys') });
  ssmMock.on(GetParameterCommand).resolves({ Parameter: { Type: 'SecureString', Value: TOKEN } });
});

describe('slack-notifier handler', () => {
  it('posts a deployment event delivered by EventBridge to Slack', async () => {
    const result = await handler(eventBridgeEnvelope(eventFor('SUCCEEDED')), lambdaContext());

    expect(result).toEqual({ outcome: 'sent', via: 'webhook' });
    expect(slack.requestsTo(WEBHOOK)).toHaveLength(1);
  });

  it('uses the target’s bot token and channel where it has its own', async () => {
    const result = await handler(eventBridgeEnvelope(eventFor('FAILED', DEV)), lambdaContext());

    expect(result).toEqual({ outcome: 'sent', via: 'new-message' });
    expect(slack.requestsTo('/api/chat.postMessage')[0]?.body).toMatchObject({ channel: '#dev-deploys' });
  });

  it('returns, instead of throwing, when Slack rejects the message for good: the event is not retried', async () => {
    slack.script(WEBHOOK, { status: 410, body: 'channel_is_archived' });

    const result = await handler(eventBridgeEnvelope(eventFor('FAILED')), lambdaContext());

    expect(result).toEqual({ outcome: 'rejected', reason: expect.stringContaining('SlackWebhookRejected: Slack rejected the webhook message (HTTP 410 channel_is_archived)') });
  });

  it('logs a rejection once: EventBridge delivering the event again gets a duplicate, neither sent nor logged as an error', async () => {
    slack.script(WEBHOOK, { status: 410, body: 'channel_is_archived' });
    const event = eventBridgeEnvelope(eventFor('FAILED'));
    const results: unknown[] = [];

    const logs = await captureLogs(async () => {
      results.push(await handler(event, lambdaContext()));
      results.push(await handler(event, lambdaContext()));
    });

    expect(results).toEqual([{ outcome: 'rejected', reason: expect.stringContaining('HTTP 410') }, { outcome: 'duplicate' }]);
    expect(slack.requestsTo(WEBHOOK)).toHaveLength(1);
    expect(logs.match(/failed for good/g)).toHaveLength(1);
  });

  it('returns, instead of throwing, when the secret cannot be read', async () => {
    secretsMock.on(GetSecretValueCommand).rejects(Object.assign(new Error('not authorized to perform: secretsmanager:GetSecretValue'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));

    const result = await handler(eventBridgeEnvelope(eventFor('FAILED')), lambdaContext());

    expect(result).toEqual({ outcome: 'rejected', reason: expect.stringContaining('SlackConfigurationError: cannot read the Slack secret ecr-deployer/slack-webhook: AccessDeniedException') });
  });

  it('throws what a retry may fix, so that Lambda retries the event', async () => {
    // DynamoDB throttling, which the local table never does: the one fault injected by mocking the client.
    const dynamoMock = mockClient(DynamoDBClient);
    dynamoMock.on(PutItemCommand).rejects(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

    try {
      await expect(handler(eventBridgeEnvelope(eventFor('FAILED')), lambdaContext())).rejects.toMatchObject({ name: 'AwsThrottled' });
    } finally {
      dynamoMock.restore();
    }
    expect(slack.requests).toHaveLength(0);
  });

  it('ignores an event that is not a deployment event', async () => {
    const result = await handler({ 'source': 'aws.ecr', 'detail-type': 'ECR Image Action', 'detail': {} }, lambdaContext());

    expect(result).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('not an ecr-deployer "Deployment State Change" event') });
    expect(slack.requests).toHaveLength(0);
  });
});

describe('the webhook URL and the bot token', () => {
  const secretsIn = (text: string): string[] => ['s3cr3tW3bh00kT0k3n', 's3cr3tB0tT0k3n', slack.webhookUrl('deploys'), TOKEN].filter((secret) => text.includes(secret));

  it('never appear in logs, results or error messages, whatever Slack answers', async () => {
    const outputs: unknown[] = [];
    const clock = fakeClock();
    const config = configWith({ slack: { webhookSecret: 'ecr-deployer/slack-webhook' } }, { 'web-dev': { slack: { botTokenSecret: 'ssm:/slack-bot', channel: '#dev' } } });

    const logs = await captureLogs(async () => {
      outputs.push(await handler(eventBridgeEnvelope(eventFor('STARTED')), lambdaContext()));
      slack.script(WEBHOOK, { status: 404, body: 'no_service' });
      outputs.push(await handler(eventBridgeEnvelope(eventFor('SUCCEEDED')), lambdaContext()));
      slack.script(WEBHOOK, { status: 429, body: 'rate_limited', headers: { 'Retry-After': '600' } });
      outputs.push(await handler(eventBridgeEnvelope(eventFor('ROLLING_BACK')), lambdaContext()).catch((error: Error) => `${error.name}: ${error.message}`));
      slack.script('/api/chat.postMessage', { status: 200, body: JSON.stringify({ ok: false, error: 'invalid_auth' }) });
      outputs.push(await handler(eventBridgeEnvelope(eventFor('FAILED', DEV)), lambdaContext()));
      outputs.push(await handler(eventBridgeEnvelope(eventFor('ROLLED_BACK', DEV)), lambdaContext()));
      slack.script('/api/chat.update', { status: 400, body: 'bad request' });
      outputs.push(await handler(eventBridgeEnvelope(eventFor('ROLLBACK_FAILED', DEV)), lambdaContext()));
      // A webhook that does not answer: network errors quote the host, never the path.
      secretsMock.on(GetSecretValueCommand).resolves({ SecretString: 'http://127.0.0.1:9/services/T0TEAM/B0GONE/s3cr3tW3bh00kT0k3ngone' });
      forgetSlackSecrets();
      outputs.push(await notifySlack(eventFor('ROLLED_BACK'), { config, clock, lambdaContext: lambdaContext() }).catch((error: Error) => `${error.name}: ${error.message}`));
    });

    expect(slack.requests.length).toBeGreaterThanOrEqual(6);
    expect(outputs).toEqual([
      { outcome: 'sent', via: 'webhook' },
      { outcome: 'rejected', reason: expect.stringContaining('HTTP 404 no_service') },
      expect.stringContaining('SlackUnavailable'),
      { outcome: 'rejected', reason: expect.stringContaining('invalid_auth') },
      { outcome: 'sent', via: 'new-message' },
      { outcome: 'sent', via: 'thread-reply' },
      expect.stringContaining('did not answer'),
    ]);
    expect(logs).toContain('web-dev');
    expect(logs).toContain('slack notification for stream-ml-service failed for good');
    expect(secretsIn(logs)).toEqual([]);
    expect(secretsIn(JSON.stringify(outputs))).toEqual([]);
    expect(JSON.stringify(outputs)).not.toContain('s3cr3tW3bh00kT0k3ngone');
    expect(logs).not.toContain('s3cr3tW3bh00kT0k3ngone');
  });
});
