import { DescribeImagesCommand, ECRClient, ImageNotFoundException, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/handlers/resolve-deployment';

/**
 * The first state, given what a person types in the Step Functions console: a
 * target's name and a tag, a digest, or `rollback: true`. The repository's
 * deployments.yml is read (stream-ml-service follows tags main-* and v*).
 */

const ecrMock = mockClient(ECRClient);
const sfnMock = mockClient(SFNClient);

const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:ecr-deployer-prod-deploy';

function digest(seed: string): string {
  return `sha256:${seed.repeat(64).slice(0, 64)}`;
}

const V130 = digest('13');
const V140 = digest('14');
const V141 = digest('15');
const V142 = digest('16');
/** The trigger's name for the push of v1.4.0: target and 32 hex digits of the digest. */
const PUSHED_V140 = `stream-ml-service-${'14'.repeat(16)}`;

function execution(name = 'manual-stream-ml-service-20261123T101505Z') {
  return { name, arn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${name}`, startTime: '2026-11-23T10:15:05.000Z' };
}

function resolve(input: unknown) {
  return handler({ input, execution: execution() });
}

/** A SUCCEEDED ECS deployment of stream-ml-service as DescribeExecution returns it. */
function succeeded(name: string, image: { tag: string; digest: string }, previousImage: string, options: { rollbackOf?: string; target?: string } = {}): DescribeExecutionCommandOutput {
  const target = options.target ?? 'stream-ml-service';
  const deployment = {
    id: name,
    target: { name: target, kind: 'ecs', repository: target },
    image: { repository: target, tag: image.tag, digest: image.digest, uri: `${REGISTRY}/${target}@${image.digest}`, registry: REGISTRY },
    ...(options.rollbackOf ? { rollbackOf: options.rollbackOf } : {}),
  };
  return {
    $metadata: {},
    executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${name}`,
    stateMachineArn: STATE_MACHINE,
    name,
    status: 'SUCCEEDED',
    startDate: new Date('2026-11-20T10:00:00Z'),
    input: JSON.stringify({ target, ...(options.rollbackOf ? { rollback: true } : { tag: image.tag }) }),
    output: JSON.stringify({
      deployment,
      ecs: { previousTaskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/stream-ml-service:7', containers: [{ name: target, previousImage }] },
    }),
  };
}

/** ListExecutions (newest first) and DescribeExecution answer with these executions. */
function history(executions: DescribeExecutionCommandOutput[]): void {
  sfnMock.on(ListExecutionsCommand).resolves({
    executions: executions.map((e) => ({ executionArn: e.executionArn, stateMachineArn: STATE_MACHINE, name: e.name, status: e.status, startDate: e.startDate })),
  });
  for (const e of executions) sfnMock.on(DescribeExecutionCommand, { executionArn: e.executionArn }).resolves(e);
}

function ecrHas(images: { digest: string; tags: string[] }[]): void {
  ecrMock.on(DescribeImagesCommand).callsFake((input: { imageIds?: { imageTag?: string; imageDigest?: string }[] }) => {
    const id = input.imageIds?.[0] ?? {};
    const image = images.find((i) => (id.imageDigest ? i.digest === id.imageDigest : i.tags.includes(id.imageTag ?? '')));
    if (!image) throw new ImageNotFoundException({ message: 'The image with imageId … does not exist', $metadata: {} });
    return { imageDetails: [{ registryId: '123456789012', repositoryName: 'stream-ml-service', imageDigest: image.digest, imageTags: image.tags }] };
  });
}

beforeEach(() => {
  ecrMock.reset();
  sfnMock.reset();
});

describe('console input', () => {
  describe('by tag', () => {
    it('looks the tag up in the target repository and deploys its digest', async () => {
      ecrHas([{ digest: V140, tags: ['v1.4.0', 'latest'] }]);

      const { deployment } = await resolve({ target: 'stream-ml-service', tag: 'v1.4.0' });

      expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, { repositoryName: 'stream-ml-service', registryId: '123456789012', imageIds: [{ imageTag: 'v1.4.0' }] });
      expect(deployment).toMatchObject({
        id: execution().name,
        slot: { key: 'ecs:emotional-parrot/stream-ml-service-1', kind: 'ecs' },
        changes: [
          {
            target: { name: 'stream-ml-service', kind: 'ecs' },
            image: { repository: 'stream-ml-service', tag: 'v1.4.0', digest: V140, uri: `${REGISTRY}/stream-ml-service@${V140}` },
          },
        ],
        trigger: { kind: 'manual' },
      });
      expect(deployment.changes[0]?.rollbackOf).toBeUndefined();
    });

    it('deploys an older tag like any other image', async () => {
      ecrHas([{ digest: V130, tags: ['v1.3.0'] }]);

      const { deployment } = await resolve({ target: 'stream-ml-service', tag: 'v1.3.0', trigger: { kind: 'manual', requestedBy: 'alice' } });

      expect(deployment.changes[0]?.image).toMatchObject({ tag: 'v1.3.0', digest: V130 });
      expect(deployment.trigger).toEqual({ kind: 'manual', requestedBy: 'alice' });
    });

    it('rejects a tag the repository does not have with ImageNotFound, looking nothing else up', async () => {
      ecrHas([{ digest: V140, tags: ['v1.4.0'] }]);

      await expect(resolve({ target: 'stream-ml-service', tag: 'v9.9.9' })).rejects.toMatchObject({
        name: 'ImageNotFound',
        message: expect.stringContaining('ECR repository "stream-ml-service" (registry 123456789012) has no image with tag "v9.9.9"'),
      });
      expect(sfnMock.calls()).toHaveLength(0);
    });

    it('rejects a target whose repository does not exist with ImageNotFound', async () => {
      ecrMock.on(DescribeImagesCommand).rejects(new RepositoryNotFoundException({ message: 'The repository does not exist', $metadata: {} }));

      await expect(resolve({ target: 'stream-ml-service', tag: 'v1.4.0' })).rejects.toMatchObject({
        name: 'ImageNotFound',
        message: expect.stringContaining('does not exist in this account and region'),
      });
    });
  });

  describe('by digest', () => {
    it('checks ECR has the digest and records a tag the target follows', async () => {
      ecrHas([{ digest: V140, tags: ['latest', 'v1.4.0'] }]);

      const { deployment } = await resolve({ target: 'stream-ml-service', digest: V140 });

      expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, { imageIds: [{ imageDigest: V140 }] });
      expect(deployment.changes[0]?.image).toMatchObject({ digest: V140, tag: 'v1.4.0', uri: `${REGISTRY}/stream-ml-service@${V140}` });
    });

    it('rejects a digest ECR does not have with ImageNotFound', async () => {
      ecrHas([]);

      await expect(resolve({ target: 'stream-ml-service', digest: V140 })).rejects.toMatchObject({ name: 'ImageNotFound', message: expect.stringContaining('sha256:141414141414') });
    });

    it('rejects a tag that is not on the digest with InvalidInput', async () => {
      ecrHas([{ digest: V140, tags: ['v1.4.0'] }]);

      await expect(resolve({ target: 'stream-ml-service', digest: V140, tag: 'v1.3.0' })).rejects.toMatchObject({
        name: 'InvalidInput',
        message: expect.stringContaining('tag "v1.3.0" is not on image sha256:141414141414'),
      });
    });
  });

  it.each([
    ['an unknown target', { target: 'nope', tag: 'v1' }, 'TargetNotFound', 'no target named "nope"'],
    ['a target and nothing else', { target: 'stream-ml-service' }, 'InvalidInput', 'say which image to deploy: "tag", "digest", or "rollback": true'],
    ['rollback with a tag', { target: 'stream-ml-service', rollback: true, tag: 'v1.3.0' }, 'InvalidInput', 'not both'],
    ['a malformed digest', { target: 'stream-ml-service', digest: 'sha256:abc' }, 'InvalidInput', 'digest: must be sha256:<64 hex digits>'],
    ['an unknown field', { target: 'stream-ml-service', tag: 'v1', image_tag: 'v1' }, 'InvalidInput', 'image_tag'],
  ])('rejects %s before looking anything up', async (_, input, name, message) => {
    await expect(resolve(input)).rejects.toMatchObject({ name, message: expect.stringContaining(message) });
    expect(ecrMock.calls()).toHaveLength(0);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('lists the accepted input forms when the input is not one', async () => {
    await expect(resolve({ target: 'stream-ml-service' })).rejects.toMatchObject({ message: expect.stringContaining('{"target": "<name>", "rollback": true}') });
  });
});

describe('console input: rollback', () => {
  it('goes back to the image the target ran before its last successful deployment', async () => {
    history([succeeded(PUSHED_V140, { tag: 'v1.4.0', digest: V140 }, `${REGISTRY}/stream-ml-service@${V130}`)]);
    ecrHas([{ digest: V130, tags: ['v1.3.0'] }]);

    const { deployment } = await resolve({ target: 'stream-ml-service', rollback: true });

    expect(sfnMock).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE, statusFilter: 'SUCCEEDED' });
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, { imageIds: [{ imageDigest: V130 }] });
    expect(deployment.changes[0]?.image).toMatchObject({ digest: V130, tag: 'v1.3.0', uri: `${REGISTRY}/stream-ml-service@${V130}` });
    expect(deployment.changes[0]?.rollbackOf).toBe(PUSHED_V140);
  });

  it('after a rollback, goes one deployment further back instead of back and forth', async () => {
    history([
      succeeded('rollback-stream-ml-service-20261122T090000Z', { tag: 'v1.4.0', digest: V140 }, `${REGISTRY}/stream-ml-service@${V141}`, { rollbackOf: 'manual-stream-ml-service-151515151515-20261121T090000Z' }),
      succeeded('manual-stream-ml-service-151515151515-20261121T090000Z', { tag: 'v1.4.1', digest: V141 }, `${REGISTRY}/stream-ml-service@${V140}`),
      succeeded(PUSHED_V140, { tag: 'v1.4.0', digest: V140 }, `${REGISTRY}/stream-ml-service@${V130}`),
    ]);
    ecrHas([{ digest: V130, tags: ['v1.3.0'] }]);

    const { deployment } = await resolve({ target: 'stream-ml-service', rollback: true });

    expect(deployment.changes[0]?.image.digest).toBe(V130);
    expect(deployment.changes[0]?.rollbackOf).toBe(PUSHED_V140);
  });

  it('passes over a redeploy that did not change the image', async () => {
    history([
      succeeded('manual-stream-ml-service-141414141414-20261121T090000Z', { tag: 'v1.4.0', digest: V140 }, `${REGISTRY}/stream-ml-service@${V140}`),
      succeeded(PUSHED_V140, { tag: 'v1.4.0', digest: V140 }, `${REGISTRY}/stream-ml-service@${V130}`),
    ]);
    ecrHas([{ digest: V130, tags: ['v1.3.0'] }]);

    const { deployment } = await resolve({ target: 'stream-ml-service', rollback: true });

    expect(deployment.changes[0]?.image.digest).toBe(V130);
    expect(deployment.changes[0]?.rollbackOf).toBe(PUSHED_V140);
  });

  it('reads only executions that may be the target\'s: other targets\' names are not described', async () => {
    const other = succeeded(`canvas-service-${'16'.repeat(16)}`, { tag: 'v2.1.0', digest: V142 }, `${REGISTRY}/canvas-service:v2.0.3`, { target: 'canvas-service' });
    const console = succeeded('0f7c1e9a-8d55-4c1b-9a77-5d0e2b1c4f3a', { tag: 'v1.4.2', digest: V142 }, `${REGISTRY}/stream-ml-service@${V141}`);
    history([other, console]);
    ecrHas([{ digest: V141, tags: ['v1.4.1'] }]);

    const { deployment } = await resolve({ target: 'stream-ml-service', rollback: true });

    expect(deployment.changes[0]?.image.digest).toBe(V141);
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: console.executionArn });
  });

  it('resolves an image the target ran by tag (a hand-made definition) to its digest now', async () => {
    history([succeeded(PUSHED_V140, { tag: 'v1.4.0', digest: V140 }, `${REGISTRY}/stream-ml-service:v1.3.0`)]);
    ecrHas([{ digest: V130, tags: ['v1.3.0'] }]);

    const { deployment } = await resolve({ target: 'stream-ml-service', rollback: true });

    expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, { imageIds: [{ imageTag: 'v1.3.0' }] });
    expect(deployment.changes[0]?.image).toMatchObject({ digest: V130, tag: 'v1.3.0' });
  });

  it('rejects with NoRollbackTarget when there is no successful deployment to undo', async () => {
    history([]);

    await expect(resolve({ target: 'stream-ml-service', rollback: true })).rejects.toMatchObject({
      name: 'NoRollbackTarget',
      message: expect.stringContaining('there is no successful deployment of stream-ml-service left to undo'),
    });
    expect(ecrMock.calls()).toHaveLength(0);
  });

  it('rejects with NoRollbackTarget when every deployment has been rolled back already', async () => {
    history([
      succeeded('rollback-stream-ml-service-20261122T090000Z', { tag: 'v1.3.0', digest: V130 }, `${REGISTRY}/stream-ml-service@${V140}`, { rollbackOf: PUSHED_V140 }),
      succeeded(PUSHED_V140, { tag: 'v1.4.0', digest: V140 }, `${REGISTRY}/stream-ml-service@${V130}`),
    ]);

    await expect(resolve({ target: 'stream-ml-service', rollback: true })).rejects.toMatchObject({ name: 'NoRollbackTarget' });
  });

  it('rejects with NoRollbackTarget when the image before was from another repository', async () => {
    history([succeeded(PUSHED_V140, { tag: 'v1.4.0', digest: V140 }, 'docker.io/library/python:3.12')]);

    await expect(resolve({ target: 'stream-ml-service', rollback: true })).rejects.toMatchObject({
      name: 'NoRollbackTarget',
      message: expect.stringContaining('which is not an image of 123456789012.dkr.ecr.us-east-1.amazonaws.com/stream-ml-service'),
    });
  });

  it('rejects with ImageNotFound when ECR no longer has the image before', async () => {
    history([succeeded(PUSHED_V140, { tag: 'v1.4.0', digest: V140 }, `${REGISTRY}/stream-ml-service@${V130}`)]);
    ecrHas([]);

    await expect(resolve({ target: 'stream-ml-service', rollback: true })).rejects.toMatchObject({
      name: 'ImageNotFound',
      message: expect.stringContaining('which ECR no longer has (expired by a lifecycle policy?)'),
    });
  });
});
