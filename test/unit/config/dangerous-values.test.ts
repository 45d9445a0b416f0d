import { parseDeploymentsFile } from '../../../functions/config/load';

/**
 * Values that would widen the deployer's IAM policy, point it at another account or make
 * its deployments fail later are refused when deployments.yml is read, naming the field.
 */

const ecsTarget = (ecs: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  name: 'web',
  repository: 'web',
  ecs: { cluster: 'main', service: 'web', ...ecs },
  ...extra,
});

function refusal(file: unknown): string {
  try {
    parseDeploymentsFile(file);
  } catch (error) {
    expect(error).toMatchObject({ name: 'ConfigError' });
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('deployments.yml refuses dangerous values, naming the field', () => {
  it.each([
    ['a wildcard role to pass', ecsTarget({ passRoles: ['*'] }), 'targets[0].ecs.passRoles[0]: wildcards are not allowed: name one IAM role'],
    ['a wildcard cluster', ecsTarget({ cluster: 'prod-*' }), 'targets[0].ecs.cluster: wildcards are not allowed: name one ECS cluster'],
    ['a wildcard service', ecsTarget({ service: '*' }), 'targets[0].ecs.service: wildcards are not allowed'],
    ['a wildcard function', { name: 'fn', repository: 'fn', lambda: { function: '*' } }, 'targets[0].lambda.function: wildcards are not allowed: name one Lambda function'],
    ['a wildcard job definition', { name: 'job', repository: 'job', batch: { jobDefinition: 'job?' } }, 'targets[0].batch.jobDefinition: wildcards are not allowed'],
    ['a wildcard Slack secret', { targets: [ecsTarget()], notifications: { slack: { webhookSecret: '*' } } }, 'notifications.slack.webhookSecret: wildcards are not allowed: name one Secrets Manager secret'],
    ['a wildcard SSM parameter', { targets: [ecsTarget()], notifications: { slack: { webhookSecret: 'ssm:/slack/*' } } }, 'notifications.slack.webhookSecret: wildcards are not allowed: name one SSM parameter'],
    ['another account’s role', ecsTarget({ passRoles: ['arn:aws:iam::999999999999:role/admin'] }), "targets[0].ecs.passRoles[0]: give the IAM role's name, not an ARN"],
    ['another partition’s function', { name: 'fn', repository: 'fn', lambda: { function: 'arn:aws-cn:lambda:cn-north-1:123456789012:function:fn' } }, "targets[0].lambda.function: give the Lambda function's name, not an ARN"],
    ['a cluster ARN', ecsTarget({ cluster: 'arn:aws:ecs:us-east-1:999999999999:cluster/main' }), "targets[0].ecs.cluster: give the ECS cluster's name, not an ARN"],
    ['a secret ARN of another account', { targets: [ecsTarget()], notifications: { slack: { webhookSecret: 'arn:aws:secretsmanager:us-east-1:999999999999:secret:hook' } } }, "notifications.slack.webhookSecret: give the Secrets Manager secret's name, not an ARN"],
    ['a job queue ARN', { name: 'job', repository: 'job', batch: { jobDefinition: 'job' }, smokeTests: [{ batchJob: { jobQueue: 'arn:aws:batch:us-east-1:999999999999:job-queue/q' } }] }, "targets[0].smokeTests[0].batchJob.jobQueue: give the Batch job queue's name, not an ARN"],
    ['a repository outside ECR’s grammar', ecsTarget({}, { repository: 'Web/App' }), 'targets[0].repository: not a valid ECR repository name'],
    ['a glob as long as picomatch refuses', ecsTarget({}, { tags: ['v'.repeat(65_536)] }), 'targets[0].tags[0]: at most 128 characters'],
    ['a glob with characters no tag has', ecsTarget({}, { tags: ['v 1'] }), 'targets[0].tags[0]: a tag glob of tag characters'],
    ['too many tag globs', ecsTarget({}, { tags: Array.from({ length: 21 }, (_, i) => `v${i}.*`) }), 'targets[0].tags: Too big'],
    ['too many smoke tests', ecsTarget({}, { smokeTests: Array.from({ length: 21 }, () => ({ http: { url: 'http://10.0.0.1/health' } })) }), 'targets[0].smokeTests: Too big'],
    ['an invoke payload past 32 KiB', { name: 'fn', repository: 'fn', lambda: { function: 'fn' }, smokeTests: [{ invoke: { payload: { blob: 'x'.repeat(33 * 1024) } } }] }, 'targets[0].smokeTests[0].invoke.payload: at most 32 KiB of JSON'],
  ])('refuses %s', (_, target, message) => {
    const file = 'targets' in target ? target : { targets: [target] };
    expect(refusal(file)).toContain(message);
  });

  it('accepts what a team writes: names, role paths, SSM parameters, globs with classes and braces', () => {
    const config = parseDeploymentsFile({
      targets: [ecsTarget({ passRoles: ['ecsTaskExecutionRole', 'service-role/deployer-tasks'] }, { tags: ['v[0-9]*', 'release-{a,b}', 'main-*'] })],
      notifications: { slack: { webhookSecret: 'ssm:/ecr-deployer/slack-webhook' } },
    });
    expect(config.targets[0]?.ecs?.passRoles).toEqual(['ecsTaskExecutionRole', 'service-role/deployer-tasks']);
  });

  it('refuses the targets of one slot whose settings would not fit a Step Functions state, naming the slot and what to cut', () => {
    const payload = { blob: 'x'.repeat(30 * 1024) };
    const fn = (name: string, tests: number) => ({ name, repository: name, lambda: { function: name }, smokeTests: Array.from({ length: tests }, (_, i) => ({ invoke: { payload: { ...payload, i } } })) });

    expect(() => parseDeploymentsFile({ targets: [fn('small', 2)] })).not.toThrow();
    expect(refusal({ targets: [fn('small', 2), fn('large', 7)] })).toContain('targets[1]: a deployment of lambda:large (large) would carry up to');
    expect(refusal({ targets: [fn('large', 7)] })).toMatch(/over the \d+ KiB that keep every state under the 256 KiB limit: fewer or smaller smoke tests/);
  });
});
