import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { DescribeTaskDefinitionCommand, type TaskDefinition } from '@aws-sdk/client-ecs';
import { GetAliasCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand } from '@aws-sdk/client-ssm';
import { isPassableRole } from '../../functions/shared/pass-roles';
import type { ResolvedTarget } from '../../functions/shared/deployment';
import type { CliContext } from '../context';
import { describeLiveService, latestActiveJobDefinition } from '../live';
import { CliError } from '../errors';
import { findTargetIn } from './deploy';

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

async function verifyEcs(context: CliContext, target: ResolvedTarget): Promise<Check[]> {
  const ecs = target.ecs!;
  const { service } = await describeLiveService(context, ecs.cluster, ecs.service);
  if (!service?.taskDefinition) return [{ ok: false, what: `ECS service ${ecs.cluster}/${ecs.service} does not exist`, fix: 'create it, or fix ecs.cluster / ecs.service' }];
  const { taskDefinition } = await context.clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }));
  const definition: TaskDefinition = taskDefinition ?? {};
  const containers = (ecs.containers ?? []).map((name) =>
    definition.containerDefinitions?.some((c) => c.name === name)
      ? { ok: true, what: `container ${name} exists` }
      : { ok: false, what: `container ${name} is not in ${definition.family ?? 'the task definition'}`, fix: 'fix ecs.containers' },
  );
  return [
    { ok: true, what: `ECS service ${ecs.cluster}/${ecs.service} exists, running ${service.taskDefinition.slice(service.taskDefinition.lastIndexOf('/') + 1)}` },
    ...containers,
    ...passRoleChecks(rolesOf([definition.executionRoleArn, definition.taskRoleArn]), ecs.passRoles, 'ecs.passRoles'),
    ...(await secretChecks(context, containerSecrets(definition.containerDefinitions))),
  ];
}

async function verifyBatch(context: CliContext, target: ResolvedTarget): Promise<Check[]> {
  const batch = target.batch!;
  const latest = await latestActiveJobDefinition(context, batch.jobDefinition);
  if (!latest) return [{ ok: false, what: `job definition ${batch.jobDefinition} has no ACTIVE revision`, fix: 'register one, or fix batch.jobDefinition' }];
  const properties = latest.containerProperties;
  return [
    { ok: true, what: `job definition ${batch.jobDefinition}:${latest.revision ?? '?'} is ACTIVE` },
    ...passRoleChecks(rolesOf([properties?.executionRoleArn, properties?.jobRoleArn]), batch.passRoles, 'batch.passRoles'),
    ...(await secretChecks(context, containerSecrets(properties ? [properties] : []))),
  ];
}

async function verifyLambda(context: CliContext, target: ResolvedTarget): Promise<Check[]> {
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
  return checks;
}

/** A Lambda function, a service or a job definition that does not exist is a failed check, not an error. */
async function targetChecks(context: CliContext, target: ResolvedTarget): Promise<Check[]> {
  try {
    if (target.ecs) return await verifyEcs(context, target);
    if (target.batch) return await verifyBatch(context, target);
    return await verifyLambda(context, target);
  } catch (error) {
    if (error instanceof Error && /NotFound/.test(error.name)) return [{ ok: false, what: `${target.name}'s ${target.kind} resource does not exist (${error.name})`, fix: 'create it, or fix deployments.yml' }];
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

async function verifyCommand(context: CliContext, targetName: string): Promise<number> {
  if (context.local) throw new CliError('verify checks your AWS account; with --local there is nothing real to check (rehearse with `--local -f FILE deploy …` instead)');
  const target = findTargetIn(context, targetName);
  context.errorContext.action = 'read-only Describe/Get calls (ecs, batch, lambda, ecr, secretsmanager:DescribeSecret, ssm:DescribeParameters)';
  const checks = [await repositoryCheck(context, target), ...(await targetChecks(context, target))];
  const { out } = context;
  out.line(`verify ${target.name} (${target.kind}) in ${await context.region()}:`);
  for (const check of checks) out.line(`  ${check.ok ? '✔' : '✘'} ${check.what}${check.fix ? `: ${check.fix}` : ''}`);
  const failed = checks.filter((check) => !check.ok).length;
  out.line(failed === 0 ? `ready: ${checks.length} check(s) passed.` : `${failed} of ${checks.length} check(s) failed.`);
  return failed === 0 ? 0 : 1;
}

export { verifyCommand };
