import { TARGET_KINDS } from '../config/kinds';
import { tagMatchesTarget, type CompiledDeployments } from '../config/packaged';
import type { DeploymentsFile } from '../config/schema';
import { ConfigError } from '../shared/errors';
import type { ResolvedTarget } from '../shared/deployment';
import { IMAGE_TAG_GRAMMAR, isDigest, isImageTag } from '../shared/image';
import type { EcrImageActionEvent } from './ecr-event';

/** Why a push starts nothing, in words for the log. */
type IgnoredPush = { ignored: true; reason: string };
/** `manualOnly`: targets the tag matches that only a person or a promotion deploys (trigger: manual). */
type MatchedPush = { ignored: false; targets: ResolvedTarget[]; tag: string; digest: string; manualOnly?: string[] };

/** A target with its kind made explicit: the key (ecs, batch) the schema guarantees is the only one set. */
function resolveTarget(target: DeploymentsFile['targets'][number]): ResolvedTarget {
  const kind = TARGET_KINDS.find((k) => target[k] !== undefined);
  if (!kind) throw new ConfigError(`target ${target.name} has none of ${TARGET_KINDS.join(', ')}`);
  return { ...target, kind };
}

/** Where the deployer runs: pushes to any other account's or region's ECR are not its to deploy. */
interface OwnRegistry {
  account: string;
  region: string;
}

/** Decides which targets an ECR push deploys to, or why it deploys nowhere. */
function matchPushToTargets(event: EcrImageActionEvent, compiled: CompiledDeployments, own: OwnRegistry): IgnoredPush | MatchedPush {
  const { config } = compiled;
  if (event.account !== own.account) return { ignored: true, reason: `push to account ${event.account}'s ECR: this deployer deploys only images of its own account, ${own.account}` };
  if (event.region !== own.region) return { ignored: true, reason: `push to ECR in ${event.region}: this deployer deploys only images of its own region, ${own.region} (one stack per region)` };
  const detail = event.detail;
  if (detail['action-type'] !== 'PUSH') return { ignored: true, reason: `action-type is ${detail['action-type']}, not PUSH` };
  if (detail.result !== 'SUCCESS') return { ignored: true, reason: `result is ${detail.result}, not SUCCESS` };
  const tag = detail['image-tag'] ?? '';
  if (tag === '') return { ignored: true, reason: 'tagless push (a child manifest of a multi-arch image, or a push by digest)' };
  if (!isImageTag(tag)) return { ignored: true, reason: `tag "${tag.slice(0, 140)}" is not an image tag (${IMAGE_TAG_GRAMMAR})` };
  const digest = detail['image-digest'] ?? '';
  if (!isDigest(digest)) return { ignored: true, reason: `image-digest "${digest}" is not a sha256 digest` };
  const repository = detail['repository-name'];
  const forRepository = config.targets.filter((target) => target.repository === repository);
  if (forRepository.length === 0) return { ignored: true, reason: `no target in deployments.yml follows repository "${repository}"` };
  const matching = forRepository.filter((target) => tagMatchesTarget(compiled, target.name, tag));
  if (matching.length === 0) {
    return {
      ignored: true,
      reason: `tag "${tag}" matches none of ${forRepository.map((t) => `${t.name} [${t.tags.join(', ')}]`).join('; ')}`,
    };
  }
  const manual = matching.filter((target) => target.trigger === 'manual').map((target) => target.name);
  const byPush = matching.filter((target) => target.trigger !== 'manual');
  if (byPush.length === 0) return { ignored: true, reason: `${manual.join(', ')} ${manual.length === 1 ? 'is' : 'are'} deployed by hand or by promotion only (trigger: manual): a push never deploys ${manual.length === 1 ? 'it' : 'them'}` };
  return { ignored: false, targets: byPush.map(resolveTarget), tag, digest, ...(manual.length > 0 ? { manualOnly: manual } : {}) };
}

export { matchPushToTargets, resolveTarget };
export type { IgnoredPush, MatchedPush, OwnRegistry };
