import { NothingToPromote } from '../shared/errors';
import { shortDigest } from '../shared/image';
import type { SlotRecord } from '../slots/model';

/**
 * What a promotion deploys: exactly the digest the source target runs now and
 * last SUCCEEDED with, as the slot store records it (pure). Anything less certain
 * is `NothingToPromote`, saying why, before anything changes.
 */

/** The source's tested image. */
interface PromotableImage {
  digest: string;
  tag?: string;
  /** The source's deployment that put it there and SUCCEEDED. */
  deploymentId: string;
}

function label(digest: string, tag: string | undefined): string {
  return `${tag ? `${tag} ` : ''}(sha256:${shortDigest(digest)})`;
}

/**
 * @example
 * promotableImage(record, 'splitter-staging'); // { digest: 'sha256:…', tag: 'v1.4.0', deploymentId: 'batch-…-g3' }
 */
function promotableImage(record: SlotRecord, source: string): PromotableImage {
  const state = record.targets[source];
  const deployed = state?.deployed;
  if (!deployed) throw new NothingToPromote(`${source} has no successful deployment to promote: deploy it first, then promote what passed there.`);
  const inFlight = record.lease?.images[source];
  if (inFlight && record.lease?.holder !== deployed.deploymentId) {
    throw new NothingToPromote(`${source} is being deployed now (${record.lease?.holder}, ${label(inFlight.digest, inFlight.tag)}): promote once that deployment has ended.`);
  }
  // A deployment refused or not approved changed nothing: what runs is still the last success.
  const last = state.last?.status === 'REJECTED' ? undefined : state.last;
  if (last && last.status !== 'SUCCEEDED') {
    throw new NothingToPromote(
      `${source}'s last deployment (${last.deploymentId}, sha256:${shortDigest(last.digest)}) ended ${last.status}: what it runs is not what it last tested. Deploy ${source} again (or roll it back) until it SUCCEEDED, then promote.`,
    );
  }
  if (last && last.digest !== deployed.digest) {
    throw new NothingToPromote(`${source} runs ${label(deployed.digest, deployed.tag)}, but its last deployment was of sha256:${shortDigest(last.digest)}: promote once they agree.`);
  }
  return { digest: deployed.digest, ...(deployed.tag ? { tag: deployed.tag } : {}), deploymentId: deployed.deploymentId };
}

export { promotableImage };
export type { PromotableImage };
