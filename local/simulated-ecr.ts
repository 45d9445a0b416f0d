import { createHash } from 'node:crypto';
import {
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  ECRClient,
  ImageAlreadyExistsException,
  ImageNotFoundException,
  LayersNotFoundException,
  PutImageCommand,
  RepositoryNotFoundException,
  ScanNotFoundException,
  type BatchGetImageCommandInput,
  type DescribeImageScanFindingsCommandInput,
  type DescribeImagesCommandInput,
  type ImageDetail,
  type PutImageCommandInput,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * Amazon ECR in memory: repositories and their images, each with a digest and
 * its tags. Tags move, as in ECR: pushing a tag that is on another image takes it
 * off that image. Answers `DescribeImages`, and `BatchGetImage` and `PutImage`
 * (a promotion's copy) with a made-up manifest per digest.
 */

/** Wraps a fake command: records the call, fails it when a failure is injected. */
type Handle = <I, O>(service: string, command: string, run: (input: I) => O) => (input: I) => Promise<O>;

interface SimulatedImage {
  digest: string;
  tags: string[];
  pushedAt: Date;
}

const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';

/** The manifest of a made-up image: the same text for the same digest, wherever it is. */
function manifestOf(digest: string): string {
  return JSON.stringify({ schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests: [{ digest, platform: { os: 'linux', architecture: 'amd64' } }] });
}

/** A scan of an image, as a test sets it up: basic findings (name, severity, package), or enhanced (Inspector) ones. */
interface SimulatedScan {
  /** ECR's status: COMPLETE, IN_PROGRESS, FAILED, UNSUPPORTED_IMAGE (basic); ACTIVE, PENDING, … (enhanced); `none`: no scan at all. */
  status: string;
  findings?: { id: string; severity: string; pkg?: string }[];
  enhanced?: boolean;
  /** Looks at it that still find it IN_PROGRESS (PENDING when enhanced) before `status`. */
  runningLooks?: number;
}

/** DescribeImages pages this many images, to exercise pagination. */
const PAGE_SIZE = 5;

/** A digest for an image made up in a test: `sha256:` and 64 hex digits derived from `seed`. */
function fakeDigest(seed: string): string {
  return `sha256:${createHash('sha256').update(seed).digest('hex')}`;
}

class SimulatedEcr {
  /** Images by repository name, oldest push first. */
  public readonly repositories = new Map<string, SimulatedImage[]>();
  /**
   * A rehearsal (`--local -f FILE`): a tag looked up in a repository that has no image
   * with it is pushed then, so any tag a person names exists.
   */
  public createsTagsOnFirstUse = false;
  /** Scans by digest; an image without one was scanned on push and has no findings. */
  public readonly scans = new Map<string, SimulatedScan>();
  /** Repositories whose PutImage refuses a manifest from another repository: ECR keeps layers per repository. */
  public readonly missingLayersIn = new Set<string>();
  private readonly mock = mockClient(ECRClient);

  public constructor(
    private readonly accountId: string,
    handle: Handle,
  ) {
    this.install(handle);
  }

  public restore(): void {
    this.mock.restore();
  }

  public createRepository(name: string): void {
    if (!this.repositories.has(name)) this.repositories.set(name, []);
  }

  /** A push: the image gets the tags (taken off any other image of the repository); `pushedAt` defaults to now. */
  public pushImage(repository: string, digest: string, tags: string[] = [], pushedAt = new Date()): void {
    this.createRepository(repository);
    const images = this.repositories.get(repository) ?? [];
    for (const image of images) image.tags = image.tags.filter((tag) => !tags.includes(tag));
    const existing = images.find((image) => image.digest === digest);
    if (existing) existing.tags = [...new Set([...existing.tags, ...tags])];
    else images.push({ digest, tags: [...tags], pushedAt });
  }

  /** The digest a tag points at now. */
  public digestOf(repository: string, tag: string): string | undefined {
    return this.repositories.get(repository)?.find((image) => image.tags.includes(tag))?.digest;
  }

  private detail(repository: string, image: SimulatedImage): ImageDetail {
    return {
      registryId: this.accountId,
      repositoryName: repository,
      imageDigest: image.digest,
      imageTags: image.tags.length > 0 ? [...image.tags] : undefined,
      imagePushedAt: image.pushedAt,
      imageManifestMediaType: 'application/vnd.oci.image.index.v1+json',
    };
  }

  private imagesOf(name: string, registryId: string | undefined): SimulatedImage[] {
    const images = this.repositories.get(name);
    if (!images || (registryId !== undefined && registryId !== this.accountId)) {
      throw new RepositoryNotFoundException({ message: `The repository with name '${name}' does not exist in the registry with id '${registryId ?? this.accountId}'`, $metadata: { httpStatusCode: 400 } });
    }
    return images;
  }

  private install(handle: Handle): void {
    this.mock.on(BatchGetImageCommand).callsFake(
      handle('ECR', 'BatchGetImage', (input: BatchGetImageCommandInput) => {
        const name = input.repositoryName ?? '';
        const images = this.imagesOf(name, input.registryId);
        const found = (input.imageIds ?? []).map((id) => ({ id, image: images.find((i) => (id.imageDigest ? i.digest === id.imageDigest : i.tags.includes(id.imageTag ?? ''))) }));
        return {
          images: found.flatMap(({ image }) =>
            image ? [{ registryId: this.accountId, repositoryName: name, imageId: { imageDigest: image.digest }, imageManifest: manifestOf(image.digest), imageManifestMediaType: INDEX_MEDIA_TYPE }] : [],
          ),
          failures: found.flatMap(({ id, image }) => (image ? [] : [{ imageId: id, failureCode: 'ImageNotFound' as const, failureReason: 'Requested image not found' }])),
        };
      }),
    );
    this.mock.on(PutImageCommand).callsFake(
      handle('ECR', 'PutImage', (input: PutImageCommandInput) => {
        const name = input.repositoryName ?? '';
        const images = this.imagesOf(name, input.registryId);
        const digest = input.imageDigest ?? '';
        if (input.imageManifest !== manifestOf(digest)) throw new Error(`PutImage: the manifest does not match ${digest}`);
        const existing = images.find((image) => image.digest === digest);
        if (existing && (!input.imageTag || existing.tags.includes(input.imageTag))) {
          throw new ImageAlreadyExistsException({ message: `Image with digest '${digest}' and tag '${input.imageTag ?? 'null'}' already exists in the repository with name '${name}'`, $metadata: { httpStatusCode: 400 } });
        }
        if (!existing && this.missingLayersIn.has(name)) {
          throw new LayersNotFoundException({ message: `Layers with digests '[${digest}]' required for pushing image into repository with name '${name}' do not exist`, $metadata: { httpStatusCode: 400 } });
        }
        this.pushImage(name, digest, input.imageTag ? [input.imageTag] : []);
        return { image: { registryId: this.accountId, repositoryName: name, imageId: { imageDigest: digest, imageTag: input.imageTag } } };
      }),
    );
    this.mock.on(DescribeImageScanFindingsCommand).callsFake(
      handle('ECR', 'DescribeImageScanFindings', (input: DescribeImageScanFindingsCommandInput) => {
        const name = input.repositoryName ?? '';
        const digest = input.imageId?.imageDigest ?? '';
        if (!this.imagesOf(name, input.registryId).some((image) => image.digest === digest)) {
          throw new ImageNotFoundException({ message: `The image with imageId {imageDigest:'${digest}'} does not exist within the repository with name '${name}'`, $metadata: { httpStatusCode: 400 } });
        }
        const scan = this.scans.get(digest) ?? { status: 'COMPLETE', findings: [] };
        if (scan.status === 'none') throw new ScanNotFoundException({ message: `Image scan does not exist for the image with '{imageDigest:${digest}}' in the repository with name '${name}'`, $metadata: { httpStatusCode: 400 } });
        if ((scan.runningLooks ?? 0) > 0) {
          scan.runningLooks = (scan.runningLooks ?? 0) - 1;
          return { repositoryName: name, imageId: { imageDigest: digest }, imageScanStatus: { status: scan.enhanced ? 'PENDING' : 'IN_PROGRESS' } };
        }
        const findings = scan.findings ?? [];
        const counts: Record<string, number> = {};
        for (const finding of findings) counts[finding.severity] = (counts[finding.severity] ?? 0) + 1;
        return {
          repositoryName: name,
          imageId: { imageDigest: digest },
          imageScanStatus: { status: scan.status },
          imageScanFindings: {
            findingSeverityCounts: counts,
            ...(scan.enhanced
              ? { enhancedFindings: findings.map((f) => ({ severity: f.severity, title: f.id, packageVulnerabilityDetails: { vulnerabilityId: f.id, source: 'NVD', vulnerablePackages: f.pkg ? [{ name: f.pkg, version: '1.0' }] : [] } })) }
              : { findings: findings.map((f) => ({ name: f.id, severity: f.severity as 'HIGH', attributes: f.pkg ? [{ key: 'package_name', value: f.pkg }] : [] })) }),
          },
        };
      }),
    );
    this.mock.on(DescribeImagesCommand).callsFake(
      handle('ECR', 'DescribeImages', (input: DescribeImagesCommandInput) => {
        const name = input.repositoryName ?? '';
        const images = this.repositories.get(name);
        if (!images || (input.registryId !== undefined && input.registryId !== this.accountId)) {
          throw new RepositoryNotFoundException({
            message: `The repository with name '${name}' does not exist in the registry with id '${input.registryId ?? this.accountId}'`,
            $metadata: { httpStatusCode: 400 },
          });
        }
        if (input.imageIds && input.imageIds.length > 0) {
          const found = input.imageIds.map((id) => {
            if (!id.imageDigest && id.imageTag && this.createsTagsOnFirstUse && !images.some((i) => i.tags.includes(id.imageTag ?? ''))) {
              this.pushImage(name, fakeDigest(`${name}:${id.imageTag}`), [id.imageTag]);
            }
            const image = images.find((i) => (id.imageDigest ? i.digest === id.imageDigest : i.tags.includes(id.imageTag ?? '')));
            if (!image) {
              throw new ImageNotFoundException({
                message: `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${name}' in the registry with id '${this.accountId}'`,
                $metadata: { httpStatusCode: 400 },
              });
            }
            return this.detail(name, image);
          });
          return { imageDetails: found };
        }
        const start = Number(input.nextToken ?? 0);
        const tagStatus = input.filter?.tagStatus;
        const newestFirst = [...images].reverse().filter((image) => !tagStatus || tagStatus === 'ANY' || (tagStatus === 'TAGGED') === image.tags.length > 0);
        return {
          imageDetails: newestFirst.slice(start, start + PAGE_SIZE).map((image) => this.detail(name, image)),
          nextToken: start + PAGE_SIZE < newestFirst.length ? String(start + PAGE_SIZE) : undefined,
        };
      }),
    );
  }
}

export { SimulatedEcr, fakeDigest };
export type { SimulatedImage, SimulatedScan };
