import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { notifySlack } from '../../../functions/notifications/notify';
import { renderSlackMessage } from '../../../functions/notifications/render';
import { forgetSlackSecrets } from '../../../functions/notifications/secrets';
import { RETENTION_SECONDS } from '../../../functions/notifications/store';
import { throttleDynamoDbWhen } from '../../../local/dynamodb';
import { fakeClock, type FakeClock } from './support/clock';
import { configWith, eventFor } from './support/events';
import { readRecord, recordKey } from './support/records';
import { allItems, useFreshTables, writeItem } from '../../support/dynamodb';
import { lambdaContext, NOTIFIER_TIMEOUT_MS } from '../../support/lambda-context';
import { captureLogs } from '../../support/logs';
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

/** One delivery of the event, by an invocation with `remainingMs` left. */
const notify = (detail = eventFor('SUCCEEDED'), remainingMs = NOTIFIER_TIMEOUT_MS) => notifySlack(detail, { config, clock, lambdaContext: lambdaContext({ remainingMs }) });
const realSleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Slack answering 503 `times` times in a row. */
const unavailable = (times: number) => Array.from({ length: times }, () => ({ status: 503, body: 'service_unavailable' }));


describe('notifySlack with an incoming webhook', () => {
  it('posts the rendered message to the webhook URL held in the secret', async () => {
    const detail = eventFor('SUCCEEDED');

    const outcome = await notify(detail);

    expect(outcome).toEqual({ outcome: 'sent', via: 'webhook' });
    expect(slack.requests.map((r) => r.path)).toEqual([WEBHOOK]);
    const { text, blocks } = renderSlackMessage(detail);
    expect(slack.requests[0]?.body).toMatchObject({ text, blocks });
    expect(slack.requests[0]?.headers['content-type']).toBe('application/json');
    expect(await readRecord(table(), detail.deploymentId, 'SUCCEEDED')).toMatchObject({
      state: 'COMPLETED',
      result: { deploymentId: detail.deploymentId, status: 'SUCCEEDED', outcome: 'sent', via: 'webhook' },
    });
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
    // The record is deleted: Lambda's retry of the same event sends it.
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
    slack.script(WEBHOOK, ...unavailable(10));

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

  it('sends one message when the same event is delivered twice at the same moment (the record is a conditional write)', async () => {
    const detail = eventFor('SUCCEEDED');

    const outcomes = await Promise.all([notify(detail), notify(detail)]);

    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['duplicate', 'sent']);
    expect(slack.requestsTo(WEBHOOK)).toHaveLength(1);
  });

  it('sends once on Lambda’s retry after Slack failed for a while, and not again for a later duplicate', async () => {
    const detail = eventFor('ROLLING_BACK');
    slack.script(WEBHOOK, ...unavailable(5));

    await expect(notify(detail)).rejects.toMatchObject({ name: 'SlackUnavailable' });
    expect(await readRecord(table(), detail.deploymentId, 'ROLLING_BACK')).toBeUndefined();
    await expect(notify(detail)).resolves.toMatchObject({ outcome: 'sent' });
    await expect(notify(detail)).resolves.toEqual({ outcome: 'duplicate' });

    expect(slack.requestsTo(WEBHOOK)).toHaveLength(6);
  });

  it('keeps what Slack rejected for good: a redelivery neither sends nor fails again', async () => {
    const detail = eventFor('FAILED');
    slack.script(WEBHOOK, { status: 410, body: 'channel_is_archived' });

    await expect(notify(detail)).rejects.toMatchObject({ name: 'SlackWebhookRejected' });
    const again = await Promise.all([notify(detail), notify(detail)]);

    expect(again).toEqual([{ outcome: 'duplicate' }, { outcome: 'duplicate' }]);
    expect(slack.requestsTo(WEBHOOK)).toHaveLength(1);
    expect(await readRecord(table(), detail.deploymentId, 'FAILED')).toMatchObject({
      state: 'COMPLETED',
      result: { outcome: 'rejected', reason: expect.stringContaining('SlackWebhookRejected: Slack rejected the webhook message (HTTP 410 channel_is_archived)') },
    });
  });

  it('holds a delivery’s record as in progress until its invocation’s deadline (the Lambda context’s remaining time)', async () => {
    const detail = eventFor('SUCCEEDED');
    slack.script(WEBHOOK, { status: 500, body: 'rollup_error' });
    const held: (Record<string, unknown> | undefined)[] = [];
    const sleep = clock.sleep;
    clock.sleep = async (ms) => {
      // Between the two attempts: a duplicate arriving now finds the record in progress.
      held.push(await readRecord(table(), detail.deploymentId, 'SUCCEEDED'));
      await sleep(ms);
    };
    const before = Date.now();

    await expect(notify(detail, 25_000)).resolves.toMatchObject({ outcome: 'sent' });

    expect(held).toEqual([expect.objectContaining({ state: 'INPROGRESS', leaseUntil: expect.any(Number) })]);
    const leaseUntil = Number(held[0]?.leaseUntil);
    expect(leaseUntil).toBeGreaterThanOrEqual(before + 25_000 - 1000);
    expect(leaseUntil).toBeLessThanOrEqual(Date.now() + 25_000);
  });

  it('takes over the record of an invocation that died while sending, once its deadline passed', async () => {
    const detail = eventFor('SUCCEEDED');
    await writeItem(table(), { pk: recordKey(detail.deploymentId, 'SUCCEEDED'), state: 'INPROGRESS', leaseUntil: Date.now() - 1, expiresAt: Math.floor(Date.now() / 1000) + RETENTION_SECONDS });

    await expect(notify(detail)).resolves.toMatchObject({ outcome: 'sent' });
    expect(slack.requestsTo(WEBHOOK)).toHaveLength(1);
  });

  it('leaves the record of a live invocation alone (another one is sending)', async () => {
    const detail = eventFor('SUCCEEDED');
    await writeItem(table(), { pk: recordKey(detail.deploymentId, 'SUCCEEDED'), state: 'INPROGRESS', leaseUntil: Date.now() + NOTIFIER_TIMEOUT_MS, expiresAt: Math.floor(Date.now() / 1000) + RETENTION_SECONDS });

    await expect(notify(detail)).resolves.toEqual({ outcome: 'duplicate' });
    expect(slack.requests).toHaveLength(0);
  });

  it('still counts a message as sent when its record cannot be completed, and a duplicate meanwhile sends nothing', async () => {
    const detail = eventFor('SUCCEEDED');
    // DynamoDB fails from the moment Slack has the message.
    throttleDynamoDbWhen(() => slack.requests.length > 0);

    try {
      const logs = await captureLogs(async () => {
        await expect(notify(detail)).resolves.toEqual({ outcome: 'sent', via: 'webhook' });
      });
      expect(logs).toContain('could not record the Slack notification');
    } finally {
      throttleDynamoDbWhen(() => false);
    }
    await expect(notify(detail)).resolves.toEqual({ outcome: 'duplicate' });
    expect(slack.requestsTo(WEBHOOK)).toHaveLength(1);
  });

  it('throws why sending failed when its record cannot be deleted either; the retry sends after the invocation’s deadline', async () => {
    const detail = eventFor('SUCCEEDED');
    slack.script(WEBHOOK, ...unavailable(5));
    throttleDynamoDbWhen(() => slack.requests.length >= 5);

    try {
      await expect(notify(detail, 200)).rejects.toMatchObject({ name: 'SlackUnavailable' });
    } finally {
      throttleDynamoDbWhen(() => false);
    }
    await realSleep(250);

    await expect(notify(detail)).resolves.toMatchObject({ outcome: 'sent' });
    expect(slack.requestsTo(WEBHOOK)).toHaveLength(6);
  });

  it('keeps its records a week, by TTL', async () => {
    const detail = eventFor('SUCCEEDED');

    await notify(detail);

    const record = await readRecord(table(), detail.deploymentId, 'SUCCEEDED');
    expect(Number(record?.expiresAt)).toBeGreaterThan(Date.now() / 1000 + RETENTION_SECONDS - 60);
    // Powertools rounds to the nearest second.
    expect(Number(record?.expiresAt)).toBeLessThanOrEqual(Date.now() / 1000 + RETENTION_SECONDS + 1);
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
    const outcome = await notifySlack(eventFor('FAILED'), { config: configWith(undefined), clock, lambdaContext: lambdaContext() });

    expect(outcome).toEqual({ outcome: 'not-configured' });
    expect(slack.requests).toHaveLength(0);
  });
});
