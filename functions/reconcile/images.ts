import { paginateDescribeImages } from '@aws-sdk/client-ecr';
import { ecr } from '../shared/clients/ecr';
import { higherVersion, versionOfTag, type TagPolicy } from '../policy/tag-policy';
import { isDigest } from '../shared/image';

/** An image of a repository as DescribeImages lists it. */
interface RepositoryImage {
  digest: string;
  tags: string[];
  pushedAt: Date;
}

/** The newest image a target would deploy: pushed last (or, under a semver policy, of the highest version) among those with a tag it follows, and that tag. */
interface NewestImage {
  digest: string;
  tag: string;
  pushedAt: Date;
  /** Under `tagPolicy: semver`: the tag's version. */
  version?: string;
}

/** DescribeImages' largest page. */
const PAGE_SIZE = 1000;

/**
 * Every tagged image of a repository, page by page (DescribeImages lists them in
 * no particular order, so all pages are read), and how many calls that took.
 */
async function listTaggedImages(repository: string): Promise<{ images: RepositoryImage[]; calls: number }> {
  const images: RepositoryImage[] = [];
  let calls = 0;
  for await (const page of paginateDescribeImages({ client: ecr, pageSize: PAGE_SIZE }, { repositoryName: repository, filter: { tagStatus: 'TAGGED' } })) {
    calls += 1;
    for (const detail of page.imageDetails ?? []) {
      if (!detail.imageDigest || !isDigest(detail.imageDigest) || !detail.imagePushedAt) continue;
      images.push({ digest: detail.imageDigest, tags: detail.imageTags ?? [], pushedAt: detail.imagePushedAt });
    }
  }
  return { images, calls };
}

/**
 * The image pushed last among those with a tag `follows` accepts (pure); its tag
 * is the first such tag in sort order, as a person would name it. Under a semver
 * policy: the image of the highest version a tag it follows (and the policy takes) names.
 */
function newestFollowedImage(images: RepositoryImage[], follows: (tag: string) => boolean, policy: TagPolicy = { kind: 'glob' }): NewestImage | undefined {
  let newest: NewestImage | undefined;
  for (const image of images) {
    if (policy.kind === 'semver') {
      for (const tag of image.tags.filter(follows)) {
        const named = versionOfTag(policy, tag);
        if ('version' in named && (!newest?.version || higherVersion(named.version, newest.version) !== newest.version)) newest = { digest: image.digest, tag, pushedAt: image.pushedAt, version: named.version };
      }
      continue;
    }
    const [tag] = image.tags.filter(follows).sort();
    if (tag === undefined) continue;
    if (!newest || image.pushedAt > newest.pushedAt) newest = { digest: image.digest, tag, pushedAt: image.pushedAt };
  }
  return newest;
}

export { listTaggedImages, newestFollowedImage };
export type { RepositoryImage, NewestImage };
