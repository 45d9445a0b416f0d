import { parseDeploymentsYaml } from '../../../functions/config/load';
import { isCredentialHeader, smokeTestSecretReferences } from '../../../functions/smoke/headers';

describe('smokeTestSecretReferences', () => {
  it('lists every secret the HTTP smoke tests read their headers from, once each, and nothing else', () => {
    const config = parseDeploymentsYaml(
      [
        'targets:',
        '  - name: web',
        '    repository: web',
        '    ecs: { cluster: c, service: s }',
        '    smokeTests:',
        '      - http: { url: "https://web.internal/health", headers: { Authorization: { secret: "ecr-deployer/web-token" }, X-Smoke-Test: "1" } }',
        '      - http: { url: "https://web.internal/ready", headers: { Cookie: { secret: "ssm:/smoke/web-cookie" } } }',
        '  - name: api',
        '    repository: api',
        '    lambda: { function: api, alias: live }',
        '    smokeTests:',
        '      - invoke: { payload: { ping: true } }',
        '      - http: { url: "https://api.internal/health", headers: { Authorization: { secret: "ecr-deployer/web-token" }, X-Api-Key: { secret: "shared/api-key" } } }',
        '  - name: jobs',
        '    repository: jobs',
        '    batch: { jobDefinition: jobs }',
        '    smokeTests: [{ batchJob: { jobQueue: q } }]',
        'notifications: { slack: { webhookSecret: ecr-deployer/slack-webhook } }',
      ].join('\n'),
    );

    expect(smokeTestSecretReferences(config)).toEqual([
      'ecr-deployer/web-token',
      'ssm:/smoke/web-cookie',
      'shared/api-key',
    ]);
  });

  it('lists none when no header comes from a secret', () => {
    const config = parseDeploymentsYaml('targets:\n  - { name: web, repository: web, ecs: { cluster: c, service: s }, smokeTests: [{ http: { url: "http://web/", headers: { Accept: "text/plain" } } }] }\n');

    expect(smokeTestSecretReferences(config)).toEqual([]);
  });
});

describe('isCredentialHeader', () => {
  it.each([['Authorization'], ['proxy-authorization'], ['COOKIE'], ['x-api-key'], ['X-Auth-Token'], ['X-Client-Secret'], ['Api-Key'], ['X-Password'], ['X-Amz-Security-Token']])('takes %s for a credential', (name) => {
    expect(isCredentialHeader(name)).toBe(true);
  });

  it.each([['Accept'], ['X-Smoke-Test'], ['User-Agent'], ['Host'], ['X-Request-Id']])('takes %s for an ordinary header', (name) => {
    expect(isCredentialHeader(name)).toBe(false);
  });
});
