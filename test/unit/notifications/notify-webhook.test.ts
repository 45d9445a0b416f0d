import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { notifySlack } from '../../../functions/notifications/notify';
import { renderSlackMessage } from '../../../functions/notifications/render';
import { forgetSlackSecrets } from '../../../functions/notifications/secrets';
import { LEASE_MS } from '../../../functions/notifications/store';
import { fakeClock, type FakeClock } from './support/clock';
import { configWith, eventFor } from './support/events';
import { allItems, readItem, useFreshTables, writeItem } from '../../support/dynamodb';
import { startFakeSlack, type FakeSlack } from './support/slack-server';

const secretsMock = mockClient(SecretsManagerClient);
const ssmMock = mockClient(SSMClient);

const WEBHOOK = '/services/T0TEAM/B0DEPLOYS/s3cr3tW3bh00kT0k3ndeploys';
const DEV_WEBHOOK = '/services/T0TEAM/B0DEV/s3cr3tW3bh00kT0k3ndev';

/** Every target on the #deploys webhook; web-dev on its own webhook, failures only. */
const config = configWith(
  { slack: { webhookSecret: 'ecr-deployer/slack-webhook' } },
  { 'web-dev': { slack: { webhookSecret: 'ssm:/ecr-deployer/dev-webhook', statuses: ['FAILED', 'ROLLED_BACK', 'ROLLBACK_FAILED'] } } },
);

let slack: FakeSlack;
const tables = useFreshTables();
const table = () => tables.current().notifications;
let clock: FakeClock;

beforeAll(async () => {
  slack = await startFakeSlack();
});

afterAll(async () => {
  await slack.close();
});

beforeEach(() => {
  slack.reset();
  secretsMock.reset();
  ssmMock.reset();
  forgetSlackSecrets();
  secretsMock.on(GetSecretValueCommand, { SecretId: 'ecr-deployer/slack-webhook' }).resolves({ SecretString: slack.webhookUrl('deploys') });
  ssmMock.resolves({ Parameter: { Name: '/ecr-deployer/dev-webhook', Type: 'SecureString', Value: slack.webhookUrl('dev') } });
  clock = fakeClock();
});

const notify = (detail = eventFor('SUCCEEDED')) => notifySlack(detail, { config, clock });

describe('notifySlack with an incoming webhook', () => {
  it('posts the rendered message to the webhook URL held in the secret', async () => {
    const detail = eventFor('SUCCEEDED');

    const outcome = await notify(detail);

    expect(outcome).toEqual({ outcome: 'sent', via: 'webhook' });
    expect(slack.requests.map((r) => r.path)).toEqual([WEBHOOK]);
    const { text, blocks } = renderSlackMessage(detail);
    expect(slack.requests[0]?.body).toMatchObject({ text, blocks });
    expect(slack.requests[0]?.headers['content-type']).toBe('application/json');
    expect(await readItem(table(), 'notification#stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79#SUCCEEDED')).toMatchObject({ state: 'sent' });
  });

  it('waits as long as a 429 Retry-After says, then sends again', async () => {
    slack.script(WEBHOOK, { status: 429, body: 'rate_limited', headers: { 'Retry-After': '3' } });

    const outcome = await notify();

    expect(outcome).toMatchObject({ outcome: 'sent' });
    expect(slack.requestsTo(WEBHOOK)).toHaveLength(2);
    expect(clock.sleeps).toEqual([3000]);
  });

  it('gives up without waiting when Retry-After is beyond the time budget, and leaves the event to Lambda’s retry', async () => {
    slack.script(WEBHOOK, { status: 429, body: 'rate_limited', headers: { 'Retry-After': '60' } });

    await expect(notify()).rejects.toMatchObject({ name: 'SlackUnavailable', message: expect.stringContaining('HTTP 429 rate_limited') });

    expect(slack.requestsTo(WEBHOOK)).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    // The claim is released: Lambda's retry of the same event sends it.
    await expect(notify()).resolves.toMatchObject({ outcome: 'sent' });
    expect(slack.requestsTo(WEBHOOK)).toHaveLength(2);
  });

  it('sends again after a 500, with a backoff', async () => {
    slack.script(WEBHOOK, { status: 500, body: 'rollup_error' });

    const outcome = await notify();

    expect(outcome).toMatchObject({ outcome: 'sent' });
    expect(slack.requestsTo(WEBHOOK)).toHaveLength(2);
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(500);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(1000);
  });

  it('stops retrying 5xx after a bounded number of attempts and total wait', async () => {
    slack.script(WEBHOOK, ...Array.from({ length: 10 }, () => ({ status: 503, body: 'service_unavailable' })));

    await expect(notify()).rejects.toMatchObject({ name: 'SlackUnavailable' });

    expect(slack.requestsTo(WEBHOOK)).toHaveLength(5);
    expect(clock.sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(20_000);
  });

  it.each([
    [410, 'channel_is_archived'],
    [404, 'no_service'],
    [403, 'action_prohibited'],
    [400, 'invalid_payload'],
    [400, 'no_text'],
  ])('treats %d %s as a rejection: one request, SlackWebhookRejected, and no second try for a redelivery', async (status, body) => {
    slack.script(WEBHOOK, { status, body });

    await expect(notify()).rejects.toMatchObject({ name: 'SlackWebhookRejected', message: expect.stringContaining(`HTTP ${status} ${body}`) });

    expect(slack.requestsTo(WEBHOOK)).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    await expect(notify()).resolves.toEqual({ outcome: 'duplicate' });
    expect(slack.requestsTo(WEBHOOK)).toHaveLength(1);
  });

  it('reads the secret again after a rejection, so a rotated webhook is picked up', async () => {
    slack.script(WEBHOOK, { status: 404, body: 'no_service' });
    await expect(notify(eventFor('STARTED'))).rejects.toMatchObject({ name: 'SlackWebhookRejected' });

    await notify(eventFor('SUCCEEDED'));

    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('treats a webhook that does not answer as unavailable', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: 'http://127.0.0.1:9/services/T0TEAM/B0GONE/s3cr3t' });

    await expect(notify()).rejects.toMatchObject({ name: 'SlackUnavailable', message: expect.stringContaining('did not answer') });

    expect(clock.sleeps.length).toBeGreaterThan(0);
  });
});

describe('notifySlack deduplication', () => {
  it('sends one message for an event delivered twice', async () => {
    const detail = eventFor('ROLLED_BACK');

    const first = await notify(detail);
    const second = await notify(detail);

    expect([first.outcome, second.outcome]).toEqual(['sent', 'duplicate']);
    expect(slack.requestsTo(WEBHOOK)).toHaveLength(1);
  });

  it('sends one message when two deliveries of an event race', async () => {
    const detail = eventFor('FAILED');

    const outcomes = await Promise.all([notify(detail), notify(detail), notify(detail)]);

    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['duplicate', 'duplicate', 'sent']);
    expect(slack.requestsTo(WEBHOOK)).toHaveLength(1);
  });

  it('sends one message per status of a deployment', async () => {
    await notify(eventFor('STARTED'));
    await notify(eventFor('ROLLING_BACK'));
    await notify(eventFor('ROLLED_BACK'));

    expect(slack.requestsTo(WEBHOOK).map((r) => String(r.body.text).split(' ')[0])).toEqual(['🚀', '⏪', '↩️']);
  });

  it('sends one message when the same event is delivered twice at the same moment (the claim is a conditional write)', async () => {
    const detail = eventFor('SUCCEEDED');

    const outcomes = await Promise.all([notify(detail), notify(detail)]);

    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['duplicate', 'sent']);
    expect(slack.requestsTo(WEBHOOK)).toHaveLength(1);
  });

  it('takes over a claim whose lease ran out (an invocation that died while sending)', async () => {
    const detail = eventFor('SUCCEEDED');
    const pk = `notification#${detail.deploymentId}#SUCCEEDED`;
    await writeItem(table(), { pk: pk, state: 'sending', owner: 'dead', leaseUntil: clock.now() - 1 });

    await expect(notify(detail)).resolves.toMatchObject({ outcome: 'sent' });
    expect(slack.requestsTo(WEBHOOK)).toHaveLength(1);
  });

  it('leaves a live claim alone (another invocation is sending)', async () => {
    const detail = eventFor('SUCCEEDED');
    const pk = `notification#${detail.deploymentId}#SUCCEEDED`;
    await writeItem(table(), { pk: pk, state: 'sending', owner: 'other', leaseUntil: clock.now() + LEASE_MS });

    await expect(notify(detail)).resolves.toEqual({ outcome: 'duplicate' });
    expect(slack.requests).toHaveLength(0);
  });

  it('sets a TTL on what it keeps', async () => {
    await notify();

    const item = await readItem(table(), 'notification#stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79#SUCCEEDED');
    expect(Number(item?.expiresAt)).toBeGreaterThan(clock.now() / 1000);
  });
});

describe('notifySlack settings', () => {
  it('sends only the statuses a target asks for (failures only for dev)', async () => {
    const succeeded = await notify(eventFor('SUCCEEDED', { target: 'web-dev', environment: 'dev', deploymentId: 'web-dev-7f5b2640fe6fb4f46592dfd3410c4a79' }));
    const failed = await notify(eventFor('FAILED', { target: 'web-dev', environment: 'dev', deploymentId: 'web-dev-7f5b2640fe6fb4f46592dfd3410c4a79' }));

    expect(succeeded).toEqual({ outcome: 'filtered' });
    expect(failed).toMatchObject({ outcome: 'sent' });
    expect(slack.requests.map((r) => String(r.body.text).split(' ')[0])).toEqual(['❌']);
  });

  it('does not touch the secret or the table for a filtered status', async () => {
    await notify(eventFor('STARTED', { target: 'web-dev' }));

    expect(ssmMock.calls()).toHaveLength(0);
    expect(await allItems(table())).toEqual([]);
  });

  it('sends a target with its own webhook there, and the others to the top-level one', async () => {
    await notify(eventFor('FAILED', { target: 'web-dev', environment: 'dev', deploymentId: 'web-dev-7f5b2640fe6fb4f46592dfd3410c4a79' }));
    await notify(eventFor('FAILED'));

    expect(slack.requests.map((r) => r.path)).toEqual([DEV_WEBHOOK, WEBHOOK]);
    expect(slack.requests.map((r) => String(r.body.text))).toEqual([expect.stringContaining('web-dev on dev'), expect.stringContaining('stream-ml-service on prod')]);
  });

  it('does nothing when Slack is not configured', async () => {
    const outcome = await notifySlack(eventFor('FAILED'), { config: configWith(undefined), clock });

    expect(outcome).toEqual({ outcome: 'not-configured' });
    expect(slack.requests).toHaveLength(0);
  });
});
