import { findImageByDigest, findImageByTag, tagForPeople, type EcrImage } from '../../functions/deployment/images';
import { tagPattern } from '../../functions/config/compile';
import { findTarget } from '../../functions/deployment/resolve';
import type { ResolvedTarget } from '../../functions/shared/deployment';
import { TargetNotFound } from '../../functions/shared/errors';
import { isDigest } from '../../functions/shared/image';
import type { CliContext } from '../context';
import { CliError, UsageError } from '../errors';
import { executionName } from '../names';
import { imageLabel } from '../steps';
import { startExecution } from './start';

interface ImageOptions {
  tag?: string;
  digest?: string;
}

/** Exactly one of --tag and --digest, the digest well formed. */
function checkImageOptions(options: ImageOptions): void {
  if (options.tag === undefined && options.digest === undefined) throw new UsageError('say which image: --tag <tag> or --digest <sha256:…>');
  if (options.tag !== undefined && options.digest !== undefined) throw new UsageError('give --tag or --digest, not both');
  if (options.digest !== undefined && !isDigest(options.digest)) throw new UsageError(`--digest must be sha256:<64 hex digits>, not "${options.digest}"`);
}

/** A target of the deployments.yml the CLI reads; unknown names say which file that was. */
function findTargetIn(context: CliContext, name: string): ResolvedTarget {
  try {
    return findTarget(context.loadConfig(), name);
  } catch (error) {
    if (!(error instanceof TargetNotFound)) throw error;
    throw new CliError(
      `unknown target: ${error.message.replace(' in deployments.yml', ` in ${context.deploymentsFile()}`)}
The stack deploys the targets of the deployments.yml it was deployed with: after adding one, deploy the stack again (or pass --file).`,
    );
  }
}

/**
 * The target, from the deployments.yml the CLI reads, and the image, looked up
 * in ECR now: a wrong name or tag fails before anything starts, and the person
 * sees the digest that will be deployed.
 */
async function targetAndImage(context: CliContext, targetName: string, options: ImageOptions): Promise<{ target: ResolvedTarget; image: EcrImage; tag?: string }> {
  checkImageOptions(options);
  const target = findTargetIn(context, targetName);
  context.errorContext.action = 'ecr:DescribeImages';
  const image = options.tag !== undefined
    ? await findImageByTag(target.repository, options.tag, undefined, context.clients.ecr)
    : await findImageByDigest(target.repository, options.digest ?? '', undefined, context.clients.ecr);
  return { target, image, tag: options.tag ?? tagForPeople(image.tags, (candidate) => target.tags.some((glob) => new RegExp(tagPattern(glob)).test(candidate))) };
}

/** `deploy <target> --tag T | --digest D [--no-wait] [--timeout S]`: follows the deployment unless --no-wait. */
async function deployCommand(context: CliContext, targetName: string, options: ImageOptions & { wait?: boolean; timeout?: number; json?: boolean }): Promise<number> {
  if (options.json) context.out.sendLinesToStderr();
  const { target, image, tag } = await targetAndImage(context, targetName, options);
  context.out.line(`deploy ${target.name}: ${target.repository} ${imageLabel({ tag, digest: image.digest })}`);
  return startExecution(context, {
    executionName: executionName('manual', target.name, image.digest, context.deps.now()),
    // By tag: the digest goes along, so what runs is what was looked up even if the tag moves meanwhile.
    input: options.tag !== undefined ? { target: target.name, tag: options.tag, digest: image.digest } : { target: target.name, digest: image.digest },
    wait: options.wait !== false,
    timeoutSeconds: options.timeout,
    json: options.json,
  });
}

export { deployCommand, targetAndImage, checkImageOptions, findTargetIn };
export type { ImageOptions };
