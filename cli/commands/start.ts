import { userInfo } from 'node:os';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ConsoleInput } from '../../functions/deployment/resolve';
import { consoleUrl, type CliContext } from '../context';
import { followExecution, type FollowResult } from '../follow';

/** Who started a manual execution, as the execution input records it. */
function requestedBy(env: NodeJS.ProcessEnv): string {
  let user = env.USER ?? env.USERNAME;
  try {
    user ??= userInfo().username;
  } catch {
    // no user database entry (some containers)
  }
  return `${user ?? 'someone'} (ecr-deployer CLI)`;
}

/** How to run the CLI again the same way, for hints. */
function cliCommand(context: CliContext): string {
  return `npx ecr-deployer${context.local ? ' --local' : ''}`;
}

interface StartRequest {
  executionName: string;
  input: ConsoleInput;
  wait: boolean;
  /** Stop following (not the deployment) after this long; exit 1. */
  timeoutSeconds?: number;
  /** One JSON document on stdout at the end; the lines for people on stderr. */
  json?: boolean;
}

/** What `deploy --json` / `rollback --json` print: how it ended, stable keys, null when not known. */
function resultDocument(executionName: string, executionArn: string, result?: FollowResult) {
  const described = result?.described;
  const change = result?.lastState?.deployment.changes[0];
  const seconds = described?.startDate && described.stopDate ? Math.round((described.stopDate.getTime() - described.startDate.getTime()) / 1000) : null;
  return {
    executionName,
    executionArn,
    outcome: result?.outcome ?? 'STARTED',
    target: change?.target.name ?? null,
    image: change ? { repository: change.image.repository, tag: change.image.tag ?? null, digest: change.image.digest } : null,
    startedAt: described?.startDate?.toISOString() ?? null,
    stoppedAt: described?.stopDate?.toISOString() ?? null,
    durationSeconds: seconds,
    error: described?.error ?? null,
  };
}

/**
 * Starts an execution of the deploy state machine with a console-style input
 * and, with `wait`, follows it to the end (or `timeoutSeconds`). Exit code: 0
 * started (or succeeded), 1 not (or not within the time).
 */
async function startExecution(context: CliContext, request: StartRequest): Promise<number> {
  const { out } = context;
  if (request.json) out.sendLinesToStderr();
  const stateMachineArn = await context.stateMachineArn();
  context.errorContext.action = 'states:StartExecution';
  const input: ConsoleInput = { ...request.input, trigger: { kind: 'manual', requestedBy: requestedBy(context.deps.env) } };
  const started = await context.clients.sfn.send(new StartExecutionCommand({ stateMachineArn, name: request.executionName, input: JSON.stringify(input) }));
  const executionArn = started.executionArn ?? '';
  out.line(`started execution ${request.executionName}`);
  const url = consoleUrl(context, executionArn, await context.region());
  if (url) out.line(`  ${url}`);
  if (!request.wait) {
    out.line(context.local ? '  (local: it runs in this process until it ends; leave out --no-wait to follow it)' : `  follow it: ${cliCommand(context)} watch ${request.executionName}`);
    if (request.json) out.json(resultDocument(request.executionName, executionArn));
    return 0;
  }
  context.errorContext.action = 'states:DescribeExecution / states:GetExecutionHistory';
  const result = await followExecution(context, executionArn, { timeoutSeconds: request.timeoutSeconds, watchHint: `${cliCommand(context)} watch ${request.executionName}` });
  if (request.json) out.json(resultDocument(request.executionName, executionArn, result));
  return result.outcome === 'SUCCEEDED' ? 0 : 1;
}

export { startExecution, cliCommand, requestedBy };
