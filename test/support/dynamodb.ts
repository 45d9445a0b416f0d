import { DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { createLocalTables, type LocalTables } from '../../local/dynamodb';

/**
 * The tests' DynamoDB: dynalite, started once for the run (dynamodb-global-setup.js),
 * reached by the deployer's own client through AWS_ENDPOINT_URL_DYNAMODB. Each test
 * gets fresh tables, so nothing carries over from one test to the next.
 */

const client = new DynamoDBClient({});

/** Fresh slot and notification tables before each test of the file (SLOTS_TABLE, NOTIFICATIONS_TABLE point at them). */
function useFreshTables(): { current: () => LocalTables } {
  let tables: LocalTables | undefined;
  beforeEach(async () => {
    tables = await createLocalTables();
  });
  return {
    current: () => {
      if (!tables) throw new Error('tables are created in beforeEach');
      return tables;
    },
  };
}

/** An item as plain values (`{ pk, state, leaseUntil, … }`), or undefined. */
async function readItem(table: string, pk: string): Promise<Record<string, unknown> | undefined> {
  const output = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }));
  return output.Item ? unmarshall(output.Item) : undefined;
}

/** Puts an item written as plain values, as another invocation (or an older version) would have left it. */
async function writeItem(table: string, item: Record<string, unknown>): Promise<void> {
  await client.send(new PutItemCommand({ TableName: table, Item: marshall(item, { removeUndefinedValues: true }) }));
}

/** Every item of a table, as plain values. */
async function allItems(table: string): Promise<Record<string, unknown>[]> {
  const output = await client.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
  return (output.Items ?? []).map((item) => unmarshall(item));
}

export { useFreshTables, readItem, writeItem, allItems };
