import { handler } from '../../../functions/handlers/resolve-deployment';

const DIGEST = `sha256:${'c'.repeat(64)}`;
const execution = { name: 'stream-ml-service-cccc', arn: 'arn:aws:states:us-east-1:123456789012:execution:deploy:stream-ml-service-cccc', startTime: '2026-11-23T10:00:00.000Z' };

describe('resolve deployment', () => {
  it('resolves a target named in the input from deployments.yml and pins the image by digest', async () => {
    const { deployment } = await handler({ input: { target: 'stream-ml-service', image: { repository: 'stream-ml-service', tag: 'v1.4.0', digest: DIGEST } }, execution });

    expect(deployment).toMatchObject({
      id: 'stream-ml-service-cccc',
      executionArn: execution.arn,
      startedAt: execution.startTime,
      changes: [
        {
          target: { name: 'stream-ml-service', kind: 'ecs', ecs: { cluster: 'emotional-parrot' } },
          image: { tag: 'v1.4.0', uri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/stream-ml-service@${DIGEST}` },
        },
      ],
      trigger: { kind: 'manual' },
    });
  });

  it('accepts a resolved target spec as the trigger sends it', async () => {
    const target = { name: 'web', repository: 'web', kind: 'ecs', ecs: { cluster: 'c', service: 's' } };

    const { deployment } = await handler({ input: { target, image: { repository: 'web', digest: DIGEST, registry: 'reg.example' } }, execution });

    expect(deployment.changes[0]?.target).toMatchObject({ name: 'web', kind: 'ecs', rollout: { pollSeconds: 15 } });
    expect(deployment.changes[0]?.image.uri).toBe(`reg.example/web@${DIGEST}`);
  });

  it.each([
    ['an unknown target', { target: 'nope', image: { repository: 'nope', digest: DIGEST } }, 'TargetNotFound', 'no target named "nope" in deployments.yml (known: stream-ml-service, canvas-service, orchestrator, splitter, ml-inference)'],
    ['a tag instead of a digest', { target: 'stream-ml-service', image: { repository: 'stream-ml-service', digest: 'v1.4.0' } }, 'InvalidInput', 'image.digest: must be sha256:<64 hex digits>'],
    ['an image from another repository', { target: 'stream-ml-service', image: { repository: 'orchestrator', digest: DIGEST } }, 'InvalidInput', 'is not the repository "stream-ml-service"'],
    ['an invalid target spec', { target: { name: 'web', repository: 'web', ecs: { cluster: 'c' } }, image: { repository: 'web', digest: DIGEST } }, 'ConfigError', 'ecs.service'],
    ['no image at all', { target: 'stream-ml-service' }, 'InvalidInput', 'image'],
  ])('rejects %s with a named error', async (_, input, name, message) => {
    await expect(handler({ input, execution })).rejects.toMatchObject({ name, message: expect.stringContaining(message) });
  });
});
