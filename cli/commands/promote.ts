import type { CliContext } from '../context';
import { CliError } from '../errors';
import { executionName } from '../names';
import { findTargetIn } from './deploy';
import { startExecution } from './start';

/**
 * `promote <target> [--from SOURCE]`: deploys to the target exactly the image the
 * source (default: the target's `promote.from`) runs and last SUCCEEDED with. The
 * state machine looks it up in the slot table and refuses with NothingToPromote
 * when there is nothing tested to take.
 */
async function promoteCommand(context: CliContext, targetName: string, options: { from?: string; wait?: boolean; timeout?: number; json?: boolean }): Promise<number> {
  if (options.json) context.out.sendLinesToStderr();
  const target = findTargetIn(context, targetName);
  const from = options.from ?? target.promote?.from;
  if (!from) throw new CliError(`say where to promote ${target.name} from: --from <target>, or promote: { from: <target> } on ${target.name} in deployments.yml`);
  const source = findTargetIn(context, from);
  context.out.line(`promote ${target.name} from ${source.name}: the image ${source.name} runs and last SUCCEEDED with`);
  return startExecution(context, {
    executionName: executionName('promote', target.name, undefined, context.deps.now()),
    input: { target: target.name, promoteFrom: source.name },
    wait: options.wait !== false,
    timeoutSeconds: options.timeout,
    json: options.json,
  });
}

export { promoteCommand };
