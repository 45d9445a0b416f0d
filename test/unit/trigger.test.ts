import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeploymentEventDetail } from '../../functions/events/deployment-events';
import { handler } from '../../functions/handlers/trigger';
import { logger } from '../../functions/shared/logger';
import { readItem, useFreshTables } from '../support/dynamodb';

/**
 * The trigger against the repository's deployments.yml (stream-ml-service: tags main-*, v*;
 * canvas-service and orchestrator: two containers of one service), a real slot table
 * (the tests' local DynamoDB) and Step Functions and EventBridge mocked.
 */

const sfnMock = mockClient(SFNClient);
const eventsMock = mockClient(EventBridgeClient);
const ROOT = join(__dirname, '..', '..');
const SLOT = 'ecs:emotional-parrot/stream-ml-service-1';
const EXECUTION = /^ecs-emotional-parrot-stream-ml-service-1-[0-9a-f]{6}-g1$/;
const tables = useFreshTables();

type PushEvent = { id: string; time: string; detail: Record<string, string | undefined> } & Record<string, unknown>;

const sample = JSON.parse(readFileSync(join(ROOT, 'events', 'ecr-push.json'), 'utf8')) as PushEvent;
const DIGEST = sample.detail['image-digest'] ?? '';
const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

function pushEvent(detail: Record<string, string | undefined> = {}, envelope: Partial<PushEvent> = {}): PushEvent {
  return { ...sample, ...envelope, detail: { ...sample.detail, ...detail } };
}

function startedInputs(): Record<string, unknown>[] {
  return sfnMock.commandCalls(StartExecutionCommand).map((call) => JSON.parse(call.args[0].input.input ?? '{}') as Record<string, unknown>);
}

function published(): DeploymentEventDetail[] {
  return eventsMock.commandCalls(PutEventsCommand).flatMap((call) => (call.args[0].input.Entries ?? []).map((entry) => JSON.parse(entry.Detail ?? '{}') as DeploymentEventDetail));
}

beforeEach(() => {
  sfnMock.reset();
  eventsMock.reset();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:deploy:x', startDate: new Date() });
  eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
});

describe('trigger', () => {
  describe('when a tag of a configured repository is pushed to a free slot', () => {
    it('records the image as desired and starts the slot’s deployment, whose input names the target and defines nothing', async () => {
      const result = await handler(pushEvent());

      expect(result).toMatchObject({ recorded: ['stream-ml-service'], started: [expect.stringMatching(EXECUTION)] });
      const call = sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input;
      expect(call?.name).toMatch(/^[A-Za-z0-9-]{1,80}$/);
      expect(call?.stateMachineArn).toBe(process.env.STATE_MACHINE_ARN);
      expect(startedInputs()).toEqual([
        {
          slot: SLOT,
          generation: 1,
          images: { 'stream-ml-service': { digest: DIGEST, tag: 'v1.4.0', pushedAt: sample.time } },
          trigger: { kind: 'ecr-push', eventIds: [sample.id] },
        },
      ]);
      const slot = await readItem(tables.current().slots, SLOT);
      expect(slot).toMatchObject({ generation: 1, lease: { holder: call?.name, running: false }, targets: { 'stream-ml-service': { desired: { digest: DIGEST }, pending: false } } });
    });

    it('deploys every tag of one image once: the other tags and a redelivery change nothing', async () => {
      await handler(pushEvent());
      const otherTag = await handler(pushEvent({ 'image-tag': 'main-abc123' }, { id: 'another-event-id' }));
      const redelivered = await handler(pushEvent());

      expect(otherTag).toMatchObject({ recorded: [], duplicates: [{ target: 'stream-ml-service' }] });
      expect(redelivered).toMatchObject({ recorded: [], duplicates: [{ target: 'stream-ml-service', reason: 'the same push event, delivered again' }] });
      // The claim not yet confirmed by its execution is started again, with the same name and input: that is idempotent.
      expect(new Set(sfnMock.commandCalls(StartExecutionCommand).map((c) => `${c.args[0].input.name} ${c.args[0].input.input}`)).size).toBe(1);
    });
  });

  describe('when the slot is busy', () => {
    it('records a newer push to wait, and a newer one still supersedes it: SKIPPED, naming what superseded it', async () => {
      await handler(pushEvent({}, { time: '2026-11-23T10:15:04Z' }));
      const second = await handler(pushEvent({ 'image-tag': 'v1.4.1', 'image-digest': digest(1) }, { id: 'e2', time: '2026-11-23T10:15:10Z' }));
      const third = await handler(pushEvent({ 'image-tag': 'v1.4.2', 'image-digest': digest(2) }, { id: 'e3', time: '2026-11-23T10:15:20Z' }));

      expect(second).toMatchObject({ recorded: ['stream-ml-service'], skipped: [] });
      expect(third).toMatchObject({ recorded: ['stream-ml-service'], skipped: [] });
      expect(new Set(sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).size).toBe(1);
      expect(published()).toEqual([
        expect.objectContaining({
          status: 'SKIPPED',
          target: 'stream-ml-service',
          image: expect.objectContaining({ digest: digest(1), tag: 'v1.4.1' }),
          supersededBy: digest(2),
          reason: expect.stringContaining('superseded by sha256:222222222222 (v1.4.2) before it deployed'),
          trigger: { kind: 'ecr-push' },
          executionArn: null,
        }),
      ]);
      const slot = await readItem(tables.current().slots, SLOT);
      expect(slot).toMatchObject({ targets: { 'stream-ml-service': { desired: { digest: digest(2) }, pending: true } } });
    });
  });

  describe('when the push is older than what the target runs or will run', () => {
    it('never downgrades: SKIPPED, saying what is newer and when it was pushed', async () => {
      await handler(pushEvent({}, { time: '2026-11-23T10:15:04Z' }));
      const late = await handler(pushEvent({ 'image-tag': 'v1.3.9', 'image-digest': digest(3) }, { id: 'late', time: '2026-11-23T10:10:00Z' }));

      expect(late).toMatchObject({ recorded: [], skipped: [{ target: 'stream-ml-service', reason: expect.stringContaining('older than sha256:7f5b2640fe6f (pushed at 2026-11-23T10:15:04Z)') }] });
      expect(published()).toEqual([expect.objectContaining({ status: 'SKIPPED', image: expect.objectContaining({ digest: digest(3) }) })]);
    });
  });

  describe('when one release pushes both images of a two-container service', () => {
    it('claims the slot once: the second image waits to join the first one’s deployment', async () => {
      const canvas = await handler(pushEvent({ 'repository-name': 'canvas-service', 'image-tag': 'v2.1.0', 'image-digest': digest(4) }, { id: 'c' }));
      const orchestrator = await handler(pushEvent({ 'repository-name': 'orchestrator', 'image-tag': 'v1.9.0', 'image-digest': digest(5) }, { id: 'o' }));

      expect(canvas.started).toHaveLength(1);
      expect(orchestrator).toMatchObject({ recorded: ['orchestrator'], started: canvas.started });
      const slot = await readItem(tables.current().slots, 'ecs:short-drama-cluster/short-drama-backend');
      expect(slot).toMatchObject({ targets: { 'canvas-service': { pending: false }, orchestrator: { pending: true, desired: { digest: digest(5) } } } });
    });
  });

  describe('when starting the deployment fails', () => {
    it('treats ExecutionAlreadyExists as started: the execution of that name is the one', async () => {
      sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

      await expect(handler(pushEvent())).resolves.toMatchObject({ started: [expect.stringMatching(EXECUTION)] });
    });

    it('lets other Step Functions errors fail the invocation; the retry starts the same claim, same name and input', async () => {
      sfnMock.on(StartExecutionCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      await expect(handler(pushEvent())).rejects.toThrow('Rate exceeded');
      await expect(handler(pushEvent())).resolves.toMatchObject({ duplicates: [{ reason: 'the same push event, delivered again' }], started: [expect.stringMatching(EXECUTION)] });
      const [first, second] = sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
      expect(second).toEqual(first);
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
      ['a tag no registry accepts', { 'image-tag': 'main-../etc' }, 'tag "main-../etc" is not an image tag'],
      ['a tag longer than 128 characters', { 'image-tag': `main-${'a'.repeat(124)}` }, 'is not an image tag (1-128 characters'],
    ])('ignores %s, records and starts nothing and logs why', async (_, detail, reason) => {
      const info = jest.spyOn(logger, 'info');

      const result = await handler(pushEvent(detail));

      expect(result.started).toEqual([]);
      expect(result.ignored).toContain(reason);
      expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(await readItem(tables.current().slots, SLOT)).toBeUndefined();
      expect(info).toHaveBeenCalledWith('push ignored', expect.objectContaining({ reason: expect.stringContaining(reason) }));
    });
  });

  describe('when the push is to another account or region', () => {
    it.each([
      ['another account', { account: '210987654321' }, "push to account 210987654321's ECR: this deployer deploys only images of its own account, 123456789012"],
      ['another region', { region: 'eu-west-1' }, 'push to ECR in eu-west-1: this deployer deploys only images of its own region, us-east-1 (one stack per region)'],
    ])('ignores a push to %s (an event forwarded to this bus), even of a configured repository and tag', async (_, envelope, reason) => {
      const info = jest.spyOn(logger, 'info');

      const result = await handler(pushEvent({}, envelope));

      expect(result).toMatchObject({ ignored: reason, recorded: [], started: [] });
      expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(eventsMock).not.toHaveReceivedCommand(PutEventsCommand);
      expect(await readItem(tables.current().slots, SLOT)).toBeUndefined();
      expect(info).toHaveBeenCalledWith('push ignored', expect.objectContaining({ reason, ...envelope }));
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
