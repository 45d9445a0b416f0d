import { handler } from '../../../functions/handlers/resolve-deployment';

/** The first state, with a push deployment's input, against the repository's deployments.yml. */

const DIGEST = `sha256:${'c'.repeat(64)}`;
const OTHER = `sha256:${'d'.repeat(64)}`;
const execution = { name: 'ecs-short-drama-cluster-short-drama-backend-840b67-g3', arn: 'arn:aws:states:us-east-1:123456789012:execution:deploy:x', startTime: '2026-11-23T10:00:00.000Z' };
const SHORT_DRAMA = 'ecs:short-drama-cluster/short-drama-backend';

function slotInput(images: Record<string, unknown>, slot = SHORT_DRAMA): Record<string, unknown> {
  return { slot, generation: 3, images, trigger: { kind: 'ecr-push', eventIds: ['e1', 'e2'] } };
}

describe('resolve deployment', () => {
  it('resolves the targets a push deployment names from deployments.yml, one change each, pinned by digest', async () => {
    const input = slotInput({
      orchestrator: { digest: OTHER, tag: 'v1.9.0', pushedAt: '2026-11-23T09:59:50Z' },
      'canvas-service': { digest: DIGEST, tag: 'v2.1.0', pushedAt: '2026-11-23T09:59:40Z' },
    });

    const { deployment } = await handler({ input, execution });

    expect(deployment).toMatchObject({
      id: execution.name,
      executionArn: execution.arn,
      startedAt: execution.startTime,
      slot: { key: SHORT_DRAMA, kind: 'ecs' },
      generation: 3,
      trigger: { kind: 'ecr-push', eventIds: ['e1', 'e2'] },
    });
    expect(deployment.changes.map((c) => [c.target.name, c.target.ecs?.containers, c.image.uri])).toEqual([
      ['canvas-service', ['canvas-service'], `123456789012.dkr.ecr.us-east-1.amazonaws.com/canvas-service@${DIGEST}`],
      ['orchestrator', ['orchestrator'], `123456789012.dkr.ecr.us-east-1.amazonaws.com/orchestrator@${OTHER}`],
    ]);
    // Where each change's lead time starts (functions/metrics).
    expect(deployment.changes.map((c) => c.pushedAt)).toEqual(['2026-11-23T09:59:40Z', '2026-11-23T09:59:50Z']);
  });

  it.each([
    ['an unknown target', slotInput({ nope: { digest: DIGEST, pushedAt: 'x' } }), 'TargetNotFound', 'no target named "nope" in deployments.yml (known: stream-ml-service, canvas-service, orchestrator, splitter, ml-inference, splitter-staging, splitter-prod)'],
    ['a target of another slot', slotInput({ 'stream-ml-service': { digest: DIGEST, pushedAt: 'x' } }), 'InvalidInput', 'target stream-ml-service deploys to ecs:emotional-parrot/stream-ml-service-1, not to ecs:short-drama-cluster/short-drama-backend'],
    ['a tag instead of a digest', slotInput({ 'canvas-service': { digest: 'v2.1.0', pushedAt: 'x' } }), 'InvalidInput', 'images.canvas-service.digest: must be sha256:<64 hex digits>'],
    ['a registry of its own', slotInput({ 'canvas-service': { digest: DIGEST, pushedAt: 'x', registry: 'evil.example' } }), 'InvalidInput', 'Unrecognized key: "registry"'],
    ['no target at all', slotInput({}), 'InvalidInput', 'name at least one target'],
    ['a target defined in the input', { target: { name: 'web', repository: 'web', ecs: { cluster: 'c', service: 's' } }, tag: 'v1' }, 'InvalidInput', 'targets, registries and smoke tests come from deployments.yml'],
  ])('rejects %s with a named error', async (_, input, name, message) => {
    await expect(handler({ input, execution })).rejects.toMatchObject({ name, message: expect.stringContaining(message) });
  });
});
