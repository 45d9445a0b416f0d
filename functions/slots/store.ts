import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, paginateScan, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { TargetKind } from '../config/schema';
import { withTransientErrorsNamed } from '../shared/aws-errors';
import { dynamodb } from '../shared/clients/dynamodb';
import { AwsTransientError } from '../shared/errors';
import { copyOf, emptyRecord, type SlotRecord } from './model';

/**
 * The slot table (serverless.yml `SlotsTable`, key `pk` = the slot key): one item
 * per slot holding its whole record. Every change reads the item, applies a pure
 * transition from ./model, and writes it back on condition that nobody wrote in
 * between (`version`); on a conflict it reads again, after a pause of a few
 * milliseconds drawn at random (writers that collided do not collide again in
 * step). A write that keeps losing is an AwsTransientError, retried by whoever called.
 */

/** Conflicting writes tried again this often before giving up for this call. */
const MAX_ATTEMPTS = 50;
/** The longest pause between two attempts, in milliseconds. */
const MAX_PAUSE_MS = 100;

/** Full jitter: a pause anywhere below a ceiling that doubles with each conflict. */
function pauseAfterConflict(attempt: number): Promise<void> {
  const ceiling = Math.min(MAX_PAUSE_MS, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/** The table and the client to reach it: the functions' own, or the CLI's (its region, profile and endpoint). */
interface SlotTable {
  client: DynamoDBClient;
  name: string;
}

function defaultTable(): SlotTable {
  const name = process.env.SLOTS_TABLE;
  if (!name) throw new Error('SLOTS_TABLE is not set (serverless.yml sets it to the slot table)');
  return { client: dynamodb, name };
}

function fromItem(item: Record<string, unknown>): SlotRecord {
  const { pk, ...rest } = item;
  return { ...(rest as Omit<SlotRecord, 'key'>), key: String(pk) };
}

/** The slot's record as it is now (strongly consistent), or an empty one. */
async function readSlot(key: string, kind: TargetKind, table: SlotTable = defaultTable()): Promise<SlotRecord> {
  const output = await withTransientErrorsNamed('read slot', () =>
    table.client.send(new GetItemCommand({ TableName: table.name, Key: { pk: { S: key } }, ConsistentRead: true })),
  );
  return output.Item ? fromItem(unmarshall(output.Item)) : emptyRecord(key, kind);
}

/**
 * Applies `change` to the slot's record and stores the result, if it changed
 * anything, unless another writer came first (then again, from what that one
 * wrote). `change` must be pure: it may run more than once.
 */
async function updateSlot<R>(key: string, kind: TargetKind, change: (record: SlotRecord) => R, table: SlotTable = defaultTable()): Promise<{ record: SlotRecord; result: R }> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const current = await readSlot(key, kind, table);
    const next = copyOf(current);
    const result = change(next);
    if (JSON.stringify(next) === JSON.stringify(current)) return { record: current, result };
    next.version = current.version + 1;
    const { key: pk, ...attributes } = next;
    try {
      await withTransientErrorsNamed('write slot', () =>
        table.client.send(
          new PutItemCommand({
            TableName: table.name,
            Item: marshall({ pk, ...attributes }, { removeUndefinedValues: true }),
            ConditionExpression: current.version === 0 ? 'attribute_not_exists(pk)' : '#version = :version',
            ...(current.version === 0 ? {} : { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': { N: String(current.version) } } }),
          }),
        ),
      );
      return { record: next, result };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await pauseAfterConflict(attempt);
    }
  }
  throw new AwsTransientError(`slot ${key}: ${MAX_ATTEMPTS} conflicting writes in a row; try again`);
}

/** Every slot's record (the sweep reads them all: one item per slot, a small table). */
async function* allSlots(onPage: () => void = () => undefined): AsyncGenerator<SlotRecord> {
  const table = defaultTable();
  for await (const page of paginateScan({ client: table.client }, { TableName: table.name, ConsistentRead: true })) {
    onPage();
    for (const item of page.Items ?? []) yield fromItem(unmarshall(item));
  }
}

export { readSlot, updateSlot, allSlots };
export type { SlotTable };
