import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handler } from '../../functions/handlers/trigger';
import { logger } from '../../functions/shared/logger';

/** The trigger reads the repository's deployments.yml (stream-ml-service: tags main-*, v*). */

const sfnMock = mockClient(SFNClient);
const ROOT = join(__dirname, '..', '..');

type PushEvent = { id: string; detail: Record<string, string | undefined> } & Record<string, unknown>;

function pushEvent(detail: Record<string, string | undefined> = {}): PushEvent {
  const sample = JSON.parse(readFileSync(join(ROOT, 'events', 'ecr-push.json'), 'utf8')) as PushEvent;
  return { ...sample, detail: { ...sample.detail, ...detail } };
}

beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:deploy:x', startDate: new Date() });
});

describe('trigger', () => {
  describe('when a tag of a configured repository is pushed', () => {
    it('starts one execution named after target and digest, with the resolved target and the image by digest', async () => {
      const result = await handler(pushEvent());

      expect(result.started).toHaveLength(1);
      expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
      const call = sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input;
      expect(call?.name).toBe('stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79');
      expect(call?.name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
      expect(call?.stateMachineArn).toBe(process.env.STATE_MACHINE_ARN);
      const input = JSON.parse(call?.input ?? '{}') as Record<string, Record<string, unknown>>;
      expect(input.image).toEqual({
        repository: 'stream-ml-service',
        tag: 'v1.4.0',
        digest: 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678',
        registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
      });
      expect(input.target).toMatchObject({ name: 'stream-ml-service', kind: 'ecs', ecs: { cluster: 'emotional-parrot', service: 'stream-ml-service-1' }, rollout: { pollSeconds: 15 } });
      expect(input.trigger).toEqual({ kind: 'ecr-push', eventIds: ['13cde686-328b-6117-af20-0e5566167482'] });
    });

    it('gives the same execution name to every tag of one image, so the image deploys once', async () => {
      await handler(pushEvent({ 'image-tag': 'v1.4.0' }));
      await handler(pushEvent({ 'image-tag': 'main-abc123' }));

      const names = sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
      expect(new Set(names).size).toBe(1);
    });
  });

  describe('when the deployment was already started', () => {
    it('treats ExecutionAlreadyExists as a duplicate, not an error', async () => {
      sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

      const result = await handler(pushEvent());

      expect(result).toEqual({ started: [], duplicates: [{ target: 'stream-ml-service', executionName: 'stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79' }] });
    });

    it('lets other Step Functions errors fail the invocation, so EventBridge retries it', async () => {
      sfnMock.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      await expect(handler(pushEvent())).rejects.toThrow('Rate exceeded');
    });
  });

  describe('when the push is not one to deploy', () => {
    it.each([
      ['a tagless push', { 'image-tag': '' }, 'tagless push'],
      ['a push without image-tag', { 'image-tag': undefined }, 'tagless push'],
      ['a tag that matches no glob', { 'image-tag': 'feature-x' }, 'tag "feature-x" matches none of stream-ml-service [main-*, v*]'],
      ['an unknown repository', { 'repository-name': 'someone-elses-repo' }, 'no target in deployments.yml follows repository "someone-elses-repo"'],
      ['a deletion', { 'action-type': 'DELETE' }, 'action-type is DELETE, not PUSH'],
      ['a failed push', { result: 'FAILURE' }, 'result is FAILURE, not SUCCESS'],
    ])('ignores %s, starts nothing and logs why', async (_, detail, reason) => {
      const info = jest.spyOn(logger, 'info');

      const result = await handler(pushEvent(detail));

      expect(result.started).toEqual([]);
      expect(result.ignored).toContain(reason);
      expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(info).toHaveBeenCalledWith('push ignored', expect.objectContaining({ reason: expect.stringContaining(reason) }));
    });
  });

  describe('when the event is malformed', () => {
    it.each([
      ['not an object', 'hello'],
      ['another source', { ...pushEvent(), source: 'aws.ecs' }],
      ['no detail', { ...pushEvent(), detail: undefined }],
      ['no repository name', pushEvent({ 'repository-name': undefined })],
    ])('rejects %s with MalformedEvent and starts nothing', async (_, event) => {
      await expect(handler(event)).rejects.toMatchObject({ name: 'MalformedEvent' });
      expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    });
  });
});
