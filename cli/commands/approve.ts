import { DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { decideApproval } from '../../functions/approval/coordinator';
import { executionArnOf } from '../../functions/deployment/history';
import type { DeploymentState } from '../../functions/shared/deployment';
import type { CliContext } from '../context';
import { CliError } from '../errors';
import { imageLabel, parseState } from '../steps';

/**
 * `approve <deployment-id>` and `reject <deployment-id> --reason …`: record a
 * decision on a deployment that waits for approval, as the caller (STS
 * GetCallerIdentity), in the slot table. The deployment notices it at its next
 * look; one that no longer waits (decided, superseded, timed out, ended) is left
 * as it is, and the command says why (exit 1).
 */

/** The deployment's state as its latest step received it: its slot, targets and images. */
async function waitingDeployment(context: CliContext, deploymentId: string): Promise<DeploymentState> {
  const executionArn = deploymentId.startsWith('arn:') ? deploymentId : executionArnOf(await context.stateMachineArn(), deploymentId);
  context.errorContext.action = 'states:DescribeExecution / states:GetExecutionHistory';
  const described = await context.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (described.status !== 'RUNNING') throw new CliError(`${described.name ?? deploymentId} is not waiting for approval: it ended ${described.status ?? '?'}. Nothing was recorded.`);
  const history = await context.clients.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 50, includeExecutionData: true }));
  const state = (history.events ?? []).map((event) => parseState(event.stateEnteredEventDetails?.input)).find((found) => found !== undefined);
  if (!state) throw new CliError(`${deploymentId} has not resolved its deployment yet: nothing waits for approval. Nothing was recorded.`);
  return state;
}

async function callerIdentity(context: CliContext): Promise<string> {
  if (context.local) return `local:${context.deps.env.USER ?? context.deps.env.USERNAME ?? 'you'}`;
  context.errorContext.action = 'sts:GetCallerIdentity';
  const identity = await context.clients.sts.send(new GetCallerIdentityCommand({}));
  if (!identity.Arn) throw new CliError('STS did not say who you are (GetCallerIdentity returned no ARN); nothing was recorded.');
  return identity.Arn;
}

async function decideCommand(context: CliContext, deploymentId: string, decision: 'approved' | 'rejected', reason?: string): Promise<number> {
  if (context.local) throw new CliError('with --local, a deployment waits for approval only inside the command that started it: pass --approve to that command (npx ecr-deployer --local --approve promote <target>).');
  const state = await waitingDeployment(context, deploymentId);
  const by = await callerIdentity(context);
  context.errorContext.action = 'dynamodb:GetItem / dynamodb:PutItem on the slot table';
  const result = await decideApproval(state.deployment.slot, state.deployment.id, { decision, by, at: context.deps.now().toISOString(), ...(reason ? { reason } : {}) }, context.slotTable());
  const images = state.deployment.changes.map((change) => `${change.target.name} ${imageLabel(change.image)}`).join(', ');
  if (!result.recorded) {
    context.out.error(`not recorded: ${result.refused}. Nothing changed.`);
    return 1;
  }
  context.out.line(`${decision} ${state.deployment.id} (${images}) as ${by}.`);
  context.out.line(decision === 'approved' ? '  It deploys at its next look for a decision (within a few minutes at most).' : '  It ends SKIPPED at its next look: nothing is changed.');
  return 0;
}

function approveCommand(context: CliContext, deploymentId: string): Promise<number> {
  return decideCommand(context, deploymentId, 'approved');
}

function rejectCommand(context: CliContext, deploymentId: string, options: { reason: string }): Promise<number> {
  return decideCommand(context, deploymentId, 'rejected', options.reason);
}

export { approveCommand, rejectCommand };
