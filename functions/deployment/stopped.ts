import { GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { buildDeploymentEvents, phaseReached, type DeploymentEventDetail } from '../events/deployment-events';
import { sfn } from '../shared/clients/sfn';
import type { DeploymentState } from '../shared/deployment';

/**
 * A deployment whose execution was stopped (StopExecution: ABORTED) or timed
 * out never reaches a publish state: the recovery rule says how it ended, from
 * what the execution's history shows it got to.
 */

/** States of statemachines/deploy.asl.yaml from which on the target may have changed. */
const STATES_THAT_CHANGE_THE_TARGET = ['EcsDeployNewRevision', 'BatchRegisterJobDefinition', 'LambdaUpdateFunctionCode', 'EcsRollBackService', 'BatchRollBackJobDefinition', 'LambdaRollBack'];

/** States that publish a deployment's last event: once one has finished, there is nothing left to say. */
const TERMINAL_PUBLISH_STATES = ['PublishSucceeded', 'PublishFailed', 'PublishRolledBack', 'PublishRollbackFailed', 'PublishRejected', 'PublishResolveFailed', 'PublishNotApproved'];

/** What a stopped execution got to, read from its history. */
interface StoppedExecution {
  /** The last deployment state a step saw (none: stopped before the request was resolved). */
  state?: DeploymentState;
  /** The state it was in when it stopped. */
  lastState?: string;
  /** It entered a state that may change the target. */
  targetMayHaveChanged: boolean;
  /** A publish state for its last event had finished already. */
  terminalEventPublished: boolean;
}

function deploymentStateIn(text: string | undefined): DeploymentState | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as { deployment?: unknown };
    return value && typeof value === 'object' && value.deployment ? (value as DeploymentState) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the execution's history, oldest first, page by page. */
async function readStoppedExecution(executionArn: string): Promise<StoppedExecution> {
  const stopped: StoppedExecution = { targetMayHaveChanged: false, terminalEventPublished: false };
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: true }));
    for (const event of page.events ?? []) noteEvent(stopped, event);
    nextToken = page.nextToken;
  } while (nextToken);
  return stopped;
}

function noteEvent(stopped: StoppedExecution, event: HistoryEvent): void {
  const entered = event.stateEnteredEventDetails;
  if (entered?.name) {
    stopped.lastState = entered.name;
    if (STATES_THAT_CHANGE_THE_TARGET.includes(entered.name)) stopped.targetMayHaveChanged = true;
    stopped.state = deploymentStateIn(entered.input) ?? stopped.state;
  }
  const exited = event.stateExitedEventDetails;
  if (exited?.name && TERMINAL_PUBLISH_STATES.includes(exited.name)) stopped.terminalEventPublished = true;
}

/**
 * The last events of a stopped deployment, per target: FAILED when it stopped
 * before anything changed; ROLLBACK_FAILED ("a person must look") when the
 * target may have changed, since nothing rolled it back. None when it was
 * stopped before the request resolved, or after its last event was published.
 */
function stoppedDeploymentEvents(stopped: StoppedExecution, status: 'ABORTED' | 'TIMED_OUT', now = new Date()): DeploymentEventDetail[] {
  const { state, lastState } = stopped;
  if (!state || stopped.terminalEventPublished) return [];
  const how = status === 'ABORTED' ? 'was stopped (ABORTED)' : 'timed out';
  if (!stopped.targetMayHaveChanged) {
    return buildDeploymentEvents(state, 'FAILED', now).map((event) => ({ ...event, reason: `ExecutionStopped: the execution ${how} in ${lastState} before anything changed` }));
  }
  return buildDeploymentEvents(state, 'ROLLBACK_FAILED', now).map((event) => ({
    ...event,
    phase: phaseReached(state),
    reason: `ExecutionStopped: the execution ${how} in ${lastState}, after the target may have changed, and nothing rolled it back: look at what it runs${event.previous ? ` (it ran ${event.previous} before)` : ''}`,
  }));
}

export { readStoppedExecution, stoppedDeploymentEvents, STATES_THAT_CHANGE_THE_TARGET, TERMINAL_PUBLISH_STATES };
export type { StoppedExecution };
