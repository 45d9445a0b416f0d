import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { handler } from '../../functions/handlers/trigger';
import { allItems, useFreshTables } from '../support/dynamodb';

/**
 * Generated ECR push events through the real trigger (the repository's deployments.yml, a
 * real slot table in the tests' local DynamoDB, Step Functions mocked): a push to another
 * account's or region's ECR, or with a tag no registry accepts, starts nothing and records
 * nothing, however the rest of the event looks.
 */

const sfnMock = mockClient(SFNClient);
const eventsMock = mockClient(EventBridgeClient);
const tables = useFreshTables();

const OWN_ACCOUNT = '123456789012';
const OWN_REGION = 'us-east-1';
/** Repositories and tags the shipped deployments.yml deploys (stream-ml-service: main-*, v*). */
const CONFIGURED = fc.constantFrom(
  { repository: 'stream-ml-service', tag: 'v1.4.0' },
  { repository: 'canvas-service', tag: 'v2.0.0' },
  { repository: 'upscaler-splitter-dev-ecr', tag: 'latest' },
  { repository: 'ml-inference', tag: 'main-42' },
);
const DIGEST = fc.stringMatching(/^[a-f0-9]{64}$/).map((hex) => `sha256:${hex}`);
const REGION = fc.constantFrom('us-east-2', 'eu-west-1', 'ap-southeast-5', 'us-gov-west-1', 'cn-north-1', 'us-east-1 ', 'US-EAST-1');
const OTHER_ACCOUNT = fc.stringMatching(/^[0-9]{12}$/).filter((account) => account !== OWN_ACCOUNT);
/** Tags outside the OCI grammar: a bad first character, a character no tag has, or too long. */
const IMPOSSIBLE_TAG = fc.oneof(
  fc.tuple(fc.constantFrom('.', '-'), fc.stringMatching(/^[a-z0-9]{0,10}$/)).map(([first, rest]) => `${first}${rest}`),
  fc.tuple(fc.stringMatching(/^v[a-z0-9]{0,5}$/), fc.constantFrom('/', ':', ' ', '@', '*', '\n', 'é', '..\\'), fc.stringMatching(/^[a-z0-9]{0,5}$/)).map((parts) => parts.join('')),
  fc.integer({ min: 129, max: 5000 }).map((length) => `v${'1'.repeat(length - 1)}`),
);

type Case = { account: string; region: string; tag: string; repository: string; digest: string; why: string };

const foreignPush: fc.Arbitrary<Case> = fc.oneof(
  fc.record({ account: OTHER_ACCOUNT, region: fc.constant(OWN_REGION), push: CONFIGURED, digest: DIGEST }).map(({ push, ...rest }) => ({ ...rest, ...push, why: 'another account' })),
  fc.record({ account: fc.constant(OWN_ACCOUNT), region: REGION, push: CONFIGURED, digest: DIGEST }).map(({ push, ...rest }) => ({ ...rest, ...push, why: 'another region' })),
  fc.record({ account: fc.constant(OWN_ACCOUNT), region: fc.constant(OWN_REGION), push: CONFIGURED, tag: IMPOSSIBLE_TAG, digest: DIGEST }).map(({ push, tag, ...rest }) => ({ ...rest, repository: push.repository, tag, why: 'an impossible tag' })),
);

let pushes = 0;
function eventOf(c: Case): Record<string, unknown> {
  pushes += 1;
  return {
    version: '0',
    id: `ffffffff-0000-4000-8000-${String(pushes).padStart(12, '0')}`,
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: c.account,
    time: new Date(Date.UTC(2026, 11, 1) + pushes * 1000).toISOString(),
    region: c.region,
    resources: [],
    detail: { result: 'SUCCESS', 'repository-name': c.repository, 'image-digest': c.digest, 'action-type': 'PUSH', 'image-tag': c.tag },
  };
}

beforeEach(() => {
  sfnMock.reset();
  eventsMock.reset();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:deploy:x', startDate: new Date() });
  eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
});

describe('the trigger, given generated push events', () => {
  it('deploys a push of a configured repository and tag to its own account and region (the control)', async () => {
    const result = await handler(eventOf({ account: OWN_ACCOUNT, region: OWN_REGION, repository: 'stream-ml-service', tag: 'v1.4.0', digest: `sha256:${'a'.repeat(64)}`, why: '' }));

    expect(result.started).toHaveLength(1);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('starts and records nothing for 1,000 pushes from other accounts or regions, or with impossible tags', async () => {
    const reasons = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(foreignPush, async (c) => {
        const result = await handler(eventOf(c));
        expect(result).toMatchObject({ recorded: [], started: [] });
        expect(result.ignored).toEqual(expect.any(String));
        reasons.set(c.why, (reasons.get(c.why) ?? 0) + 1);
      }),
      { numRuns: 1000 },
    );

    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(eventsMock).not.toHaveReceivedCommand(PutEventsCommand);
    expect(await allItems(tables.current().slots)).toEqual([]);
    expect([...reasons.keys()].sort()).toEqual(['an impossible tag', 'another account', 'another region']);
  });
});
