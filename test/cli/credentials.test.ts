import { CredentialsProviderError } from '@smithy/core/config';
import { runCli } from './support';

/**
 * The CLI with real SDK clients and no mocks: what a person sees when the
 * credential chain or the region is missing. The endpoint is 127.0.0.1 and the
 * failures happen before any request is signed, so nothing is sent anywhere.
 */

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:ecr-deployer-prod-deploy';
const LOCAL_ENDPOINT = 'http://127.0.0.1:9';

describe('without credentials', () => {
  it('says to configure credentials, and how, with exit code 1', async () => {
    const noCredentials = () => Promise.reject(new CredentialsProviderError('Could not load credentials from any providers', { tryNextLink: false }));

    const result = await runCli(['status', '--region', 'us-east-1', '--endpoint-url', LOCAL_ENDPOINT, '--state-machine-arn', STATE_MACHINE], { credentials: noCredentials });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: no AWS credentials found (Could not load credentials from any providers).');
    expect(result.stderr).toContain('Configure credentials: set AWS_PROFILE to a profile from `aws configure`');
    expect(result.stderr).toContain('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    expect(result.stderr).toContain('add --local');
    expect(result.stdout).toBe('');
  });
});

describe('without a region', () => {
  const saved = { ...process.env };

  afterEach(() => {
    process.env = { ...saved };
  });

  it('says where to set one, with exit code 1', async () => {
    // Nothing the SDK could read a region from: no environment, no config file.
    for (const key of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[key];
    process.env.AWS_CONFIG_FILE = '/nonexistent/ecr-deployer-test/config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/ecr-deployer-test/credentials';

    const result = await runCli(['status', '--endpoint-url', LOCAL_ENDPOINT, '--state-machine-arn', STATE_MACHINE], {
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: no AWS region: pass --region, set AWS_REGION, or set a region in your profile (`aws configure`).');
  });
});
