import type { Context } from 'aws-lambda';
import { withTransientErrorsNamed } from './aws-errors';
import { logger, withLambdaContext } from './logger';
import { MAX_ERROR_MESSAGE_LENGTH } from '../config/state-budget';
import { redact } from './redact';

/** A message cut to what a state can carry (functions/config/state-budget.ts). */
function boundedMessage(message: string): string {
  if (message.length <= MAX_ERROR_MESSAGE_LENGTH) return message;
  const cut = message.length - MAX_ERROR_MESSAGE_LENGTH + 40;
  return `${message.slice(0, message.length - cut)}… (${cut} characters cut)`;
}

/**
 * Wraps a state-machine step: logs entry and failure, with the Lambda context its
 * group's function passes on (functions/shared/dispatch.ts), and renames transient AWS
 * errors to `AwsTransientError` so the state machine retries them with backoff.
 * Named deployment errors pass through and are caught, not retried.
 */
function step<Input, Output>(name: string, run: (input: Input) => Promise<Output>): (input: Input, context?: Context) => Promise<Output> {
  return withLambdaContext(async (input: Input) => {
    logger.appendKeys({ step: name });
    try {
      const output = await withTransientErrorsNamed(name, () => run(input));
      logger.info('step finished');
      return output;
    } catch (error) {
      // Lambda reports the message and the stack (whose first line repeats the message as
      // thrown) as the Cause in the execution history: both redacted and bounded.
      if (error instanceof Error) {
        error.message = boundedMessage(redact(error.message));
        const frames = (error.stack ?? '').split('\n').filter((line) => line.startsWith('    at ')).slice(0, 10);
        error.stack = [`${error.name}: ${error.message}`, ...frames.map((frame) => redact(frame))].join('\n');
      }
      logger.warn('step failed', { error: error as Error });
      throw error;
    }
  });
}

export { step };
