import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { notifySlack } from '../../../functions/notifications/notify';
import { renderSlackMessage, renderThreadReply } from '../../../functions/notifications/render';
import { forgetSlackSecrets } from '../../../functions/notifications/secrets';
import { LEASE_MS } from '../../../functions/notifications/store';
import { fakeClock, type FakeClock } from './support/clock';
import { configWith, eventFor } from './support/events';
import { readRecord } from './support/records';
import { readItem, useFreshTables, writeItem } from '../../support/dynamodb';
import { lambdaContext } from '../../support/lambda-context';
import { startFakeSlack, type FakeSlack } from './support/slack-server';

const secretsMock = mockClient(SecretsManagerClient);
const ssmMock = mockClient(SSMClient);

const TOKEN = 'xoxb-000-111-s3cr3tB0tT0k3n';
const POST = '/api/chat.postMessage';
const UPDATE = '/api/chat.update';
const config = configWith({ slack: { botTokenSecret: 'ssm:/ecr-deployer/slack-bot', channel: '#deploys' } });

let slack: FakeSlack;
const tables = useFreshTables();
const table = () => tables.current().notifications;
let clock: FakeClock;
const originalApiUrl = process.env.SLACK_API_URL;

beforeAll(async () => {
  slack = await startFakeSlack();
  process.env.SLACK_API_URL = slack.apiUrl;
});

afterAll(async () => {
  await slack.close();
  if (originalApiUrl === undefined) delete process.env.SLACK_API_URL;
  else process.env.SLACK_API_URL = originalApiUrl;
});

beforeEach(() => {
  slack.reset();
  secretsMock.reset();
  ssmMock.reset();
  forgetSlackSecrets();
  ssmMock.on(GetParameterCommand, { Name: '/ecr-deployer/slack-bot' }).resolves({ Parameter: { Type: 'SecureString', Value: TOKEN } });
  clock = fakeClock();
});

const notify = (detail = eventFor('STARTED')) => notifySlack(detail, { config, clock, lambdaContext: lambdaContext() });
const THREAD = 'thread#stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79';

describe('notifySlack with a bot token', () => {
  it('posts the first status of a deployment as a new message in the channel, with the token', async () => {
    const detail = eventFor('STARTED');

    const outcome = await notify(detail);

    expect(outcome).toEqual({ outcome: 'sent', via: 'new-message' });
    const [post] = slack.requestsTo(POST);
    expect(post?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(post?.body).toMatchObject({ channel: '#deploys', text: renderSlackMessage(detail).text, blocks: renderSlackMessage(detail).blocks });
    expect(post?.body.thread_ts).toBeUndefined();
    expect(await readItem(table(), THREAD)).toMatchObject({ state: 'posted', channel: 'C0DEPLOYS', ts: '1700000000.000001', shownAt: detail.at });
  });

  it('replies in the first message’s thread for a later status and updates the first message in place', async () => {
    await notify(eventFor('STARTED'));
    const later = eventFor('ROLLING_BACK');

    const outcome = await notify(later);

    expect(outcome).toEqual({ outcome: 'sent', via: 'thread-reply' });
    const posts = slack.requestsTo(POST);
    expect(posts).toHaveLength(2);
    expect(posts[1]?.body).toMatchObject({ channel: 'C0DEPLOYS', thread_ts: '1700000000.000001', text: renderThreadReply(later).text, blocks: renderThreadReply(later).blocks });
    const [update] = slack.requestsTo(UPDATE);
    expect(update?.body).toMatchObject({ channel: 'C0DEPLOYS', ts: '1700000000.000001', text: renderSlackMessage(later).text, blocks: renderSlackMessage(later).blocks });
    expect(await readItem(table(), THREAD)).toMatchObject({ shownAt: later.at });
  });

  it('tells the whole story in one thread: STARTED, ROLLING_BACK, ROLLED_BACK', async () => {
    for (const status of ['STARTED', 'ROLLING_BACK', 'ROLLED_BACK'] as const) await notify(eventFor(status));

    const posts = slack.requestsTo(POST);
    expect(posts.map((p) => p.body.thread_ts)).toEqual([undefined, '1700000000.000001', '1700000000.000001']);
    expect(slack.requestsTo(UPDATE).map((u) => String(u.body.text).split(' ')[0])).toEqual(['⏪', '↩️']);
  });

  it('does not put an older status over a newer one on the first message (events arrive out of order)', async () => {
    await notify(eventFor('SUCCEEDED'));

    const outcome = await notify(eventFor('STARTED'));

    expect(outcome).toEqual({ outcome: 'sent', via: 'thread-reply' });
    expect(slack.requestsTo(UPDATE)).toHaveLength(0);
    expect(await readItem(table(), THREAD)).toMatchObject({ shownAt: eventFor('SUCCEEDED').at });
  });

  it('posts nothing for an event delivered twice', async () => {
    await notify(eventFor('STARTED'));
    await notify(eventFor('SUCCEEDED'));

    const again = await notify(eventFor('SUCCEEDED'));

    expect(again).toEqual({ outcome: 'duplicate' });
    expect(slack.requestsTo(POST)).toHaveLength(2);
    expect(slack.requestsTo(UPDATE)).toHaveLength(1);
  });

  it('treats channel_not_found as a rejection, not retried, and lets a later status try a first message again', async () => {
    slack.script(POST, { status: 200, body: JSON.stringify({ ok: false, error: 'channel_not_found' }) });

    await expect(notify(eventFor('STARTED'))).rejects.toMatchObject({ name: 'SlackApiRejected', message: expect.stringContaining('channel_not_found') });

    expect(slack.requestsTo(POST)).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(await readItem(table(), THREAD)).toBeUndefined();
    await expect(notify(eventFor('SUCCEEDED'))).resolves.toEqual({ outcome: 'sent', via: 'new-message' });
  });

  it('honours Retry-After when the Web API answers 429', async () => {
    slack.script(POST, { status: 429, body: '', headers: { 'Retry-After': '2' } });

    await expect(notify()).resolves.toMatchObject({ outcome: 'sent' });

    expect(slack.requestsTo(POST)).toHaveLength(2);
    expect(clock.sleeps).toEqual([2000]);
  });

  it('retries an internal_error from the Web API', async () => {
    slack.script(POST, { status: 200, body: JSON.stringify({ ok: false, error: 'internal_error' }) });

    await expect(notify()).resolves.toMatchObject({ outcome: 'sent' });

    expect(slack.requestsTo(POST)).toHaveLength(2);
  });

  it('still counts the thread reply as sent when updating the first message fails', async () => {
    await notify(eventFor('STARTED'));
    slack.script(UPDATE, { status: 200, body: JSON.stringify({ ok: false, error: 'message_not_found' }) });

    const outcome = await notify(eventFor('SUCCEEDED'));

    expect(outcome).toEqual({ outcome: 'sent', via: 'thread-reply' });
    expect(await readRecord(table(), 'stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79', 'SUCCEEDED')).toMatchObject({ state: 'COMPLETED', result: { outcome: 'sent', via: 'thread-reply' } });
  });

  it('waits for the first message another invocation is posting, then replies in its thread', async () => {
    await writeItem(table(), { pk: THREAD, state: 'posting', owner: 'other', leaseUntil: clock.now() + LEASE_MS });
    const sleep = clock.sleep;
    clock.sleep = async (ms) => {
      await sleep(ms);
      // The other invocation stores its message meanwhile.
      await writeItem(table(), { pk: THREAD, state: 'posted', channel: 'C0DEPLOYS', ts: '1699999999.000009', shownAt: eventFor('STARTED').at });
    };

    const outcome = await notify(eventFor('SUCCEEDED'));

    expect(outcome).toEqual({ outcome: 'sent', via: 'thread-reply' });
    expect(slack.requestsTo(POST)[0]?.body).toMatchObject({ thread_ts: '1699999999.000009' });
  });

  it('leaves the event to Lambda’s retry when the other invocation’s first message does not appear within the budget', async () => {
    await writeItem(table(), { pk: THREAD, state: 'posting', owner: 'other', leaseUntil: clock.now() + LEASE_MS });

    await expect(notify(eventFor('SUCCEEDED'))).rejects.toMatchObject({ name: 'SlackThreadPending' });

    expect(slack.requests).toHaveLength(0);
    expect(clock.sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(20_000);
    expect(await readRecord(table(), 'stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79', 'SUCCEEDED')).toBeUndefined();
  });
});
