import { BatchGetImageCommand, ImageAlreadyExistsException, PutImageCommand } from '@aws-sdk/client-ecr';
import { withTransientErrorsNamed } from '../shared/aws-errors';
import { ecr } from '../shared/clients/ecr';
import { AwsTransientError, PromotionCopyFailed } from '../shared/errors';
import { shortDigest } from '../shared/image';
import type { Deployment } from '../shared/deployment';
import { logger } from '../shared/logger';
import { ecrRegistryId } from '../deployment/images';

/**
 * A promotion across repositories of this account (`promote.copyImage: true`):
 * the source's manifest, byte for byte, put into the destination's repository
 * under its tag, so the digest stays the same. ECR keeps layers per repository, so
 * it may refuse (`LayersNotFoundException`): then the deployment fails before
 * anything changed, saying how to copy the image with its layers.
 */

const MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

interface ImageCopy {
  fromRepository: string;
  toRepository: string;
  digest: string;
  tag: string;
  /** The registry (account) both repositories are in. */
  registryId: string;
  /** For the message: how to copy it by hand. */
  registry: string;
}

/** Copies the image; an image already there under that tag is a copy done (a retry, or a person who copied it first). */
async function copyImageIntoRepository(copy: ImageCopy): Promise<'copied' | 'already there'> {
  const { fromRepository, toRepository, digest, tag, registryId } = copy;
  const found = await withTransientErrorsNamed('BatchGetImage', () =>
    ecr.send(new BatchGetImageCommand({ registryId, repositoryName: fromRepository, imageIds: [{ imageDigest: digest }], acceptedMediaTypes: MEDIA_TYPES })),
  );
  const image = found.images?.[0];
  if (!image?.imageManifest) {
    throw new PromotionCopyFailed(`${fromRepository}@sha256:${shortDigest(digest)} has no manifest to copy (${found.failures?.[0]?.failureReason ?? 'not found'}). Nothing was changed.`);
  }
  try {
    await withTransientErrorsNamed('PutImage', () =>
      ecr.send(
        new PutImageCommand({
          registryId,
          repositoryName: toRepository,
          imageManifest: image.imageManifest,
          imageManifestMediaType: image.imageManifestMediaType,
          imageTag: tag,
          imageDigest: digest,
        }),
      ),
    );
    return 'copied';
  } catch (error) {
    if (error instanceof ImageAlreadyExistsException) return 'already there';
    if (error instanceof AwsTransientError) throw error;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new PromotionCopyFailed(
      `ECR refused to copy ${fromRepository}@sha256:${shortDigest(digest)} into ${toRepository} as ${tag} (${reason}). Nothing was changed. Copy it with its layers, then promote again: docker buildx imagetools create --tag ${copy.registry}/${toRepository}:${tag} ${copy.registry}/${fromRepository}@${digest}`,
      { cause: error },
    );
  }
}

/** Before anything changes, with the slot held: the promoted image into the destination's repository, where the target asked for it (`promote.copyImage`). */
async function copyPromotedImages(deployment: Deployment): Promise<void> {
  for (const change of deployment.changes) {
    const from = change.promotedFrom?.copyFromRepository;
    if (!from || !change.image.tag) continue;
    const registryId = ecrRegistryId(change.image.registry);
    if (!registryId) throw new PromotionCopyFailed(`${change.image.registry} is not an ECR registry of this account. Nothing was changed.`);
    const result = await copyImageIntoRepository({ fromRepository: from, toRepository: change.target.repository, digest: change.image.digest, tag: change.image.tag, registryId, registry: change.image.registry });
    logger.info('promoted image copied', { target: change.target.name, from, to: change.target.repository, digest: change.image.digest, tag: change.image.tag, result });
  }
}

export { copyImageIntoRepository, copyPromotedImages };
export type { ImageCopy };
