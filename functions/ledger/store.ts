import { ConditionalCheckFailedException, PutItemCommand, paginateQuery, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { withTransientErrorsNamed } from '../shared/aws-errors';
import { dynamodb } from '../shared/clients/dynamodb';
import { sortKeyOf, type LedgerEntry } from './entry';

/**
 * The ledger table (serverless.yml `LedgerTable`): key `pk` = the target's name,
 * `sk` = `<startedAt>#<deploymentId>`, TTL attribute `expiresAt`.
 */

interface LedgerTable {
  client: DynamoDBClient;
  name: string;
}

function defaultLedgerTable(): LedgerTable {
  const name = process.env.LEDGER_TABLE;
  if (!name) throw new Error('LEDGER_TABLE is not set (serverless.yml sets it to the ledger table)');
  return { client: dynamodb, name };
}

/**
 * Writes each entry unless it is there already: a retried release (or the
 * recovery rule after it) finds the first write and keeps it, finishing time included.
 */
async function recordInLedger(entries: LedgerEntry[], table: LedgerTable = defaultLedgerTable()): Promise<void> {
  for (const entry of entries) {
    try {
      await withTransientErrorsNamed('write ledger', () =>
        table.client.send(
          new PutItemCommand({
            TableName: table.name,
            Item: marshall({ pk: entry.target, sk: sortKeyOf(entry), ...entry }, { removeUndefinedValues: true }),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

interface LedgerQuery {
  target: string;
  /** Deployments started at or after this time (ISO). */
  since?: string;
  /** … and before this one. */
  until?: string;
  /** Oldest first; default newest first. */
  oldestFirst?: boolean;
}

function fromItem(item: Record<string, unknown>): LedgerEntry {
  const { pk: _pk, sk: _sk, ...entry } = item;
  return entry as unknown as LedgerEntry;
}

/**
 * A target's ledger entries in start order, newest first unless asked otherwise,
 * page by page: the caller stops reading when it has enough.
 */
async function* ledgerEntries(query: LedgerQuery, table: LedgerTable = defaultLedgerTable()): AsyncGenerator<LedgerEntry> {
  // Sort keys begin with the start time, so a time bounds them.
  const from = query.since;
  const to = query.until;
  const range = from && to ? '#sk BETWEEN :from AND :to' : from ? '#sk >= :from' : to ? '#sk < :to' : undefined;
  const pages = paginateQuery(
    { client: table.client, pageSize: 100 },
    {
      TableName: table.name,
      KeyConditionExpression: range ? `#pk = :target AND ${range}` : '#pk = :target',
      ExpressionAttributeNames: { '#pk': 'pk', ...(range ? { '#sk': 'sk' } : {}) },
      ExpressionAttributeValues: marshall({ ':target': query.target, ...(from ? { ':from': from } : {}), ...(to ? { ':to': to } : {}) }),
      ScanIndexForward: query.oldestFirst === true,
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const entry = fromItem(unmarshall(item));
      // BETWEEN includes its upper bound: a deployment started exactly at `until` belongs to the next range.
      if (to && entry.startedAt >= to) continue;
      yield entry;
    }
  }
}

export { recordInLedger, ledgerEntries, defaultLedgerTable };
export type { LedgerTable, LedgerQuery };
