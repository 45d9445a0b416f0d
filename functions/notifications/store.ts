import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { withTransientErrorsNamed } from '../shared/aws-errors';
import { dynamodb } from '../shared/clients/dynamodb';

/**
 * The notifier's small DynamoDB table (key `pk`, TTL attribute `expiresAt`), holding:
 *
 * - `notification#<hash of deployment id + status>`: one per message, so that an event
 *   delivered twice (EventBridge and Lambda both deliver at least once) produces one
 *   message. These are Powertools Idempotency's records (notificationIdempotency).
 * - `thread#<deploymentId>`: bot-token mode, the channel and `ts` of the deployment's
 *   first message, which later statuses update and reply to (hand-written below: a later
 *   status waits for the `ts` another invocation is posting, which Idempotency does not do).
 *
 * Both kinds say `state` and `leaseUntil` (ms) for the same things: what the item is at, and
 * until when an invocation holds it. Every attribute name goes through
 * ExpressionAttributeNames (`state`, `owner` are reserved words).
 *
 * How a duplicate message is kept out (Powertools Idempotency, makeIdempotent):
 * 1. Before sending, a conditional PutItem writes the record as `INPROGRESS`, held until
 *    the invocation's deadline (the Lambda context's remaining time: it cannot be sending
 *    after that). A second delivery arriving meanwhile finds it and stops: two racing
 *    deliveries can never both send.
 * 2. When sending returns (Slack accepted the message, or rejected it for good) the record
 *    becomes `COMPLETED` with that result, kept until the TTL: duplicates do not try (and
 *    log) again.
 * 3. When sending throws (it may work later), the record is deleted, so that the Lambda
 *    retry of the same event sends.
 * 4. If the invocation dies while sending (timeout, crash), its hold ends at its deadline
 *    and the retry takes the record over.
 *
 * The one case this cannot close: Slack accepted the message but its answer was lost
 * (timeout); the record is deleted and the retry sends the message a second time.
 * Recording before sending would instead lose messages, which is worse for on-call.
 */

/** Longer than the notifier may run (its timeout, serverless.yml), so a live thread claim is never taken over. */
const LEASE_MS = 120_000;
/** Long enough to outlast every redelivery (EventBridge 24 h, Lambda async 6 h) and the longest deployment. */
const RETENTION_SECONDS = 7 * 24 * 60 * 60;

/** What identifies one message: one per status of a deployment. */
interface NotificationKey {
  deploymentId: string;
  status: string;
}

/**
 * Where Powertools keeps a `notification#…` record: this table's key and TTL, and the
 * names the thread items use for the same things (the others are Powertools' own).
 */
const NOTIFICATION_RECORD = { keyPrefix: 'notification', keyAttr: 'pk', expiryAttr: 'expiresAt', statusAttr: 'state', inProgressExpiryAttr: 'leaseUntil', dataAttr: 'result' } as const;

interface Claim {
  pk: string;
  owner: string;
}

interface Thread {
  state: 'posting' | 'posted';
  channel?: string;
  ts?: string;
  /** `at` of the event the first message shows now. */
  shownAt?: string;
  leaseUntil?: number;
}

function tableName(): string {
  const name = process.env.NOTIFICATIONS_TABLE;
  if (!name) throw new Error('NOTIFICATIONS_TABLE is not set (serverless.yml sets it to the notifications table)');
  return name;
}

/**
 * makeIdempotent's options for one invocation's notifications: records in this table,
 * on the module's DynamoDB client, kept for RETENTION_SECONDS, each held while in
 * progress until the invocation's deadline (the context's remaining time).
 *
 * Built per invocation: it holds no connection, and the table's name is read when it is
 * used (tests give every test a table of its own).
 *
 * @example makeIdempotent(send, notificationIdempotency(context))({ deploymentId, status })
 */
function notificationIdempotency(lambdaContext: Context): { persistenceStore: DynamoDBPersistenceLayer; config: IdempotencyConfig; keyPrefix: string } {
  const { keyPrefix, ...attributes } = NOTIFICATION_RECORD;
  return {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: tableName(), awsSdkV3Client: dynamodb, ...attributes }),
    config: new IdempotencyConfig({ expiresAfterSeconds: RETENTION_SECONDS, lambdaContext }),
    keyPrefix,
  };
}

const threadKey = (deploymentId: string): string => `thread#${deploymentId}`;
const expiresAt = (now: number): AttributeValue => ({ N: String(Math.floor(now / 1000) + RETENTION_SECONDS) });

async function conditional(what: string, run: () => Promise<unknown>): Promise<boolean> {
  try {
    await withTransientErrorsNamed(what, run);
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Gives a claim back (only ours), so that a retry can take it. */
async function release(held: Claim): Promise<void> {
  await conditional('release in the notifications table', () =>
    dynamodb.send(
      new DeleteItemCommand({
        TableName: tableName(),
        Key: { pk: { S: held.pk } },
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': { S: held.owner } },
      }),
    ),
  );
}

/** Bot-token mode: the deployment's first message, as stored (strongly consistent read). */
async function getThread(deploymentId: string): Promise<Thread | undefined> {
  const output = await withTransientErrorsNamed('read the notifications table', () =>
    dynamodb.send(new GetItemCommand({ TableName: tableName(), Key: { pk: { S: threadKey(deploymentId) } }, ConsistentRead: true })),
  );
  const item = output.Item;
  if (!item) return undefined;
  return {
    state: item.state?.S === 'posted' ? 'posted' : 'posting',
    channel: item.channel?.S,
    ts: item.ts?.S,
    shownAt: item.shownAt?.S,
    leaseUntil: item.leaseUntil?.N === undefined ? undefined : Number(item.leaseUntil.N),
  };
}

/** Claims the right to post the deployment's first message, unless someone holds it (a live lease) or posted it. */
async function claimThread(deploymentId: string, now: number): Promise<Claim | undefined> {
  const pk = threadKey(deploymentId);
  const owner = randomUUID();
  const claimed = await conditional('claim in the notifications table', () =>
    dynamodb.send(
      new PutItemCommand({
        TableName: tableName(),
        Item: { pk: { S: pk }, state: { S: 'posting' }, owner: { S: owner }, leaseUntil: { N: String(now + LEASE_MS) }, expiresAt: expiresAt(now) },
        ConditionExpression: 'attribute_not_exists(#pk) OR (#state = :posting AND #leaseUntil < :now)',
        ExpressionAttributeNames: { '#pk': 'pk', '#state': 'state', '#leaseUntil': 'leaseUntil' },
        ExpressionAttributeValues: { ':posting': { S: 'posting' }, ':now': { N: String(now) } },
      }),
    ),
  );
  return claimed ? { pk, owner } : undefined;
}

/** Stores the first message's channel and ts once it is posted. */
async function saveThread(held: Claim, posted: { channel: string; ts: string; shownAt: string }, now: number): Promise<void> {
  await conditional('store the thread in the notifications table', () =>
    dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName(),
        Key: { pk: { S: held.pk } },
        UpdateExpression: 'SET #state = :posted, #channel = :channel, #ts = :ts, #shownAt = :shownAt, #expiresAt = :expiresAt REMOVE #leaseUntil',
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: {
          '#state': 'state',
          '#owner': 'owner',
          '#channel': 'channel',
          '#ts': 'ts',
          '#shownAt': 'shownAt',
          '#expiresAt': 'expiresAt',
          '#leaseUntil': 'leaseUntil',
        },
        ExpressionAttributeValues: {
          ':posted': { S: 'posted' },
          ':channel': { S: posted.channel },
          ':ts': { S: posted.ts },
          ':shownAt': { S: posted.shownAt },
          ':owner': { S: held.owner },
          ':expiresAt': expiresAt(now),
        },
      }),
    ),
  );
}

/**
 * Moves what the first message shows forward to an event, unless it already shows a
 * later one (EventBridge does not keep order): true when this event may update it.
 */
function advanceThread(deploymentId: string, at: string): Promise<boolean> {
  return conditional('advance the thread in the notifications table', () =>
    dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName(),
        Key: { pk: { S: threadKey(deploymentId) } },
        UpdateExpression: 'SET #shownAt = :at',
        ConditionExpression: '#state = :posted AND #shownAt < :at',
        ExpressionAttributeNames: { '#state': 'state', '#shownAt': 'shownAt' },
        ExpressionAttributeValues: { ':posted': { S: 'posted' }, ':at': { S: at } },
      }),
    ),
  );
}

export { notificationIdempotency, release, getThread, claimThread, saveThread, advanceThread, LEASE_MS, NOTIFICATION_RECORD, RETENTION_SECONDS };
export type { Claim, NotificationKey, Thread };
