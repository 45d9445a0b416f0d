import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployPush } from '../../local/deploy-push';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { createTestWorld, eventStatuses, STREAM_ML, useStreamMlOnlyDeploymentsFile } from '../support/world';

/** From the ECR push event to the end of the deployment: trigger, Step Functions, state machine. */

const ROOT = join(__dirname, '..', '..');
const pushEvent = JSON.parse(readFileSync(join(ROOT, 'events', 'ecr-push.json'), 'utf8')) as { id: string; detail: Record<string, string> };

let account: SimulatedAwsAccount;

beforeAll(useStreamMlOnlyDeploymentsFile);

beforeEach(async () => {
  account = await createTestWorld();
});

afterEach(() => {
  account.restore();
});

describe('an ECR push', () => {
  it('deploys the pushed digest to the matching target', async () => {
    const outcome = await deployPush(account, pushEvent);

    expect(outcome.runs.map((r) => r.status)).toEqual(['SUCCEEDED']);
    expect(account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.containerDefinitions?.[0]?.image).toContain(`@${pushEvent.detail['image-digest']}`);
  });

  it('delivered twice deploys once', async () => {
    const first = await deployPush(account, pushEvent);
    const second = await deployPush(account, pushEvent);

    expect(first.runs).toHaveLength(1);
    expect(second.runs).toHaveLength(0);
    expect(second.trigger.duplicates).toHaveLength(1);
    expect(account.executions.size).toBe(1);
    expect(account.calls.filter((c) => c === 'ECS.RegisterTaskDefinition')).toHaveLength(1);
    expect(eventStatuses(account)).toEqual(['STARTED', 'SUCCEEDED']);
  });

  it('with a tag no target follows starts no execution', async () => {
    const outcome = await deployPush(account, { ...pushEvent, detail: { ...pushEvent.detail, 'image-tag': 'nightly' } });

    expect(outcome.trigger.ignored).toContain('matches none');
    expect(account.executions.size).toBe(0);
    expect(account.calls).toEqual([]);
  });

  it('that is malformed is rejected with MalformedEvent and changes nothing', async () => {
    await expect(deployPush(account, { ...pushEvent, 'detail-type': 'ECR Image Scan' })).rejects.toMatchObject({ name: 'MalformedEvent' });
    expect(account.calls).toEqual([]);
  });
});
