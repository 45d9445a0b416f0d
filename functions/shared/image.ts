/** A container image reference split into its parts: `[registry/]repository[:tag][@digest]`. */
interface ParsedImageReference {
  registry?: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

function isDigest(value: string): boolean {
  return DIGEST_PATTERN.test(value);
}

/**
 * A tag as registries accept it (the OCI distribution spec's grammar, which ECR and
 * `docker push` follow): a letter, digit or `_`, then up to 127 of those, `.` or `-`.
 */
const IMAGE_TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const IMAGE_TAG_GRAMMAR = '1-128 characters of A-Z, a-z, 0-9, _, . and -, not starting with . or -';

function isImageTag(value: string): boolean {
  return IMAGE_TAG_PATTERN.test(value);
}

/**
 * Parses by structure, not by splitting on ":" (which breaks on registry ports
 * and digests). A first path component with a "." or ":" or "localhost" is a registry.
 */
function parseImageReference(reference: string): ParsedImageReference {
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { registry, repository: rest, tag, digest };
}

/** The image a deployment rolls out: always pinned by digest, tag kept for humans. */
interface ImageRef {
  registry: string;
  repository: string;
  tag?: string;
  digest: string;
  /** `<registry>/<repository>@sha256:…`, what goes into the definitions. */
  uri: string;
}

function ecrRegistry(accountId: string, region: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com`;
}

function imageRef(registry: string, repository: string, digest: string, tag?: string): ImageRef {
  return { registry, repository, tag: tag || undefined, digest, uri: `${registry}/${repository}@${digest}` };
}

/** `sha256:7f5b2640fe6f…` → `7f5b2640fe6f`, for names and humans. */
function shortDigest(digest: string, length = 12): string {
  return digest.replace(/^sha256:/, '').slice(0, length);
}

export { parseImageReference, isDigest, isImageTag, IMAGE_TAG_PATTERN, IMAGE_TAG_GRAMMAR, ecrRegistry, imageRef, shortDigest };
export type { ParsedImageReference, ImageRef };
