import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** The notifier's timeout (serverless.yml): how long an invocation has when it starts. */
const NOTIFIER_TIMEOUT_MS = 40_000;

/**
 * A Lambda context as the runtime hands one to the handler: of one invocation of
 * `functionName` (default the notifier), with `remainingMs` left, counted down by
 * the real clock as Lambda's is.
 */
function lambdaContext(options: { remainingMs?: number; awsRequestId?: string; functionName?: string } = {}): Context {
  const deadline = Date.now() + (options.remainingMs ?? NOTIFIER_TIMEOUT_MS);
  const name = options.functionName ?? 'ecr-deployer-dev-slack-notifier';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: options.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: '2026/11/23/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export { lambdaContext, NOTIFIER_TIMEOUT_MS };
