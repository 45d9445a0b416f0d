import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deploymentsJsonSchema } from '../../../functions/config/json-schema';
import { loadDeploymentsFile, parseDeploymentsYaml } from '../../../functions/config/load';

const ROOT = join(__dirname, '..', '..', '..');

const minimal = (ecs: string, extra = '') => `targets:\n  - name: web\n    repository: web\n    ecs: ${ecs}\n${extra}`;

describe('deployments.yml', () => {
  it('the shipped file is valid', () => {
    const config = loadDeploymentsFile(join(ROOT, 'deployments.yml'));

    expect(config.targets.map((t) => t.name)).toEqual(['stream-ml-service', 'canvas-service', 'orchestrator', 'splitter', 'ml-inference']);
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
