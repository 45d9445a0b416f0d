import { DescribeImagesCommand, ImageNotFoundException, RepositoryNotFoundException, type ECRClient, type ImageDetail, type ImageIdentifier } from '@aws-sdk/client-ecr';
import { ecr } from '../shared/clients/ecr';
import { ImageNotFound } from '../shared/errors';
import { isDigest, shortDigest } from '../shared/image';

/** An image as ECR knows it. */
interface EcrImage {
  repository: string;
  /** The account whose registry holds it. */
  registryId: string;
  digest: string;
  /** Every tag on it now (ECR tags are mutable: a tag may since point elsewhere). */
  tags: string[];
  pushedAt?: Date;
}

const ECR_REGISTRY = /^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$/;

/** `123456789012.dkr.ecr.us-east-1.amazonaws.com` → `123456789012`; undefined for registries that are not ECR. */
function ecrRegistryId(registry: string): string | undefined {
  return ECR_REGISTRY.exec(registry)?.[1];
}

function describeWanted(id: ImageIdentifier): string {
  return id.imageDigest ? `digest sha256:${shortDigest(id.imageDigest)}…` : `tag "${id.imageTag}"`;
}

/**
 * One image of a repository, by tag or by digest (`DescribeImages`). A tag on a
 * multi-architecture image resolves to the digest of its index, the digest an ECR
 * push event reports.
 */
async function describeImage(repository: string, imageId: ImageIdentifier, registryId?: string, client: ECRClient = ecr): Promise<EcrImage> {
  const where = `ECR repository "${repository}"${registryId ? ` (registry ${registryId})` : ''}`;
  let detail: ImageDetail | undefined;
  try {
    const output = await client.send(new DescribeImagesCommand({ repositoryName: repository, registryId, imageIds: [imageId] }));
    detail = output.imageDetails?.[0];
  } catch (error) {
    if (error instanceof RepositoryNotFoundException) {
      throw new ImageNotFound(`${where} does not exist in this account and region. Check "repository" of the target in deployments.yml, and the region.`, {
        cause: error,
      });
    }
    if (error instanceof ImageNotFoundException) {
      throw new ImageNotFound(
        `${where} has no image with ${describeWanted(imageId)}. List what it has: aws ecr describe-images --repository-name ${repository} --query 'imageDetails[].imageTags'`,
        { cause: error },
      );
    }
    throw error;
  }
  if (!detail?.imageDigest || !isDigest(detail.imageDigest)) throw new ImageNotFound(`${where} has no image with ${describeWanted(imageId)}.`);
  return {
    repository,
    registryId: detail.registryId ?? registryId ?? '',
    digest: detail.imageDigest,
    tags: detail.imageTags ?? [],
    pushedAt: detail.imagePushedAt,
  };
}

/**
 * The image a tag points at now.
 *
 * @example
 * const image = await findImageByTag('stream-ml-service', 'v1.4.0', '123456789012');
 * image.digest; // 'sha256:7f5b…'
 */
function findImageByTag(repository: string, tag: string, registryId?: string, client?: ECRClient): Promise<EcrImage> {
  return describeImage(repository, { imageTag: tag }, registryId, client);
}

/** The image with this digest, with its tags; `ImageNotFound` if ECR does not have it (never pushed, or expired by a lifecycle policy). */
function findImageByDigest(repository: string, digest: string, registryId?: string, client?: ECRClient): Promise<EcrImage> {
  return describeImage(repository, { imageDigest: digest }, registryId, client);
}

/**
 * The tag to show people for an image found by digest: one the target follows
 * (`follows`: its `tags` globs) if any, else any, sorted for a stable choice.
 */
function tagForPeople(tags: string[], follows: (tag: string) => boolean): string | undefined {
  const sorted = [...tags].sort();
  return sorted.find(follows) ?? sorted[0];
}

export { ecrRegistryId, findImageByTag, findImageByDigest, tagForPeople };
export type { EcrImage };
