import { findRollback, rollbackImage } from '../../functions/deployment/lookup';
import { ecrRegistry } from '../../functions/shared/image';
import type { CliContext } from '../context';
import { executionName } from '../names';
import { imageLabel } from '../steps';
import { findTargetIn, targetAndImage } from './deploy';
import { startExecution } from './start';

/** The ECR registry of the state machine's account and region (where the targets' repositories are). */
function registryOf(stateMachineArn: string): string {
  const [, , , region = '', account = ''] = stateMachineArn.split(':');
  return ecrRegistry(account, region);
}

/**
 * `rollback <target> [--to TAG] [--no-wait] [--timeout S]`. Without --to, the state machine goes
 * back to the image the target ran before its last successful deployment (the
 * same choice is shown here first, with the same code); with --to, it deploys
 * that tag. Either way through the same verified path as any deployment.
 */
async function rollbackCommand(context: CliContext, targetName: string, options: { to?: string; wait?: boolean; timeout?: number; json?: boolean }): Promise<number> {
  if (options.json) context.out.sendLinesToStderr();
  const { out } = context;
  if (options.to !== undefined) {
    const { target, image } = await targetAndImage(context, targetName, { tag: options.to });
    out.line(`roll back ${target.name} to ${imageLabel({ tag: options.to, digest: image.digest })} (a deployment of that image)`);
    return startExecution(context, {
      executionName: executionName('rollback', target.name, image.digest, context.deps.now()),
      input: { target: target.name, tag: options.to, digest: image.digest },
      wait: options.wait !== false,
      timeoutSeconds: options.timeout,
      json: options.json,
    });
  }
  const target = findTargetIn(context, targetName);
  const stateMachineArn = await context.stateMachineArn();
  context.errorContext.action = 'dynamodb:Query (the ledger) / states:ListExecutions / states:DescribeExecution';
  const choice = await findRollback(target, stateMachineArn, context.clients.sfn, context.ledgerTable());
  context.errorContext.action = 'ecr:DescribeImages';
  const image = await rollbackImage(target, choice, { registry: registryOf(stateMachineArn), clients: { ecr: context.clients.ecr } });
  out.line(`roll back ${target.name}: undo ${choice.undoes.executionName} (${imageLabel(choice.undoes.image)})`);
  out.line(`  back to ${imageLabel(image)}, what ${target.name} ran before it`);
  return startExecution(context, {
    executionName: executionName('rollback', target.name, undefined, context.deps.now()),
    input: { target: target.name, rollback: true },
    wait: options.wait !== false,
    timeoutSeconds: options.timeout,
    json: options.json,
  });
}

export { rollbackCommand, registryOf };
