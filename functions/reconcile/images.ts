import { paginateDescribeImages } from '@aws-sdk/client-ecr';
import { ecr } from '../shared/clients/ecr';
import { isDigest } from '../shared/image';

/** An image of a repository as DescribeImages lists it. */
interface RepositoryImage {
  digest: string;
  tags: string[];
  pushedAt: Date;
}

/** The newest image a target would deploy: pushed last among those with a tag it follows, and that tag. */
interface NewestImage {
  digest: string;
  tag: string;
  pushedAt: Date;
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
 * is the first such tag in sort order, as a person would name it.
 */
function newestFollowedImage(images: RepositoryImage[], follows: (tag: string) => boolean): NewestImage | undefined {
  let newest: NewestImage | undefined;
  for (const image of images) {
    const [tag] = image.tags.filter(follows).sort();
    if (tag === undefined) continue;
    if (!newest || image.pushedAt > newest.pushedAt) newest = { digest: image.digest, tag, pushedAt: image.pushedAt };
  }
  return newest;
}

export { listTaggedImages, newestFollowedImage };
export type { RepositoryImage, NewestImage };
