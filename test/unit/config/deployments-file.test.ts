import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deploymentsJsonSchema } from '../../../functions/config/json-schema';
import { loadDeploymentsFile, parseDeploymentsYaml } from '../../../functions/config/load';

const ROOT = join(__dirname, '..', '..', '..');

const minimal = (ecs: string, extra = '') => `targets:\n  - name: web\n    repository: web\n    ecs: ${ecs}\n${extra}`;

describe('deployments.yml', () => {
  it('the shipped file is valid', () => {
    const config = loadDeploymentsFile(join(ROOT, 'deployments.yml'));

    expect(config.targets.map((t) => t.name)).toEqual(['stream-ml-service', 'canvas-service', 'orchestrator', 'splitter', 'ml-inference', 'splitter-staging', 'splitter-prod']);
  });

  it('fills in defaults a user may leave out', () => {
    const config = parseDeploymentsYaml(minimal('{ cluster: main, service: web }'));

    expect(config.targets[0]).toMatchObject({
      tags: ['*'],
      environment: 'default',
      rollout: { timeoutSeconds: 900, rollbackTimeoutSeconds: 900, pollSeconds: 15 },
      smokeTests: [],
    });
  });

  it.each([
    ['a missing field', minimal('{ service: web }'), 'targets[0].ecs.cluster'],
    ['a misspelt field', minimal('{ cluster: main, service: web, containre: [app] }'), 'Unrecognized key: "containre"'],
    ['a bad target name', 'targets:\n  - name: Web_App\n    repository: web\n    ecs: { cluster: c, service: s }\n', 'targets[0].name: must be 1-40 characters'],
    ['a smoke test URL that is not http', minimal('{ cluster: c, service: s }', '    smokeTests: [{ http: { url: "ftp://x/health" } }]\n'), 'targets[0].smokeTests[0].http.url: must be an http:// or https:// URL'],
    ['two targets with one name', `${minimal('{ cluster: c, service: s }')}  - name: web\n    repository: web2\n    ecs: { cluster: c, service: t }\n`, 'targets[1].name: duplicate target name "web"'],
    ['no targets', 'targets: []\n', 'targets: Too small'],
    ['a wait that would poll too often', minimal('{ cluster: c, service: s }', '    rollout: { timeoutSeconds: 7200, pollSeconds: 1 }\n'), 'targets[0].rollout.pollSeconds: at most 1000 polls per wait'],
    ['two kinds in one target', minimal('{ cluster: c, service: s }', '    batch: { jobDefinition: j }\n'), 'targets[0]: give exactly one of ecs, batch, lambda (found ecs and batch)'],
    [
      'a test-traffic smoke test on a Lambda target',
      'targets:\n  - name: fn\n    repository: fn\n    lambda: { function: fn }\n    smokeTests: [{ http: { url: "https://fn.example.com/health", stage: test-traffic } }]\n',
      "targets[0].smokeTests[0].http.stage: test-traffic smoke tests need an ECS target on ECS's BLUE_GREEN, LINEAR or CANARY strategy",
    ],
    ['a batchJob smoke test on an ECS target', minimal('{ cluster: c, service: s }', '    smokeTests: [{ batchJob: { jobQueue: q } }]\n'), 'targets[0].smokeTests[0].batchJob: a batchJob smoke test needs a batch target'],
    ['YAML that does not parse', 'targets: [\n', 'is not valid YAML'],
    [
      'two targets of one service that replace the same container',
      `${minimal('{ cluster: c, service: s, containers: [app, sidecar] }')}  - name: sidecar\n    repository: sidecar\n    ecs: { cluster: c, service: s, containers: [sidecar] }\n`,
      'targets[1]: web (targets[0]) and sidecar both replace container "sidecar" of ecs:c/s: give each target its own ecs.containers',
    ],
    [
      'two targets of one service from one repository without containers',
      `${minimal('{ cluster: c, service: s }', '    tags: ["v*"]\n')}  - name: web-main\n    repository: web\n    tags: ["main-*"]\n    ecs: { cluster: c, service: s }\n`,
      'targets[1]: web (targets[0]) and web-main both follow repository web on ecs:c/s',
    ],
    [
      'two targets of one Lambda function',
      'targets:\n  - { name: api, repository: api, lambda: { function: api } }\n  - { name: api-canary, repository: api-next, lambda: { function: api } }\n',
      'targets[1]: api (targets[0]) and api-canary both deploy Lambda function api, which runs one image',
    ],
  ])('rejects %s with a ConfigError that names the field', (_, text, message) => {
    expect(() => parseDeploymentsYaml(text)).toThrow(expect.objectContaining({ name: 'ConfigError', message: expect.stringContaining(message) }));
  });

  it('accepts targets of one service that replace different containers, and one Batch job definition fed by two repositories', () => {
    const config = parseDeploymentsYaml(
      [
        'targets:',
        '  - { name: canvas, repository: canvas, ecs: { cluster: c, service: s, containers: [canvas] } }',
        '  - { name: orchestrator, repository: orchestrator, ecs: { cluster: c, service: s, containers: [orchestrator] } }',
        '  - { name: splitter, repository: splitter, batch: { jobDefinition: j } }',
        '  - { name: merger, repository: merger, batch: { jobDefinition: j } }',
      ].join('\n'),
    );

    expect(config.targets).toHaveLength(4);
  });

  it('says which file it could not read and what to do', () => {
    expect(() => loadDeploymentsFile('/nonexistent/deployments.yml')).toThrow(/cannot read \/nonexistent\/deployments.yml.*Create it/);
  });

  it('has an up-to-date JSON Schema for editors (run `npm run schema` after changing the zod schema)', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'deployments.schema.json'), 'utf8')) as unknown;

    expect(committed).toEqual(deploymentsJsonSchema());
  });
});

describe('HTTP smoke tests in deployments.yml', () => {
  /** A target whose second smoke test is `http`, so paths show the index. */
  const withHttp = (http: string) => minimal('{ cluster: c, service: s }', `    smokeTests:\n      - http: { url: "http://lb.internal/ready" }\n      - http: ${http}\n`);

  it.each([
    ['Authorization', 'Authorization: "Bearer abc"'],
    ['Proxy-Authorization', 'Proxy-Authorization: "Basic dXNlcjpwdw=="'],
    ['Cookie', 'Cookie: "session=abc"'],
    ['x-api-key', 'x-api-key: "k3y"'],
    ['X-Auth-Token', 'X-Auth-Token: "t0k3n"'],
    ['X-Client-Secret', 'X-Client-Secret: "s3cr3t"'],
    ['X-Password', 'X-Password: "pw"'],
  ])('refuses a plain value for the credential header %s, naming the field and saying to use a secret', (name, header) => {
    const text = withHttp(`{ url: "https://api.internal/health", headers: { ${header} } }`);

    expect(() => parseDeploymentsYaml(text)).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: expect.stringMatching(new RegExp(`targets\\[0\\]\\.smokeTests\\[1\\]\\.http\\.headers\\.${name}: .*use \\{secret: `)) }),
    );
  });

  it('does not quote the refused value in the error', () => {
    expect(() => parseDeploymentsYaml(withHttp('{ url: "https://api.internal/health", headers: { X-Api-Key: "pl41n-k3y-value" } }'))).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('pl41n-k3y-value') }),
    );
  });

  it('accepts secret references for any header, and plain values for the others', () => {
    const config = parseDeploymentsYaml(
      withHttp('{ url: "https://api.internal/health", headers: { Authorization: { secret: "ecr-deployer/smoke-token" }, Cookie: { secret: "ssm:/smoke/cookie" }, X-Smoke-Test: "1", Accept: { secret: "smoke/accept" } } }'),
    );

    expect(config.targets[0]?.smokeTests[1]).toEqual({
      http: expect.objectContaining({ headers: { 'Authorization': { secret: 'ecr-deployer/smoke-token' }, 'Cookie': { secret: 'ssm:/smoke/cookie' }, 'X-Smoke-Test': '1', 'Accept': { secret: 'smoke/accept' } } }),
    });
  });

  it.each([
    ['a secret reference with other keys', '{ url: "https://api.internal/", headers: { Authorization: { secret: "s", value: "x" } } }', 'targets[0].smokeTests[1].http.headers.Authorization'],
    ['an empty secret reference', '{ url: "https://api.internal/", headers: { Authorization: { secret: "" } } }', 'targets[0].smokeTests[1].http.headers.Authorization'],
    ['a header name that is not a token', '{ url: "https://api.internal/", headers: { "Bad Header": "1" } }', 'targets[0].smokeTests[1].http.headers.Bad Header: is not a valid header name'],
  ])('refuses %s', (_, http, message) => {
    expect(() => parseDeploymentsYaml(withHttp(http))).toThrow(expect.objectContaining({ name: 'ConfigError', message: expect.stringContaining(message) }));
  });

  it.each([
    ['a user and password', 'https://ci:hunter2@api.internal/health'],
    ['a user alone', 'https://deploy@api.internal/health'],
  ])('refuses a URL with %s, naming the field and saying to send the credential in a header secret', (_, url) => {
    let message = '';
    try {
      parseDeploymentsYaml(withHttp(`{ url: "${url}" }`));
    } catch (error) {
      message = (error as Error).message;
    }

    expect(message).toMatch(/targets\[0\]\.smokeTests\[1\]\.http\.url: must not carry a user or password .* send it in a header, e\.g\. headers: \{ Authorization: \{ secret: /);
    expect(message).not.toMatch(/hunter2|deploy@/);
  });

  it.each([
    ['instance metadata', 'http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address: smoke tests may not reach instance metadata'],
    ['IPv6 instance metadata', 'http://[fd00:ec2::254]/latest/meta-data/', 'fd00:ec2::254 is an address of the AWS metadata range fd00:ec2::/32'],
    ['an IPv4-mapped metadata address', 'http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe (169.254.169.254) is a link-local address'],
    ['a decimal spelling of metadata', 'http://2852039166/', '169.254.169.254 is a link-local address'],
    ['the unspecified address', 'http://0.0.0.0:9001/', '0.0.0.0 is an unspecified address'],
  ])('refuses a URL that names %s', (_, url, message) => {
    expect(() => parseDeploymentsYaml(withHttp(`{ url: "${url}" }`))).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: expect.stringContaining(`targets[0].smokeTests[1].http.url: ${message}`) }),
    );
  });

  it.each([['http://10.0.3.7:8080/health'], ['http://172.16.0.9/health'], ['http://192.168.1.20/health'], ['http://127.0.0.1:8080/health'], ['https://internal-lb.elb.amazonaws.com/health']])(
    'accepts %s: private addresses and internal load balancers are normal',
    (url) => {
      expect(parseDeploymentsYaml(withHttp(`{ url: "${url}" }`)).targets[0]?.smokeTests).toHaveLength(2);
    },
  );
});
