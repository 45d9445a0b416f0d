import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as holdSlot } from '../../../functions/handlers/hold-slot';
import { handler as releaseSlot } from '../../../functions/handlers/release-slot';
import { handler as resolveDeployment } from '../../../functions/handlers/resolve-deployment';
import { handler as trigger } from '../../../functions/handlers/trigger';
import type { DeploymentState } from '../../../functions/shared/deployment';
import { readSlot } from '../../../functions/slots/store';
import { useFreshTables } from '../../support/dynamodb';

/**
 * Step Functions may run a step twice (a retry after the Lambda died with its work
 * done): HoldSlot and the release steps, run twice, do what they do once.
 */

useFreshTables();
const sfnMock = mockClient(SFNClient);
const eventsMock = mockClient(EventBridgeClient);
const SLOT = 'ecs:emotional-parrot/stream-ml-service-1';
const ARN = 'arn:aws:states:us-east-1:123456789012:execution:ecr-deployer-deploy:';

function pushEvent(tag: string, digit: string, time: string, id: string): Record<string, unknown> {
  return {
    id,
    source: 'aws.ecr',
    'detail-type': 'ECR Image Action',
    account: '123456789012',
    region: 'us-east-1',
    time,
    detail: { result: 'SUCCESS', 'action-type': 'PUSH', 'repository-name': 'stream-ml-service', 'image-tag': tag, 'image-digest': `sha256:${digit.repeat(64)}` },
  };
}

/** The execution the trigger started: its name and the state after ResolveDeployment. */
async function startedDeployment(): Promise<{ name: string; state: DeploymentState }> {
  const call = sfnMock.commandCalls(StartExecutionCommand).at(-1)?.args[0].input;
  const name = call?.name ?? '';
  const { deployment } = await resolveDeployment({ input: JSON.parse(call?.input ?? '{}'), execution: { name, arn: `${ARN}${name}`, startTime: '2026-11-23T10:00:05.000Z' } });
  return { name, state: { deployment } };
}

beforeEach(() => {
  sfnMock.reset();
  eventsMock.reset();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${ARN}x`, startDate: new Date() });
  eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
});

describe('run twice', () => {
  it('HoldSlot confirms the claim once and holds the same snapshot', async () => {
    await trigger(pushEvent('v1.4.0', 'a', '2026-11-23T10:00:00Z', 'e1'));
    const { state } = await startedDeployment();

    const first = await holdSlot(state);
    const afterFirst = await readSlot(SLOT, 'ecs');
    const second = await holdSlot(state);

    expect(second).toEqual(first);
    expect(first.slotHold).toEqual({ held: true, announced: true });
    expect(await readSlot(SLOT, 'ecs')).toEqual(afterFirst);
  });

  it('a release records once, and starts the next deployment under one name and input', async () => {
    await trigger(pushEvent('v1.4.0', 'a', '2026-11-23T10:00:00Z', 'e1'));
    const { name, state } = await startedDeployment();
    const held = await holdSlot(state);
    await trigger(pushEvent('v1.4.1', 'b', '2026-11-23T10:00:30Z', 'e2'));
    const event = { status: 'SUCCEEDED' as const, execution: { name, arn: `${ARN}${name}` }, state: held };

    const first = await releaseSlot(event);
    const second = await releaseSlot(event);

    expect(first).toMatchObject({ released: true, next: expect.stringMatching(/-g2$/) });
    expect(second).toEqual({ released: false, next: first.next });
    const starts = sfnMock.commandCalls(StartExecutionCommand).slice(1).map((c) => c.args[0].input);
    expect(starts).toHaveLength(2);
    expect(starts[1]).toEqual(starts[0]);
    const record = await readSlot(SLOT, 'ecs');
    expect(record.targets['stream-ml-service']).toMatchObject({ deployed: { digest: `sha256:${'a'.repeat(64)}`, deploymentId: name }, last: { status: 'SUCCEEDED' } });
    expect(record.lease?.holder).toBe(first.next);
  });
});
