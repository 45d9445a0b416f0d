import { BatchGetImageCommand, GetDownloadUrlForLayerCommand, paginateDescribeImages, type ImageDetail } from '@aws-sdk/client-ecr';
import { tagPattern } from '../functions/config/compile';
import type { ResolvedTarget } from '../functions/shared/deployment';
import type { CliContext } from './context';

/**
 * The platform check of `verify`: what the target's compute runs (a task's
 * `runtimePlatform`, a Batch Fargate job's, a function's architecture) against what
 * the image was built for, read from its manifest in ECR (BatchGetImage) and, for a
 * single-platform manifest, its config blob (GetDownloadUrlForLayer).
 */

/** OCI names: `linux/amd64`. */
interface Platform {
  os: string;
  architecture: string;
}

const INDEX_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];
const MANIFEST_TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];

interface ImageManifest {
  mediaType?: string;
  manifests?: { platform?: Partial<Platform> }[];
  config?: { digest?: string };
}

function platformLabel(platform: Platform): string {
  return `${platform.os}/${platform.architecture}`;
}

/** ECS and Batch name it LINUX / X86_64, ARM64; Fargate's default is LINUX on X86_64. */
function platformOfRuntime(runtime: { operatingSystemFamily?: string; cpuArchitecture?: string } | undefined): Platform {
  const family = runtime?.operatingSystemFamily ?? 'LINUX';
  return { os: family.startsWith('WINDOWS') ? 'windows' : 'linux', architecture: runtime?.cpuArchitecture === 'ARM64' ? 'arm64' : 'amd64' };
}

/** Lambda's `Architectures`: x86_64 (the default) or arm64. */
function platformOfFunction(architectures: string[] | undefined): Platform {
  return { os: 'linux', architecture: architectures?.includes('arm64') ? 'arm64' : 'amd64' };
}

/**
 * The platforms an image index lists, without attestation entries (`unknown/unknown`,
 * which buildx adds for provenance); undefined for a single-platform manifest.
 */
function platformsOfIndex(manifest: ImageManifest, mediaType: string | undefined): Platform[] | undefined {
  if (!INDEX_TYPES.includes(mediaType ?? manifest.mediaType ?? '') && !manifest.manifests) return undefined;
  return (manifest.manifests ?? [])
    .map((entry) => ({ os: entry.platform?.os ?? 'unknown', architecture: entry.platform?.architecture ?? 'unknown' }))
    .filter((platform) => platform.os !== 'unknown' && platform.architecture !== 'unknown');
}

interface ImagePlatforms {
  platforms: Platform[];
  /** An image index (several platforms, or buildx's provenance): Lambda refuses those. */
  isIndex: boolean;
}

async function imagePlatforms(context: CliContext, repository: string, digest: string): Promise<ImagePlatforms> {
  context.errorContext.action = 'ecr:BatchGetImage';
  const found = await context.clients.ecr.send(new BatchGetImageCommand({ repositoryName: repository, imageIds: [{ imageDigest: digest }], acceptedMediaTypes: [...INDEX_TYPES, ...MANIFEST_TYPES] }));
  const image = found.images?.[0];
  if (!image?.imageManifest) throw new Error(`ECR returned no manifest for ${repository}@${digest} (${found.failures?.[0]?.failureReason ?? 'no reason given'})`);
  const manifest = JSON.parse(image.imageManifest) as ImageManifest;
  const listed = platformsOfIndex(manifest, image.imageManifestMediaType);
  if (listed) return { platforms: listed, isIndex: true };
  if (!manifest.config?.digest) throw new Error(`the manifest of ${repository}@${digest} names no config`);
  context.errorContext.action = 'ecr:GetDownloadUrlForLayer';
  const { downloadUrl } = await context.clients.ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: repository, layerDigest: manifest.config.digest }));
  if (!downloadUrl) throw new Error(`ECR gave no download URL for the config of ${repository}@${digest}`);
  const response = await fetch(downloadUrl);
  if (!response.ok) throw new Error(`reading the image config of ${repository}@${digest} answered ${response.status}`);
  const config = (await response.json()) as Partial<Platform>;
  return { platforms: [{ os: config.os ?? 'unknown', architecture: config.architecture ?? 'unknown' }], isIndex: false };
}

/** The image to check: the tag asked for, else the newest pushed image with a tag the target deploys. */
async function imageToCheck(context: CliContext, target: ResolvedTarget, tag: string | undefined): Promise<ImageDetail | undefined> {
  context.errorContext.action = 'ecr:DescribeImages';
  const follows = (candidate: string) => (tag !== undefined ? candidate === tag : target.tags.some((glob) => new RegExp(tagPattern(glob)).test(candidate)));
  let newest: ImageDetail | undefined;
  const pages = paginateDescribeImages({ client: context.clients.ecr }, { repositoryName: target.repository, filter: { tagStatus: 'TAGGED' } });
  for await (const page of pages) {
    for (const detail of page.imageDetails ?? []) {
      if (!(detail.imageTags ?? []).some(follows)) continue;
      if (!newest || (detail.imagePushedAt?.getTime() ?? 0) > (newest.imagePushedAt?.getTime() ?? 0)) newest = detail;
    }
  }
  return newest;
}

export { imagePlatforms, imageToCheck, platformLabel, platformOfFunction, platformOfRuntime };
export type { ImagePlatforms, Platform };
