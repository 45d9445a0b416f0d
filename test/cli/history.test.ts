import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { LedgerEntry } from '../../functions/ledger/entry';
import { recordInLedger } from '../../functions/ledger/store';
import { updateSlot } from '../../functions/slots/store';
import { useFreshTables } from '../support/dynamodb';
import { runCli } from './support';

/**
 * `history` reads the deployment ledger (the tests' DynamoDB): it answers "what
 * ran in prod last March" in December, long after Step Functions (mocked, 90
 * days) has forgotten those executions.
 */

const sfnMock = mockClient(SFNClient);
const ecsMock = mockClient(ECSClient);
const tables = useFreshTables();
const dynamodb = new DynamoDBClient({});

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:ecr-deployer-prod-deploy';
const DECEMBER = new Date('2026-12-01T09:00:00.000Z');
const taskDefinition = (revision: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/stream-ml-service:${revision}`;

function entry(startedAt: string, tag: string, status: LedgerEntry['status'], revision: number, extra: Partial<LedgerEntry> = {}): LedgerEntry {
  const digest = `sha256:${Buffer.from(tag).toString('hex').padEnd(64, '0')}`;
  const finishedAt = new Date(Date.parse(startedAt) + 154_000).toISOString();
  return {
    target: 'stream-ml-service',
    environment: 'prod',
    kind: 'ecs',
    deploymentId: `stream-ml-service-${tag.replace(/\./g, '-')}`,
    status,
    image: { repository: 'stream-ml-service', tag, digest, uri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/stream-ml-service@${digest}` },
    revisions: { before: taskDefinition(revision - 1), after: taskDefinition(status === 'SUCCEEDED' ? revision : revision - 1) },
    previousImages: [],
    startedAt,
    finishedAt,
    trigger: { kind: 'ecr-push' },
    expiresAt: Math.floor(Date.parse(finishedAt) / 1000) + 400 * 86_400,
    ...extra,
  };
}

beforeEach(async () => {
  sfnMock.reset();
  sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });
  await recordInLedger(
    [
      entry('2026-02-20T10:00:00.000Z', 'v1.2.0', 'SUCCEEDED', 5),
      entry('2026-03-10T10:00:00.000Z', 'v1.3.0', 'SUCCEEDED', 6),
      entry('2026-03-20T10:00:00.000Z', 'v1.3.1', 'ROLLED_BACK', 7, { reason: 'SmokeTestFailed: GET /health answered 503', trigger: { kind: 'manual', requestedBy: 'alice' } }),
      entry('2026-11-01T10:00:00.000Z', 'v1.4.0', 'SUCCEEDED', 7),
    ],
    { client: dynamodb, name: tables.current().ledger },
  );
});

afterAll(() => {
  sfnMock.restore();
  ecsMock.restore();
});

const env = () => ({ AWS_REGION: 'us-east-1', ECR_DEPLOYER_STATE_MACHINE_ARN: STATE_MACHINE, ECR_DEPLOYER_LEDGER_TABLE: tables.current().ledger });

describe('history <target> --since --until', () => {
  it('answers what ran last March from the ledger, newest first, with outcome, reason, who and revisions', async () => {
    const run = await runCli(['history', 'stream-ml-service', '--since', '2026-03-01', '--until', '2026-04-01', '--json'], { env: env(), now: () => DECEMBER });

    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout) as { source: string; deployments: Record<string, unknown>[] };
    expect(document.source).toBe('ledger');
    expect(document.deployments).toEqual([
      expect.objectContaining({
        executionName: 'stream-ml-service-v1-3-1',
        outcome: 'ROLLED_BACK',
        reason: 'SmokeTestFailed: GET /health answered 503',
        trigger: 'manual',
        requestedBy: 'alice',
        image: expect.objectContaining({ tag: 'v1.3.1' }),
        revisions: { previous: taskDefinition(6), next: taskDefinition(6) },
        startedAt: '2026-03-20T10:00:00.000Z',
        durationSeconds: 154,
      }),
      expect.objectContaining({ executionName: 'stream-ml-service-v1-3-0', outcome: 'SUCCEEDED', trigger: 'push', revisions: { previous: taskDefinition(5), next: taskDefinition(6) } }),
    ]);
  });

  it('prints the same as a table, and says where it read them', async () => {
    const run = await runCli(['history', 'stream-ml-service', '--since', '2026-03-01', '--until', '2026-04-01'], { env: env(), now: () => DECEMBER });

    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[1]).toMatch(/^2026-03-20 10:00:00\s+stream-ml-service\s+v1\.3\.1 @ sha256:\w{12}\s+ROLLED BACK\s+2m 34s\s+manual\s+stream-ml-service-v1-3-1$/);
    expect(lines[2]).toMatch(/^2026-03-10 10:00:00 .*SUCCEEDED/);
    expect(run.stdout).not.toContain('v1.2.0');
    expect(run.stdout).not.toContain('v1.4.0');
    expect(run.stdout).toContain('2 most recent deployment(s) of stream-ml-service since 2026-03-01 00:00:00 UTC before 2026-04-01 00:00:00 UTC, from the deployment ledger.');
  });

  it('without a range, lists the newest first, as far back as the ledger keeps', async () => {
    const run = await runCli(['history', 'stream-ml-service', '--json', '--limit', '10'], { env: env(), now: () => DECEMBER });

    const document = JSON.parse(run.stdout) as { deployments: { image: { tag: string } }[] };
    expect(document.deployments.map((d) => d.image.tag)).toEqual(['v1.4.0', 'v1.3.1', 'v1.3.0', 'v1.2.0']);
  });

  it('refuses a time it cannot read, saying what it takes', async () => {
    const run = await runCli(['history', 'stream-ml-service', '--since', 'last march'], { env: env(), now: () => DECEMBER });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('must be an ISO 8601 date or time, such as 2026-03-01');
  });

  it('--environment prod lists what ran in every prod target, merged newest first', async () => {
    await recordInLedger([{ ...entry('2026-03-15T09:00:00.000Z', 'v3.1.0', 'SUCCEEDED', 4), target: 'ml-inference', kind: 'lambda', deploymentId: 'ml-inference-v3-1-0' }], { client: dynamodb, name: tables.current().ledger });

    const run = await runCli(['history', '--environment', 'prod', '--since', '2026-03-01', '--until', '2026-04-01', '--json'], { env: env(), now: () => DECEMBER });

    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout) as { environment: string; targets: string[]; deployments: { target: string; image: { tag: string } }[] };
    expect(document.targets).toEqual(expect.arrayContaining(['stream-ml-service', 'ml-inference']));
    expect(document.deployments.map((d) => `${d.target} ${d.image.tag}`)).toEqual(['stream-ml-service v1.3.1', 'ml-inference v3.1.0', 'stream-ml-service v1.3.0']);
  });

  it('without a target or an environment, says what it needs', async () => {
    const run = await runCli(['history'], { env: env(), now: () => DECEMBER });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('history needs a target, or --environment');
  });
});

describe('status <target>', () => {
  it('says when the target drifted: what it runs since when, instead of what which deployment left', async () => {
    const slots = { client: dynamodb, name: tables.current().slots };
    await updateSlot(
      'ecs:emotional-parrot/stream-ml-service-1',
      'ecs',
      (record) => {
        record.targets['stream-ml-service'] = {
          deployed: { digest: `sha256:${'7f'.repeat(32)}`, tag: 'v1.4.0', at: '2026-11-01T10:00:00Z', deploymentId: 'stream-ml-service-v1-4-0', revision: taskDefinition(7) },
          drift: { observed: taskDefinition(9), since: '2026-11-30T08:00:00.000Z', deploymentId: 'stream-ml-service-v1-4-0', reported: true },
        };
      },
      slots,
    );
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'stream-ml-service-1', status: 'ACTIVE', taskDefinition: taskDefinition(9), deployments: [{ status: 'PRIMARY', createdAt: new Date('2026-11-30T07:59:00Z') }] }] });
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { containerDefinitions: [{ name: 'stream-ml-service', image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/stream-ml-service@sha256:${'13'.repeat(32)}` }] } });
    const withSlots = { ...env(), ECR_DEPLOYER_SLOTS_TABLE: slots.name };

    const text = await runCli(['status', 'stream-ml-service'], { env: withSlots, now: () => DECEMBER });
    const json = await runCli(['status', 'stream-ml-service', '--json'], { env: withSlots, now: () => DECEMBER });

    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[1]).toBe('drift: since 2026-11-30 08:00:00 UTC it runs stream-ml-service:9, not what stream-ml-service-v1-4-0 left (the reconciler reported it: DRIFT_DETECTED)');
    expect((JSON.parse(json.stdout) as { drift: unknown }).drift).toMatchObject({ observed: taskDefinition(9), since: '2026-11-30T08:00:00.000Z' });
  });
});
