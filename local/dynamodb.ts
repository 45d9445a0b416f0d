import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { dynamodb } from '../functions/shared/clients/dynamodb';

/**
 * A real DynamoDB implementation for the local run and the tests: dynalite (npm),
 * in memory, on 127.0.0.1. The SDK reaches it through AWS_ENDPOINT_URL_DYNAMODB,
 * so the deployer's own DynamoDB client needs no change; the tables are the
 * stack's (key `pk`), created under fresh names.
 */

interface LocalDynamoDb {
  endpoint: string;
  close: () => Promise<void>;
}

interface LocalTables {
  slots: string;
  notifications: string;
  ledger: string;
}

/** Starts dynalite on 127.0.0.1 (a free port) and points the SDK at it. */
async function startLocalDynamoDb(): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  useLocalDynamoDb(endpoint);
  return { endpoint, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Points the SDK at a local DynamoDB (any credentials will do: nothing leaves 127.0.0.1). */
function useLocalDynamoDb(endpoint: string): void {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  process.env.AWS_REGION ??= 'us-east-1';
}

/** A table keyed like the stack's: `pk`, and `sk` when it has a sort key (the ledger). */
async function createTable(client: DynamoDBClient, name: string, sortKey = false): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, ...(sortKey ? [{ AttributeName: 'sk', AttributeType: 'S' as const }] : [])],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, ...(sortKey ? [{ AttributeName: 'sk', KeyType: 'RANGE' as const }] : [])],
    }),
  );
  for (;;) {
    const described = await client.send(new DescribeTableCommand({ TableName: name }));
    if (described.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Fresh slot and notification tables in the local DynamoDB, named for this run,
 * and SLOTS_TABLE / NOTIFICATIONS_TABLE / LEDGER_TABLE pointing at them: nothing carries over
 * from one run (or test) to the next.
 */
async function createLocalTables(): Promise<LocalTables> {
  const client = new DynamoDBClient({});
  const id = randomUUID().slice(0, 8);
  const tables = { slots: `ecr-deployer-local-slots-${id}`, notifications: `ecr-deployer-local-notifications-${id}`, ledger: `ecr-deployer-local-ledger-${id}` };
  try {
    await createTable(client, tables.slots);
    await createTable(client, tables.notifications);
    await createTable(client, tables.ledger, true);
  } finally {
    client.destroy();
  }
  process.env.SLOTS_TABLE = tables.slots;
  process.env.NOTIFICATIONS_TABLE = tables.notifications;
  process.env.LEDGER_TABLE = tables.ledger;
  return tables;
}

let throttledNow: () => boolean = () => false;
let throttlingInstalled = false;

/**
 * While `when()` holds, every call of the deployer's DynamoDB client fails as
 * throttled, as it does once the SDK's own retries are spent (the fault matrix
 * throttles a step this way). The check sits before the SDK's retry step.
 */
function throttleDynamoDbWhen(when: () => boolean): void {
  throttledNow = when;
  if (throttlingInstalled) return;
  throttlingInstalled = true;
  dynamodb.middlewareStack.add(
    (next) => async (args) => {
      if (throttledNow()) throw new ProvisionedThroughputExceededException({ message: 'Rate exceeded (simulated)', $metadata: { httpStatusCode: 400 } });
      return next(args);
    },
    { step: 'initialize', name: 'localThrottling' },
  );
}

export { startLocalDynamoDb, useLocalDynamoDb, createLocalTables, throttleDynamoDbWhen };
export type { LocalDynamoDb, LocalTables };
