import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { DescribeTaskDefinitionCommand, type Service, type TaskDefinition } from '@aws-sdk/client-ecs';
import { GetAliasCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand } from '@aws-sdk/client-ssm';
import { testTrafficHookProblem } from '../../functions/ecs/strategies';
import { isPassableRole } from '../../functions/shared/pass-roles';
import { hasTestTrafficSmokeTests } from '../../functions/smoke/stages';
import type { ResolvedTarget } from '../../functions/shared/deployment';
import type { CliContext } from '../context';
import { describeLiveService, latestActiveJobDefinition } from '../live';
import { CliError } from '../errors';
import { findTargetIn } from './deploy';
import { tagPattern } from '../../functions/config/compile';
import { imagePlatforms, imageToCheck, platformLabel, platformOfFunction, platformOfRuntime, type ImagePlatforms, type Platform } from '../platform';

/**
 * `verify <target>`: before the first push, checks against AWS what a deployment
 * of the target will need, with read calls only; a secret's or parameter's value is
 * never read (DescribeSecret, DescribeParameters). Exit 1 when a check fails.
 */

interface Check {
  ok: boolean;
  what: string;
  /** What to do about a failed check. */
  fix?: string;
  /** Not checked, for a reason `what` gives; neither passed nor failed. */
  skipped?: boolean;
}

/** What the target's compute runs on, and the field that says so; or why that is not known ahead. */
type RunsOn = { platform: Platform; where: string; field: string } | { unknown: string };

interface TargetChecks {
  checks: Check[];
  runsOn?: RunsOn;
}

/** The roles a definition names, as passRoles lists them (`service-role/x`). */
function rolesOf(arns: (string | undefined)[]): string[] {
  return arns.filter((arn): arn is string => Boolean(arn));
}

function passRoleChecks(roles: string[], passRoles: string[] | undefined, field: string): Check[] {
  return roles.map((arn) => {
    const name = arn.slice(arn.indexOf(':role/') + ':role/'.length);
    if (passRoles === undefined) return { ok: false, what: `role ${name} is used, and ${field} is not set`, fix: `add ${field}: [${name}] so that the deployer may pass it` };
    return isPassableRole(arn, passRoles) ? { ok: true, what: `role ${name} is in ${field}` } : { ok: false, what: `role ${name} is not in ${field}`, fix: `add it to ${field} in deployments.yml` };
  });
}

/** Secrets Manager ARNs and SSM parameters (ARN or name) the definition's containers reference. */
async function secretChecks(context: CliContext, references: string[]): Promise<Check[]> {
  const checks: Check[] = [];
  for (const reference of [...new Set(references)]) {
    try {
      if (reference.startsWith('arn:') && reference.split(':')[2] === 'secretsmanager') {
        // A JSON key or version after the ARN (…:secret:name-AbCdEf:key::) is not part of the secret's id.
        const secretId = reference.split(':').slice(0, 7).join(':');
        await context.clients.secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
        checks.push({ ok: true, what: `secret ${secretId} exists (described, not read)` });
      } else {
        const name = reference.startsWith('arn:') ? `/${reference.slice(reference.indexOf(':parameter/') + ':parameter/'.length)}`.replace(/^\/\//, '/') : reference;
        const found = await context.clients.ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [name] }] }));
        checks.push((found.Parameters ?? []).length > 0 ? { ok: true, what: `parameter ${name} exists (described, not read)` } : { ok: false, what: `parameter ${name} does not exist`, fix: 'create it, or fix the reference in the definition' });
      }
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      checks.push({ ok: false, what: `${reference}: ${name === 'ResourceNotFoundException' ? 'does not exist' : `could not be described (${name})`}`, fix: 'create it, or fix the reference in the definition' });
    }
  }
  return checks;
}

function containerSecrets(definitions: { secrets?: { valueFrom?: string }[] }[] | undefined): string[] {
  return (definitions ?? []).flatMap((container) => (container.secrets ?? []).flatMap((secret) => (secret.valueFrom ? [secret.valueFrom] : [])));
}

async function verifyEcs(context: CliContext, target: ResolvedTarget): Promise<TargetChecks> {
  const ecs = target.ecs!;
  const { service } = await describeLiveService(context, ecs.cluster, ecs.service);
  if (!service?.taskDefinition) return { checks: [{ ok: false, what: `ECS service ${ecs.cluster}/${ecs.service} does not exist`, fix: 'create it, or fix ecs.cluster / ecs.service' }] };
  const { taskDefinition } = await context.clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }));
  const definition: TaskDefinition = taskDefinition ?? {};
  const containers = (ecs.containers ?? []).map((name) =>
    definition.containerDefinitions?.some((c) => c.name === name)
      ? { ok: true, what: `container ${name} exists` }
      : { ok: false, what: `container ${name} is not in ${definition.family ?? 'the task definition'}`, fix: 'fix ecs.containers' },
  );
  const revision = service.taskDefinition.slice(service.taskDefinition.lastIndexOf('/') + 1);
  const declared = definition.runtimePlatform !== undefined || (definition.requiresCompatibilities ?? []).includes('FARGATE');
  const runsOn: RunsOn = declared
    ? { platform: platformOfRuntime(definition.runtimePlatform), where: `task definition ${revision}`, field: 'its runtimePlatform' }
    : { unknown: `task definition ${revision} declares no runtimePlatform: the EC2 instances decide` };
  return {
    checks: [
      { ok: true, what: `ECS service ${ecs.cluster}/${ecs.service} exists, running ${revision}` },
      ...containers,
      ...passRoleChecks(rolesOf([definition.executionRoleArn, definition.taskRoleArn]), ecs.passRoles, 'ecs.passRoles'),
      ...(await secretChecks(context, containerSecrets(definition.containerDefinitions))),
      ...testTrafficChecks(target, service),
    ],
    runsOn,
  };
}

/** Smoke tests with `stage: test-traffic` need ECS to pause the service's deployments for them. */
function testTrafficChecks(target: ResolvedTarget, service: Service): Check[] {
  if (!hasTestTrafficSmokeTests(target.smokeTests)) return [];
  const problem = testTrafficHookProblem(service);
  return [problem ? { ok: false, what: 'test-traffic smoke tests have no PAUSE hook to run at', fix: problem } : { ok: true, what: `${service.serviceName ?? 'the service'} pauses at POST_TEST_TRAFFIC_SHIFT for the test-traffic smoke tests` }];
}

async function verifyBatch(context: CliContext, target: ResolvedTarget): Promise<TargetChecks> {
  const batch = target.batch!;
  const latest = await latestActiveJobDefinition(context, batch.jobDefinition);
  if (!latest) return { checks: [{ ok: false, what: `job definition ${batch.jobDefinition} has no ACTIVE revision`, fix: 'register one, or fix batch.jobDefinition' }] };
  const properties = latest.containerProperties;
  const revision = `${batch.jobDefinition}:${latest.revision ?? '?'}`;
  const declared = properties?.runtimePlatform !== undefined || (latest.platformCapabilities ?? []).includes('FARGATE');
  const runsOn: RunsOn = declared
    ? { platform: platformOfRuntime(properties?.runtimePlatform), where: `job definition ${revision}`, field: 'its runtimePlatform' }
    : { unknown: `job definition ${revision} runs on EC2: the compute environment's instances decide` };
  return {
    checks: [
      { ok: true, what: `job definition ${revision} is ACTIVE` },
      ...passRoleChecks(rolesOf([properties?.executionRoleArn, properties?.jobRoleArn]), batch.passRoles, 'batch.passRoles'),
      ...(await secretChecks(context, containerSecrets(properties ? [properties] : []))),
    ],
    runsOn,
  };
}

async function verifyLambda(context: CliContext, target: ResolvedTarget): Promise<TargetChecks> {
  const lambda = target.lambda!;
  const fn = await context.clients.lambda.send(new GetFunctionCommand({ FunctionName: lambda.function }));
  const checks: Check[] = [
    fn.Configuration?.PackageType === 'Image'
      ? { ok: true, what: `function ${lambda.function} is a container-image function` }
      : { ok: false, what: `function ${lambda.function} is not a container-image function`, fix: 'ecr-deployer deploys images: point lambda.function at an image function' },
  ];
  if (lambda.alias) {
    try {
      await context.clients.lambda.send(new GetAliasCommand({ FunctionName: lambda.function, Name: lambda.alias }));
      checks.push({ ok: true, what: `alias ${lambda.alias} exists` });
    } catch {
      checks.push({ ok: false, what: `alias ${lambda.alias} does not exist`, fix: `create it (aws lambda create-alias --function-name ${lambda.function} --name ${lambda.alias} --function-version 1)` });
    }
  }
  return { checks, runsOn: { platform: platformOfFunction(fn.Configuration?.Architectures), where: `function ${lambda.function}`, field: 'its Architectures' } };
}

/** A Lambda function, a service or a job definition that does not exist is a failed check, not an error. */
async function targetChecks(context: CliContext, target: ResolvedTarget): Promise<TargetChecks> {
  try {
    if (target.ecs) return await verifyEcs(context, target);
    if (target.batch) return await verifyBatch(context, target);
    return await verifyLambda(context, target);
  } catch (error) {
    if (error instanceof Error && /NotFound/.test(error.name)) return { checks: [{ ok: false, what: `${target.name}'s ${target.kind} resource does not exist (${error.name})`, fix: 'create it, or fix deployments.yml' }] };
    throw error;
  }
}

async function repositoryCheck(context: CliContext, target: ResolvedTarget): Promise<Check> {
  try {
    await context.clients.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [target.repository] }));
    return { ok: true, what: `ECR repository ${target.repository} exists` };
  } catch (error) {
    if (error instanceof Error && error.name === 'RepositoryNotFoundException') return { ok: false, what: `ECR repository ${target.repository} does not exist`, fix: 'create it, or fix repository' };
    throw error;
  }
}

/** Whether the image (the tag asked for, else the newest the target would deploy) is built for the platform the target runs on. */
async function platformCheck(context: CliContext, target: ResolvedTarget, runsOn: RunsOn, tag: string | undefined): Promise<Check> {
  if ('unknown' in runsOn) return { ok: true, skipped: true, what: `image platform not checked: ${runsOn.unknown}` };
  const wanted = platformLabel(runsOn.platform);
  const image = await imageToCheck(context, target, tag);
  if (!image?.imageDigest) {
    if (tag !== undefined) return { ok: false, what: `tag ${tag} is not in ${target.repository}`, fix: 'push it, or name a tag that exists' };
    return { ok: true, skipped: true, what: `image platform not checked yet: no image of ${target.repository} has a tag matching ${target.tags.join(', ')} (${runsOn.where} runs ${wanted}; pass --tag to check one)` };
  }
  const label = `${target.repository}:${tag ?? image.imageTags?.find((candidate) => target.tags.some((glob) => new RegExp(tagPattern(glob)).test(candidate))) ?? image.imageTags?.[0] ?? '?'}`;
  let found: ImagePlatforms;
  try {
    found = await imagePlatforms(context, target.repository, image.imageDigest);
  } catch (error) {
    return { ok: false, what: `the platform of ${label} could not be read (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`, fix: 'allow ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on the repository, or check it by hand' };
  }
  const built = found.platforms.map(platformLabel).join(', ') || 'no platform';
  if (target.kind === 'lambda' && found.isIndex) {
    return { ok: false, what: `image ${label} is an image index (${built}); Lambda runs single-platform images only`, fix: `build it for one platform: docker buildx build --platform ${wanted} --provenance=false …` };
  }
  if (found.platforms.some((platform) => platformLabel(platform) === wanted)) return { ok: true, what: `image ${label} is built for ${wanted}, as ${runsOn.where} runs` };
  return { ok: false, what: `image ${label} is built for ${built}, but ${runsOn.where} runs ${wanted}`, fix: `build it for ${wanted} (docker buildx build --platform ${wanted} …), or change ${runsOn.field}` };
}

async function verifyCommand(context: CliContext, targetName: string, options: { tag?: string } = {}): Promise<number> {
  if (context.local) throw new CliError('verify checks your AWS account; with --local there is nothing real to check (rehearse with `--local -f FILE deploy …` instead)');
  const target = findTargetIn(context, targetName);
  context.errorContext.action = 'read-only Describe/Get calls (ecs, batch, lambda, ecr, secretsmanager:DescribeSecret, ssm:DescribeParameters)';
  const repository = await repositoryCheck(context, target);
  const { checks: resourceChecks, runsOn } = await targetChecks(context, target);
  const checks = [repository, ...resourceChecks];
  if (repository.ok && runsOn) checks.push(await platformCheck(context, target, runsOn, options.tag));
  const { out } = context;
  out.line(`verify ${target.name} (${target.kind}) in ${await context.region()}:`);
  for (const check of checks) out.line(`  ${check.skipped ? '–' : check.ok ? '✔' : '✘'} ${check.what}${check.fix ? `: ${check.fix}` : ''}`);
  const failed = checks.filter((check) => !check.ok).length;
  const passed = checks.filter((check) => check.ok && !check.skipped).length;
  const skipped = checks.length - failed - passed;
  const notChecked = skipped > 0 ? `, ${skipped} not checked` : '';
  out.line(failed === 0 ? `ready: ${passed} check(s) passed${notChecked}.` : `${failed} of ${checks.length} check(s) failed${notChecked}.`);
  return failed === 0 ? 0 : 1;
}

export { verifyCommand };
