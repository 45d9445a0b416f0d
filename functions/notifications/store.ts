import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { withTransientErrorsNamed } from '../shared/aws-errors';
import { dynamodb } from '../shared/clients/dynamodb';

/**
 * The notifier's small DynamoDB table (key `pk`, TTL attribute `expiresAt`), holding:
 *
 * - `notification#<deploymentId>#<status>`: one per message, so that an event delivered
 *   twice (EventBridge and Lambda both deliver at least once) produces one message;
 * - `thread#<deploymentId>`: bot-token mode, the channel and `ts` of the deployment's
 *   first message, which later statuses update and reply to.
 *
 * Every attribute name goes through ExpressionAttributeNames (`state`, `owner` are reserved words).
 *
 * How a duplicate is kept out — claim first, with a short-lived lease:
 * 1. Before sending, a conditional PutItem claims the notification as `sending`, with an
 *    owner token and a lease (`attribute_not_exists(pk)`, or a `sending` claim whose
 *    lease has run out). A second delivery arriving meanwhile finds the claim and stops:
 *    two racing deliveries can never both send.
 * 2. After Slack accepted the message, the claim becomes `sent` (kept until the TTL).
 * 3. If sending failed and may work later, the owner deletes its claim, so that the
 *    Lambda retry of the same event can claim it again and send. If Slack rejected it
 *    for good, it becomes `rejected`: duplicates do not try (and log) again.
 * 4. If the invocation dies between claim and mark (timeout, crash), the lease runs out
 *    (LEASE_MS, longer than the function's timeout) and the retry takes the claim over.
 *
 * The one case this cannot close: Slack accepted the message but its answer was lost
 * (timeout); the claim is released and the retry sends the message a second time.
 * Marking before sending would instead lose messages, which is worse for on-call.
 */

/** Longer than the notifier may run (its timeout, serverless.yml), so a live claim is never taken over. */
const LEASE_MS = 120_000;
/** Long enough to outlast every redelivery (EventBridge 24 h, Lambda async 6 h) and the longest deployment. */
const RETENTION_SECONDS = 7 * 24 * 60 * 60;

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

const notificationKey = (deploymentId: string, status: string): string => `notification#${deploymentId}#${status}`;
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

/** Claims `pk` for this invocation unless someone holds it (a live lease) or finished with it. */
async function claim(pk: string, leasedState: 'sending' | 'posting', now: number): Promise<Claim | undefined> {
  const owner = randomUUID();
  const claimed = await conditional('claim in the notifications table', () =>
    dynamodb.send(
      new PutItemCommand({
        TableName: tableName(),
        Item: { pk: { S: pk }, state: { S: leasedState }, owner: { S: owner }, leaseUntil: { N: String(now + LEASE_MS) }, expiresAt: expiresAt(now) },
        ConditionExpression: 'attribute_not_exists(#pk) OR (#state = :leased AND #leaseUntil < :now)',
        ExpressionAttributeNames: { '#pk': 'pk', '#state': 'state', '#leaseUntil': 'leaseUntil' },
        ExpressionAttributeValues: { ':leased': { S: leasedState }, ':now': { N: String(now) } },
      }),
    ),
  );
  return claimed ? { pk, owner } : undefined;
}

/** Ends a claim with a final state; a claim someone took over after its lease ran out is theirs now. */
async function finish(held: Claim, state: 'sent' | 'rejected', now: number): Promise<void> {
  await conditional('mark in the notifications table', () =>
    dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName(),
        Key: { pk: { S: held.pk } },
        UpdateExpression: 'SET #state = :state, #expiresAt = :expiresAt REMOVE #leaseUntil',
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner', '#expiresAt': 'expiresAt', '#leaseUntil': 'leaseUntil' },
        ExpressionAttributeValues: { ':state': { S: state }, ':owner': { S: held.owner }, ':expiresAt': expiresAt(now) },
      }),
    ),
  );
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

/** @returns the claim, or undefined when this status of this deployment was (or is being) notified already. */
function claimNotification(deploymentId: string, status: string, now: number): Promise<Claim | undefined> {
  return claim(notificationKey(deploymentId, status), 'sending', now);
}

const markSent = (held: Claim, now: number): Promise<void> => finish(held, 'sent', now);
const markRejected = (held: Claim, now: number): Promise<void> => finish(held, 'rejected', now);

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

/** Claims the right to post the deployment's first message (the same lease as above). */
function claimThread(deploymentId: string, now: number): Promise<Claim | undefined> {
  return claim(threadKey(deploymentId), 'posting', now);
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

export { claimNotification, markSent, markRejected, release, getThread, claimThread, saveThread, advanceThread, LEASE_MS, RETENTION_SECONDS };
export type { Claim, Thread };
