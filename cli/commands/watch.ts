import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { deploymentRecordOf, executionArnOf } from '../../functions/deployment/history';
import type { CliContext } from '../context';
import { followExecution } from '../follow';
import { requestLabel } from './status';

/** `watch <execution name or ARN>`: follows a deployment (started by a push, the console or the CLI) to its end. */
async function watchCommand(context: CliContext, execution: string): Promise<number> {
  const executionArn = execution.startsWith('arn:') ? execution : executionArnOf(await context.stateMachineArn(), execution);
  context.errorContext.action = 'states:DescribeExecution';
  const described = await context.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const record = deploymentRecordOf(described);
  context.out.line(`watch ${record.executionName}: ${record.target ?? '(no target)'} ${requestLabel(record)} — ${record.status}`);
  const result = await followExecution(context, executionArn);
  return result.outcome === 'SUCCEEDED' ? 0 : 1;
}

export { watchCommand };
