import { withTransientErrorsNamed } from './aws-errors';
import { logger } from './logger';

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
      logger.warn('step failed', { error: error as Error });
      throw error;
    }
  };
}

export { step };
