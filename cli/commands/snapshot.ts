import { mkdirSync, writeFileSync } from 'node:fs';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { snapshotDirOf, snapshotFileOf, type TargetSnapshot } from '../../local/snapshots';
import type { ResolvedTarget } from '../../functions/shared/deployment';
import type { CliContext } from '../context';
import { describeLiveService, latestActiveJobDefinition } from '../live';
import { CliError } from '../errors';
import { findTargetIn } from './deploy';

/**
 * `snapshot [target…]`: saves what each target runs (its task definition, latest
 * ACTIVE job definition revision, or function image) beside deployments.yml, in
 * .ecr-deployer/snapshots/<target>.json, for `--local -f` to rehearse on the real
 * definitions. Describe/Get calls only; secrets stay references (their values are
 * never read), as the definitions hold them.
 */

async function snapshotOf(context: CliContext, target: ResolvedTarget): Promise<TargetSnapshot> {
  if (target.ecs) {
    const { cluster, service } = target.ecs;
    const { service: found } = await describeLiveService(context, cluster, service);
    if (!found?.taskDefinition) throw new CliError(`${target.name}: no ECS service "${service}" in cluster "${cluster}": check deployments.yml and --region.`);
    const { taskDefinition, tags } = await context.clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: found.taskDefinition, include: ['TAGS'] }));
    return { kind: 'ecs', taskDefinition: taskDefinition ?? {}, tags: tags ?? [] };
  }
  if (target.batch) {
    const latest = await latestActiveJobDefinition(context, target.batch.jobDefinition);
    if (!latest) throw new CliError(`${target.name}: job definition "${target.batch.jobDefinition}" has no ACTIVE revision.`);
    return { kind: 'batch', jobDefinition: latest };
  }
  const fn = await context.clients.lambda.send(new GetFunctionCommand({ FunctionName: target.lambda!.function }));
  if (!fn.Code?.ImageUri) throw new CliError(`${target.name}: function "${target.lambda!.function}" is not a container-image function.`);
  return { kind: 'lambda', imageUri: fn.Code.ImageUri };
}

async function snapshotCommand(context: CliContext, targetNames: string[]): Promise<number> {
  if (context.local) throw new CliError('snapshot reads your AWS account; --local would save the simulated one');
  const config = context.loadConfig();
  const names = targetNames.length > 0 ? targetNames : config.targets.map((target) => target.name);
  const targets = names.map((name) => findTargetIn(context, name));
  context.errorContext.action = 'read-only Describe/Get calls (ecs, batch, lambda)';
  const dir = snapshotDirOf(context.deploymentsFile());
  mkdirSync(dir, { recursive: true });
  for (const target of targets) {
    const file = snapshotFileOf(context.deploymentsFile(), target.name);
    writeFileSync(file, `${JSON.stringify(await snapshotOf(context, target), null, 2)}\n`);
    context.out.line(`${target.name}: saved ${file}`);
  }
  context.out.line(`--local -f ${context.deploymentsFile()} now rehearses on these definitions.`);
  return 0;
}

export { snapshotCommand };
