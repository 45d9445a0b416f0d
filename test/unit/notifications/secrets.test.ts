import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { extractSlackSecret, forgetSlackSecrets, loadSlackSecret } from '../../../functions/notifications/secrets';

const secretsMock = mockClient(SecretsManagerClient);
const ssmMock = mockClient(SSMClient);
const URL_VALUE = 'https://hooks.slack.com/services/T0TEAM/B0DEPLOYS/s3cr3tW3bh00k';

beforeEach(() => {
  secretsMock.reset();
  ssmMock.reset();
  forgetSlackSecrets();
});

describe('loadSlackSecret', () => {
  it('reads a Secrets Manager secret by name', async () => {
    secretsMock.on(GetSecretValueCommand, { SecretId: 'ecr-deployer/slack-webhook' }).resolves({ SecretString: URL_VALUE });

    await expect(loadSlackSecret('ecr-deployer/slack-webhook', 'webhook')).resolves.toBe(URL_VALUE);
  });

  it('reads an SSM SecureString, decrypted', async () => {
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Name: '/slack/bot', Type: 'SecureString', Value: 'xoxb-1-2-abc' } });

    await expect(loadSlackSecret('ssm:/slack/bot', 'bot')).resolves.toBe('xoxb-1-2-abc');
    expect(ssmMock).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/slack/bot', WithDecryption: true });
  });

  it('reads the secret once and serves it from the cache afterwards', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: URL_VALUE });

    await loadSlackSecret('slack/webhook', 'webhook');
    await loadSlackSecret('slack/webhook', 'webhook');

    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('reads the secret again after the cache is dropped', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: URL_VALUE });

    await loadSlackSecret('slack/webhook', 'webhook');
    forgetSlackSecrets();
    await loadSlackSecret('slack/webhook', 'webhook');

    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('throws SlackConfigurationError naming the reference when the secret does not exist', async () => {
    secretsMock.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));

    await expect(loadSlackSecret('slack/missing', 'webhook')).rejects.toMatchObject({
      name: 'SlackConfigurationError',
      message: expect.stringContaining('cannot read the Slack secret slack/missing: ResourceNotFoundException'),
    });
  });

  it('throws AwsTransientError when Secrets Manager throttles, so the event is retried', async () => {
    secretsMock.on(GetSecretValueCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

    await expect(loadSlackSecret('slack/webhook', 'webhook')).rejects.toMatchObject({ name: 'AwsTransientError' });
  });
});

describe('extractSlackSecret', () => {
  it.each([
    ['plain text', `  ${URL_VALUE}\n`],
    ['JSON with webhookUrl', JSON.stringify({ webhookUrl: URL_VALUE })],
    ['JSON with url', JSON.stringify({ url: URL_VALUE, note: 'deploys' })],
    ['bytes', new TextEncoder().encode(URL_VALUE)],
  ])('takes a webhook URL stored as %s', (_, raw) => {
    expect(extractSlackSecret(raw, 'webhook', 'slack/webhook')).toBe(URL_VALUE);
  });

  it('takes a bot token stored as JSON with botToken', () => {
    expect(extractSlackSecret(JSON.stringify({ botToken: 'xoxb-1-2-abc' }), 'bot', 'slack/bot')).toBe('xoxb-1-2-abc');
  });

  it.each([
    ['not a URL', 'hooks.slack.com/services/T/B/s3cr3tW3bh00k', 'it is not an http(s) URL'],
    ['broken JSON', '{"webhookUrl": "https://hooks.slack.com/services/T/B/s3cr3tW3bh00k"', 'not valid JSON'],
    ['JSON without a known key', '{"hook": "https://hooks.slack.com/services/T/B/s3cr3tW3bh00k"}', 'without a "webhookUrl" or "webhook_url" or "url" key'],
    ['empty', '  ', 'it is empty'],
  ])('refuses %s, naming the reference and never the value', (_, raw, reason) => {
    let thrown: unknown;
    try {
      extractSlackSecret(raw, 'webhook', 'slack/webhook');
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toMatchObject({ name: 'SlackConfigurationError', message: expect.stringContaining(reason) });
    expect((thrown as Error).message).toContain('slack/webhook');
    expect((thrown as Error).message).not.toContain('s3cr3tW3bh00k');
  });
});
