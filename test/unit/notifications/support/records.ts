import { createHash } from 'node:crypto';
import { readItem } from '../../../support/dynamodb';

/**
 * The key of a notification's record, as Powertools Idempotency makes it: the prefix,
 * then the base64 MD5 of the key object as sorted JSON. Written out here so that a test
 * can leave a record as another invocation would have, and so that a change of the
 * layout (which would let a redelivery across an upgrade through) is noticed.
 */
function recordKey(deploymentId: string, status: string): string {
  return `notification#${createHash('md5').update(JSON.stringify({ deploymentId, status })).digest('base64')}`;
}

/** A notification's record, as plain values (`{ pk, state, leaseUntil, expiresAt, result }`), or undefined. */
function readRecord(table: string, deploymentId: string, status: string): Promise<Record<string, unknown> | undefined> {
  return readItem(table, recordKey(deploymentId, status));
}

export { readRecord, recordKey };
