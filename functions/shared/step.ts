import { withTransientErrorsNamed } from './aws-errors';
import { logger } from './logger';
import { redact } from './redact';

/**
 * Wraps a state-machine step: logs entry and failure, and renames transient AWS
 * errors to `AwsTransientError` so the state machine retries them with backoff.
 * Named deployment errors pass through and are caught, not retried.
 */
function step<Input, Output>(name: string, run: (input: Input) => Promise<Output>): (input: Input) => Promise<Output> {
  return async (input: Input) => {
    logger.appendKeys({ step: name });
    try {
      const output = await withTransientErrorsNamed(name, () => run(input));
      logger.info('step finished');
      return output;
    } catch (error) {
      // What Lambda reports as errorMessage goes into the execution history as it is.
      if (error instanceof Error) error.message = redact(error.message);
      logger.warn('step failed', { error: error as Error });
      throw error;
    }
  };
}

export { step };
