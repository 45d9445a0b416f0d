import fc from 'fast-check';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseDeploymentsFile } from '../../functions/config/load';

/**
 * The shipped deployments.yml, with one dangerous value put into one field: every
 * mutation is refused with a ConfigError that names that field, and the file
 * without it is accepted (so the refusal is the mutation's).
 */

const ROOT = join(__dirname, '..', '..');
const SHIPPED = parse(readFileSync(join(ROOT, 'deployments.yml'), 'utf8')) as Record<string, unknown>;

type Path = (string | number)[];

/** Where a name is expected, by target index in the shipped file. */
const NAME_FIELDS: Path[] = [
  ['targets', 0, 'ecs', 'cluster'],
  ['targets', 0, 'ecs', 'service'],
  ['targets', 0, 'ecs', 'passRoles', 0],
  ['targets', 1, 'ecs', 'containers', 0],
  ['targets', 2, 'ecs', 'passRoles', 1],
  ['targets', 3, 'batch', 'jobDefinition'],
  ['targets', 3, 'batch', 'passRoles', 0],
  ['targets', 3, 'smokeTests', 0, 'batchJob', 'jobQueue'],
  ['targets', 4, 'lambda', 'function'],
  ['targets', 4, 'lambda', 'alias'],
  ['targets', 0, 'repository'],
  ['notifications', 'slack', 'webhookSecret'],
];

const ACCOUNT = fc.stringMatching(/^[0-9]{12}$/);
const PARTITION = fc.constantFrom('aws', 'aws-cn', 'aws-us-gov', 'aws-iso');
const SEGMENT = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);

/** A dangerous value for a name field, and the words its refusal must contain. */
const dangerousName = fc.oneof(
  fc.tuple(SEGMENT, fc.constantFrom('*', '?', '-*', '*-prod')).map(([base, wild]) => ({ value: `${base}${wild}`, expect: 'wildcards are not allowed' })),
  fc.constant({ value: '*', expect: 'wildcards are not allowed' }),
  fc.tuple(PARTITION, SEGMENT, ACCOUNT, SEGMENT).map(([partition, service, account, name]) => ({ value: `arn:${partition}:${service}:us-east-1:${account}:thing/${name}`, expect: 'not an ARN' })),
  fc.tuple(ACCOUNT, SEGMENT).map(([account, name]) => ({ value: `arn:aws:iam::${account}:role/${name}`, expect: 'not an ARN' })),
);

/** Mutations of other fields: oversized or impossible values. */
const otherMutations = fc.oneof(
  fc.integer({ min: 129, max: 70_000 }).map((length) => ({ path: ['targets', 0, 'tags', 0] as Path, value: `v${'1'.repeat(length)}`, expect: 'at most 128 characters' })),
  fc.stringMatching(/^[a-z]{1,5}[ #%&$@~/][a-z]{0,5}$/).map((glob) => ({ path: ['targets', 1, 'tags', 0] as Path, value: glob, expect: 'a tag glob of tag characters' })),
  fc.integer({ min: 21, max: 60 }).map((count) => ({ path: ['targets', 0, 'tags'] as Path, value: Array.from({ length: count }, (_, i) => `v${i}.*`), expect: 'Too big' })),
  fc.integer({ min: 33, max: 200 }).map((kib) => ({ path: ['targets', 4, 'smokeTests', 0, 'invoke', 'payload'] as Path, value: { blob: 'x'.repeat(kib * 1024) }, expect: 'at most 32 KiB' })),
  fc.stringMatching(/^[A-Z][A-Za-z]{0,8}\/[A-Za-z]{1,8}$/).map((repository) => ({ path: ['targets', 2, 'repository'] as Path, value: repository, expect: 'not a valid ECR repository name' })),
  // Credentials in a smoke URL, or written out in a credential header.
  fc.tuple(SEGMENT, fc.stringMatching(/^[A-Za-z0-9]{1,12}$/)).map(([user, password]) => ({ path: ['targets', 0, 'smokeTests', 0, 'http', 'url'] as Path, value: `https://${user}:${password}@api.internal/health`, expect: 'must not carry a user or password' })),
  fc.tuple(fc.constantFrom('Authorization', 'Cookie', 'X-Api-Key', 'X-Auth-Token', 'Proxy-Authorization'), fc.stringMatching(/^[A-Za-z0-9]{8,20}$/)).map(([header, value]) => ({
    path: ['targets', 0, 'smokeTests', 0, 'http', 'headers', header] as Path,
    value: `Bearer ${value}`,
    expect: 'carries a credential',
  })),
  // A smoke test aimed at instance metadata.
  fc.constantFrom('http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/latest/', 'http://[::ffff:169.254.169.254]/', 'http://2852039166/').map((url) => ({ path: ['targets', 0, 'smokeTests', 0, 'http', 'url'] as Path, value: url, expect: 'metadata' })),
);

const mutation = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...NAME_FIELDS), dangerousName).map(([path, danger]) => ({ path, ...danger })) },
  { weight: 1, arbitrary: otherMutations },
);

/** How describeIssues writes a path: targets[0].ecs.cluster */
function fieldName(path: Path): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`)).join('').replace(/^\./, '');
}

function withValue(file: unknown, path: Path, value: unknown): unknown {
  const copy = structuredClone(file) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const part of path.slice(0, -1)) node = (node[part] ??= {}) as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = value;
  return copy;
}

describe('deployments.yml, mutated', () => {
  it('is valid as shipped (each mutation below is what makes it invalid)', () => {
    expect(parseDeploymentsFile(SHIPPED).targets).toHaveLength(7);
  });

  it('refuses every dangerous value with a ConfigError naming its field (300 mutations)', () => {
    let refused = 0;
    fc.assert(
      fc.property(mutation, ({ path, value, expect: words }) => {
        let message = '';
        try {
          parseDeploymentsFile(withValue(SHIPPED, path, value));
        } catch (error) {
          expect(error).toMatchObject({ name: 'ConfigError' });
          message = (error as Error).message;
        }
        const line = message.split('\n').find((l) => l.includes(`- ${fieldName(path)}:`));
        expect(line).toContain(words);
        refused += 1;
      }),
      { numRuns: 300 },
    );
    expect(refused).toBe(300);
  });
});
