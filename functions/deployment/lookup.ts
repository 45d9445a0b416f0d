import type { ECRClient } from '@aws-sdk/client-ecr';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { cachedDeployments, tagMatchesTarget } from '../config/packaged';
import type { PromotedFrom, ResolvedTarget } from '../shared/deployment';
import { ImageNotFound, InvalidInput, NoRollbackTarget, NothingToPromote } from '../shared/errors';
import { parseImageReference, shortDigest } from '../shared/image';
import { promotableImage } from '../promotion/source';
import { slotOf } from '../slots/identity';
import { withinRollbackWindow } from '../slots/model';
import { readSlot } from '../slots/store';
import { finishedDeployments } from '../ledger/records';
import { defaultLedgerTable, type LedgerTable } from '../ledger/store';
import { chooseRollback, type RollbackChoice, type ScanStats } from './history';
import { ecrRegistryId, findImageByDigest, findImageByTag, tagForPeople, type EcrImage } from './images';

/** What a console-style input asks for, before the first state looks it up. */
type ImageLookup = { by: 'tag'; tag: string } | { by: 'digest'; digest: string; tag?: string } | { by: 'rollback' } | { by: 'promotion'; from: ResolvedTarget };

/** The image a lookup found: pinned by digest, with a tag for people. */
interface FoundImage {
  registry: string;
  digest: string;
  tag?: string;
  /** For a rollback: the execution name of the deployment it undoes. */
  rollbackOf?: string;
  promotedFrom?: PromotedFrom;
  /** One of the target's last `rollbackWindow` successful images: deployed as a fast rollback. */
  withinRollbackWindow?: boolean;
}

interface LookupContext {
  /** The target's registry (this account's and region's ECR). */
  registry: string;
  /** The deploy state machine, whose executions are the deployment history (needed for a rollback). */
  stateMachineArn?: string;
  clients?: { ecr?: ECRClient; sfn?: SFNClient };
}

/**
 * The deployment a rollback would undo and the image it would go back to, without looking the image up in ECR:
 * from the ledger (the function's own table, or the one given), else the Step Functions history.
 */
async function findRollback(target: ResolvedTarget, stateMachineArn: string, sfnClient?: SFNClient, ledger: LedgerTable | undefined = ledgerOfEnvironment()): Promise<RollbackChoice> {
  const stats: ScanStats = { listed: 0, described: 0, limited: false };
  const records = finishedDeployments({ target: target.name, ledger, stateMachineArn, sfn: sfnClient, stats, statusFilter: 'SUCCEEDED' });
  return chooseRollback(records, target.name, stats);
}

/** The ledger the function's environment names (LEDGER_TABLE), if any. */
function ledgerOfEnvironment(): LedgerTable | undefined {
  return process.env.LEDGER_TABLE ? defaultLedgerTable() : undefined;
}

/** The previous image of a rollback, checked to be the target's and still in ECR. */
async function rollbackImage(target: ResolvedTarget, choice: RollbackChoice, context: LookupContext): Promise<FoundImage> {
  const previous = parseImageReference(choice.previousImage);
  const before = `before ${choice.undoes.executionName}, ${target.name} ran ${choice.previousImage}`;
  if (previous.repository !== target.repository || previous.registry !== context.registry) {
    throw new NoRollbackTarget(
      `${before}, which is not an image of ${context.registry}/${target.repository}: ecr-deployer deploys only that repository to this target. Roll back to a named image instead: {"target": "${target.name}", "tag": "<tag>"}.`,
    );
  }
  const registryId = ecrRegistryId(context.registry);
  let image: EcrImage;
  try {
    if (previous.digest) image = await findImageByDigest(target.repository, previous.digest, registryId, context.clients?.ecr);
    else if (previous.tag) image = await findImageByTag(target.repository, previous.tag, registryId, context.clients?.ecr);
    else throw new NoRollbackTarget(`${before}, a reference with neither tag nor digest. Roll back to a named image instead.`);
  } catch (error) {
    if (error instanceof ImageNotFound) {
      throw new ImageNotFound(`${before}, which ECR no longer has (expired by a lifecycle policy?): ${error.message}`, { cause: error });
    }
    throw error;
  }
  // An image recorded by tag (a definition made by hand) is resolved now: that tag may have moved since.
  return { registry: context.registry, digest: image.digest, tag: previous.tag ?? tagForPeople(image.tags, (tag) => tagMatchesTarget(cachedDeployments(), target.name, tag)), rollbackOf: choice.undoes.executionName };
}

/**
 * The source's tested image (its slot's record) for `target`: in the target's own
 * repository, or in the source's, to be copied when the target allows it
 * (`promote.copyImage`). `NothingToPromote` otherwise, before anything changes.
 */
async function promotionImage(target: ResolvedTarget, source: ResolvedTarget, context: LookupContext): Promise<FoundImage> {
  const sourceSlot = slotOf(source);
  const tested = promotableImage(await readSlot(sourceSlot.key, sourceSlot.kind), source.name);
  const registryId = ecrRegistryId(context.registry);
  const promotedFrom: PromotedFrom = { target: source.name, deploymentId: tested.deploymentId };
  const what = `${source.name}'s ${tested.tag ? `${tested.tag} (sha256:${shortDigest(tested.digest)})` : `sha256:${shortDigest(tested.digest)}`}`;
  const found = (repository: string) =>
    findImageByDigest(repository, tested.digest, registryId, context.clients?.ecr).catch((error: unknown) => {
      if (error instanceof ImageNotFound) return undefined;
      throw error;
    });
  if (await found(target.repository)) return { registry: context.registry, digest: tested.digest, ...(tested.tag ? { tag: tested.tag } : {}), promotedFrom };
  if (source.repository === target.repository) throw new NothingToPromote(`${what} is no longer in ECR repository ${target.repository} (expired by a lifecycle policy?). Nothing was changed.`);
  const copyAllowed = target.promote?.from === source.name && target.promote.copyImage;
  if (!copyAllowed) {
    throw new NothingToPromote(
      `${what} is in repository ${source.repository}, not in ${target.name}'s ${target.repository}. Push it there too, or let the deployer copy it: promote: { from: ${source.name}, copyImage: true } on ${target.name}. Nothing was changed.`,
    );
  }
  if (!(await found(source.repository))) throw new NothingToPromote(`${what} is no longer in ECR repository ${source.repository}. Nothing was changed.`);
  if (!tested.tag) throw new NothingToPromote(`${what} has no tag to copy it under into ${target.repository}; deploy ${source.name} by tag, then promote. Nothing was changed.`);
  return { registry: context.registry, digest: tested.digest, tag: tested.tag, promotedFrom: { ...promotedFrom, copyFromRepository: source.repository } };
}

/** A target with `rollbackWindow`: whether the image is one of its last successful ones (its slot's record says). */
async function withRollbackWindow(target: ResolvedTarget, found: FoundImage): Promise<FoundImage> {
  if (target.rollbackWindow <= 0) return found;
  const slot = slotOf(target);
  const record = await readSlot(slot.key, slot.kind);
  return withinRollbackWindow(record.targets[target.name], found.digest, target.rollbackWindow) ? { ...found, withinRollbackWindow: true } : found;
}

/**
 * Looks up the image a console-style input asks for: a tag or a digest in the
 * target's ECR repository, or, for `rollback: true`, the image the target ran
 * before its last successful deployment (see `chooseRollback`). Named errors
 * (`ImageNotFound`, `NoRollbackTarget`, `InvalidInput`) before anything changes.
 *
 * @example
 * await findRequestedImage(target, { by: 'tag', tag: 'v1.4.0' }, { registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com' });
 * // { registry, digest: 'sha256:7f5b…', tag: 'v1.4.0' }
 */
async function findRequestedImage(target: ResolvedTarget, lookup: ImageLookup, context: LookupContext): Promise<FoundImage> {
  const registryId = ecrRegistryId(context.registry);
  const ecrClient = context.clients?.ecr;
  switch (lookup.by) {
    case 'tag': {
      const image = await findImageByTag(target.repository, lookup.tag, registryId, ecrClient);
      return withRollbackWindow(target, { registry: context.registry, digest: image.digest, tag: lookup.tag });
    }
    case 'digest': {
      const image = await findImageByDigest(target.repository, lookup.digest, registryId, ecrClient);
      if (lookup.tag !== undefined && !image.tags.includes(lookup.tag)) {
        throw new InvalidInput(
          `tag "${lookup.tag}" is not on image sha256:${shortDigest(lookup.digest)}… of ${target.repository} (its tags: ${image.tags.join(', ') || 'none'}); the tag may have moved. Give the digest alone, or the tag alone.`,
        );
      }
      return withRollbackWindow(target, { registry: context.registry, digest: image.digest, tag: lookup.tag ?? tagForPeople(image.tags, (tag) => tagMatchesTarget(cachedDeployments(), target.name, tag)) });
    }
    case 'promotion':
      return promotionImage(target, lookup.from, context);
    case 'rollback': {
      if (!context.stateMachineArn) throw new InvalidInput('a rollback needs the execution ARN (to read the deployment history); start it as an execution of the deploy state machine.');
      const choice = await findRollback(target, context.stateMachineArn, context.clients?.sfn);
      return rollbackImage(target, choice, context);
    }
  }
}

export { findRequestedImage, findRollback, rollbackImage };
export type { ImageLookup, FoundImage, LookupContext };
