import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LedgerEntry } from '../../functions/ledger/entry';
import { ledgerEntries } from '../../functions/ledger/store';
import { deployPush } from '../../local/deploy-push';
import { startHealthServer, type RunningHealthServer } from '../../local/health-server';
import { seedSampleImages } from '../../local/sample-images';
import { STREAM_ML_CURRENT_DIGEST } from '../../local/sample-world';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import {
  createSampleWorld,
  createTestWorld,
  digest,
  executionInput,
  ML_INFERENCE,
  mlInferenceTarget,
  runDeployment,
  SPLITTER,
  splitterTarget,
  startExecution,
  STREAM_ML,
  streamMlTarget,
  useStreamMlOnlyDeploymentsFile,
} from '../support/world';

/**
 * The deployment ledger, written by the real release steps of the real
 * statemachines/deploy.asl.yaml into the tests' DynamoDB: one entry per target a
 * deployment changed, whatever its kind and outcome, still there when Step
 * Functions has forgotten the execution.
 */

let account: SimulatedAwsAccount;

afterEach(() => {
  account.restore();
});

async function entriesOf(target: string): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  for await (const entry of ledgerEntries({ target })) entries.push(entry);
  return entries;
}

const DAY_SECONDS = 86_400;

describe('the ledger', () => {
  let health: RunningHealthServer | undefined;
  afterEach(async () => {
    await health?.close();
    health = undefined;
  });

  it('records every outcome of the three kinds: target, environment, image, revisions before and after, status, reason, timings, trigger', async () => {
    account = createSampleWorld();
    const ecsDigest = digest('stream-ml-v2');
    const batchDigest = digest('splitter-v2');
    const lambdaDigest = digest('ml-inference-v2');
    const ecsBefore = account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn;
    const batchBefore = account.batch.latestActive(SPLITTER.jobDefinition)?.jobDefinitionArn;

    expect((await runDeployment(executionInput(account, streamMlTarget(), ecsDigest, 'v2.0.0'))).status).toBe('SUCCEEDED');
    expect((await runDeployment(executionInput(account, splitterTarget(), batchDigest, 'v2.0.0'))).status).toBe('SUCCEEDED');
    expect((await runDeployment(executionInput(account, mlInferenceTarget(), lambdaDigest, 'v2.0.0'))).status).toBe('SUCCEEDED');

    const [ecs] = await entriesOf('stream-ml-service');
    expect(ecs).toMatchObject({
      target: 'stream-ml-service',
      environment: 'prod',
      kind: 'ecs',
      status: 'SUCCEEDED',
      image: { repository: 'stream-ml-service', tag: 'v2.0.0', digest: ecsDigest },
      revisions: { before: ecsBefore, after: account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn },
      previousImages: [expect.stringContaining(`@${STREAM_ML_CURRENT_DIGEST}`)],
      trigger: { kind: 'ecr-push' },
      pushedAt: expect.stringMatching(/^2026-11-23T10:00:\d\dZ$/),
    });
    expect(ecs?.revisions.after).not.toBe(ecsBefore);
    expect(Date.parse(ecs?.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(ecs?.startedAt ?? ''));
    expect(ecs?.expiresAt).toBe(Math.floor(Date.parse(ecs?.finishedAt ?? '') / 1000) + 400 * DAY_SECONDS);

    const [batch] = await entriesOf('splitter');
    expect(batch).toMatchObject({ kind: 'batch', environment: 'dev', status: 'SUCCEEDED', image: { digest: batchDigest }, revisions: { before: batchBefore, after: account.batch.latestActive(SPLITTER.jobDefinition)?.jobDefinitionArn } });

    const [lambda] = await entriesOf('ml-inference');
    const alias = account.lambda.function(ML_INFERENCE.function).aliases.get(ML_INFERENCE.alias)?.version;
    expect(lambda).toMatchObject({ kind: 'lambda', status: 'SUCCEEDED', image: { digest: lambdaDigest }, revisions: { after: expect.stringMatching(new RegExp(`:${alias}$`)) } });
  });

  it('records a rollback with its reason, and the target back on the revision it ran before', async () => {
    account = createSampleWorld();
    const bad = digest('stream-ml-bad');
    health = await startHealthServer(() => {
      const running = account.runningDigests(STREAM_ML.cluster, STREAM_ML.service).map((t) => t[STREAM_ML.container]);
      return running.includes(bad) ? { status: 503, body: 'model not loaded' } : { status: 200, body: 'ok' };
    });
    const before = account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.taskDefinitionArn;

    const result = await runDeployment(executionInput(account, streamMlTarget({ smokeTests: [{ http: { url: health.url, attempts: 2, intervalSeconds: 5 } }] }), bad, 'v2.0.1'));

    expect(result.status).toBe('FAILED');
    const [entry] = await entriesOf('stream-ml-service');
    expect(entry).toMatchObject({ status: 'ROLLED_BACK', image: { digest: bad }, revisions: { before, after: before }, reason: expect.stringContaining('SmokeTestFailed') });
  });
});

describe('rollback: true', () => {
  const pushEvent = JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', 'ecr-push.json'), 'utf8')) as { detail: Record<string, string> };
  const V140 = pushEvent.detail['image-digest'] ?? '';
  const V141 = 'sha256:42b526eda7ef7b19a51f97f059ae2eb3134183709e0ff649a36722d5479be367';

  beforeAll(useStreamMlOnlyDeploymentsFile);

  it('reads the ledger: it goes back even when Step Functions no longer has the deployments (after 90 days)', async () => {
    account = await createTestWorld();
    seedSampleImages(account);
    await deployPush(account, pushEvent);
    const undone = await startExecution(account, { target: 'stream-ml-service', tag: 'v1.4.1' });
    expect(undone.status).toBe('SUCCEEDED');
    account.stepFunctions.forgetClosedBefore(new Date(Date.now() + 1000));

    const rollback = await startExecution(account, { target: 'stream-ml-service', rollback: true });

    expect(rollback.status).toBe('SUCCEEDED');
    expect(account.runningDigests(STREAM_ML.cluster, STREAM_ML.service)[0]?.[STREAM_ML.container]).toBe(V140);
    const [latest] = await entriesOf('stream-ml-service');
    expect(latest).toMatchObject({ deploymentId: rollback.name, rollbackOf: undone.name, status: 'SUCCEEDED', image: { digest: V140 }, previousImages: [expect.stringContaining(V141)] });
  });
});
