import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsoleInput } from '../../functions/deployment/resolve';
import type { Deployment, TargetChange } from '../../functions/shared/deployment';
import { deployPush } from '../../local/deploy-push';
import { seedSampleImages } from '../../local/sample-images';
import { STREAM_ML_CURRENT_DIGEST } from '../../local/sample-world';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import type { LocalRunResult } from '../../local/state-machine';
import { createTestWorld, eventStatuses, startExecution, statesEntered, STREAM_ML, useStreamMlOnlyDeploymentsFile } from '../support/world';

/**
 * Executions started the way a person starts them in the console — a target's
 * name and a tag, a digest, or `rollback: true` — run through the real
 * statemachines/deploy.asl.yaml and the real handlers, against the simulated
 * account (its ECR holds the sample images).
 */

const ROOT = join(__dirname, '..', '..');
const pushEvent = JSON.parse(readFileSync(join(ROOT, 'events', 'ecr-push.json'), 'utf8')) as { detail: Record<string, string> };
const V140 = pushEvent.detail['image-digest'] ?? '';
const V141 = 'sha256:42b526eda7ef7b19a51f97f059ae2eb3134183709e0ff649a36722d5479be367';

let account: SimulatedAwsAccount;

beforeAll(useStreamMlOnlyDeploymentsFile);

beforeEach(async () => {
  account = await createTestWorld();
  seedSampleImages(account);
});

afterEach(() => {
  account.restore();
});

/** Starts an execution in the simulated account, as the console or the CLI does, and runs it. */
function startAndRun(input: ConsoleInput): Promise<LocalRunResult & { name: string }> {
  return startExecution(account, input);
}

function runningDigest(): string | undefined {
  return account.runningDigests(STREAM_ML.cluster, STREAM_ML.service)[0]?.[STREAM_ML.container];
}

/** The change the first state resolved the input to. */
function resolvedDeployment(result: LocalRunResult): TargetChange | undefined {
  const exited = result.events.find((e) => e.type === 'StateExited' && e.state?.name === 'ResolveDeployment');
  return (exited?.state?.output as { deployment?: Deployment } | undefined)?.deployment?.changes[0];
}

describe('an execution started with a target and a tag', () => {
  it('looks the tag up in ECR and deploys its digest through the whole verified path', async () => {
    const result = await startAndRun({ target: 'stream-ml-service', tag: 'v1.4.0' });

    expect(result.status).toBe('SUCCEEDED');
    expect(runningDigest()).toBe(V140);
    expect(account.runningTaskDefinition(STREAM_ML.cluster, STREAM_ML.service)?.containerDefinitions?.[0]?.image).toBe(`${account.registry}/stream-ml-service@${V140}`);
    expect(statesEntered(result)).toEqual(expect.arrayContaining(['EcsDeployNewRevision', 'EcsCheckRollout', 'EcsVerifyRunningImage', 'RunSmokeTests']));
    expect(account.events.find((e) => e.status === 'SUCCEEDED')).toMatchObject({ image: { tag: 'v1.4.0', digest: V140 } });
    expect(account.calls.slice(0, 2)).toEqual(['StepFunctions.StartExecution', 'ECR.DescribeImages']);
  });

  it('with a tag ECR does not have, ends in RejectInput with ImageNotFound and changes nothing', async () => {
    const result = await startAndRun({ target: 'stream-ml-service', tag: 'v9.9.9' });

    expect(result).toMatchObject({ status: 'FAILED', error: 'ImageNotFound' });
    expect(result.cause).toContain('has no image with tag "v9.9.9"');
    expect(statesEntered(result)).toEqual(['WrapInput', 'ResolveDeployment', 'PublishRejected', 'ReleaseAfterRejected', 'RejectInput']);
    expect(account.calls.filter((c) => c.startsWith('ECS.'))).toEqual([]);
    expect(runningDigest()).toBe(STREAM_ML_CURRENT_DIGEST);
    // The target is known: its subscribers hear that the request was refused, and why.
    expect(account.events).toEqual([
      expect.objectContaining({ deploymentId: result.name, target: 'stream-ml-service', status: 'FAILED', phase: 'resolve', reason: expect.stringContaining('ImageNotFound'), image: expect.objectContaining({ tag: 'v9.9.9' }) }),
    ]);
  });

  it('with an unknown target, ends in RejectInput with TargetNotFound before any lookup', async () => {
    const result = await startAndRun({ target: 'no-such-target', tag: 'v1.4.0' });

    expect(result).toMatchObject({ status: 'FAILED', error: 'TargetNotFound' });
    // No target known: nothing to tell anyone but the execution itself.
    expect(account.calls).toEqual(['StepFunctions.StartExecution']);
    expect(account.events).toEqual([]);
  });
});

describe('an execution started with a target and a digest', () => {
  it('deploys that digest and records the tag the target follows', async () => {
    const result = await startAndRun({ target: 'stream-ml-service', digest: V140 });

    expect(result.status).toBe('SUCCEEDED');
    expect(runningDigest()).toBe(V140);
    expect(resolvedDeployment(result)?.image).toMatchObject({ tag: 'v1.4.0', digest: V140 });
  });
});

describe('an execution started with rollback: true', () => {
  it('goes back, through the same verified path, to the image the service ran before its last deployment', async () => {
    const pushed = await deployPush(account, pushEvent);
    expect(runningDigest()).toBe(V140);

    const result = await startAndRun({ target: 'stream-ml-service', rollback: true });

    expect(result.status).toBe('SUCCEEDED');
    expect(runningDigest()).toBe(STREAM_ML_CURRENT_DIGEST);
    expect(resolvedDeployment(result)).toMatchObject({ image: { tag: 'v1.3.0', digest: STREAM_ML_CURRENT_DIGEST }, rollbackOf: pushed.runs[0]?.executionName });
    expect(statesEntered(result)).toEqual(expect.arrayContaining(['EcsDeployNewRevision', 'EcsVerifyRunningImage', 'RunSmokeTests']));
    expect(eventStatuses(account)).toEqual(['STARTED', 'SUCCEEDED', 'STARTED', 'SUCCEEDED']);
  });

  it('rolled back twice, goes two deployments back; a third time, finds nothing left to undo', async () => {
    await deployPush(account, pushEvent);
    expect((await startAndRun({ target: 'stream-ml-service', tag: 'v1.4.1' })).status).toBe('SUCCEEDED');
    expect(runningDigest()).toBe(V141);

    const first = await startAndRun({ target: 'stream-ml-service', rollback: true });
    const afterFirst = runningDigest();
    const second = await startAndRun({ target: 'stream-ml-service', rollback: true });
    const afterSecond = runningDigest();
    const callsBefore = account.calls.length;
    const third = await startAndRun({ target: 'stream-ml-service', rollback: true });

    expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(afterFirst).toBe(V140);
    expect(afterSecond).toBe(STREAM_ML_CURRENT_DIGEST);
    expect(third).toMatchObject({ status: 'FAILED', error: 'NoRollbackTarget' });
    expect(account.calls.slice(callsBefore).filter((c) => c.startsWith('ECS.'))).toEqual([]);
    expect(runningDigest()).toBe(STREAM_ML_CURRENT_DIGEST);
  });

  it('with no deployment in the history, ends in RejectInput with NoRollbackTarget', async () => {
    const result = await startAndRun({ target: 'stream-ml-service', rollback: true });

    expect(result).toMatchObject({ status: 'FAILED', error: 'NoRollbackTarget' });
    expect(statesEntered(result)).toEqual(['WrapInput', 'ResolveDeployment', 'PublishRejected', 'ReleaseAfterRejected', 'RejectInput']);
  });
});
