import { AwsThrottled, AwsTransientError } from './errors';

const THROTTLING_ERROR_NAMES = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException']);

const TRANSIENT_ERROR_NAMES = new Set([
  ...THROTTLING_ERROR_NAMES,
  'ServerException',
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'InternalServerError',
  'InternalFailure',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ETIMEDOUT',
]);

interface SdkErrorShape {
  name?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** True for throttling: the SDK marks it, or names it. */
function isThrottlingError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sdkError = error as Error & SdkErrorShape;
  return THROTTLING_ERROR_NAMES.has(sdkError.name) || sdkError.$retryable?.throttling === true;
}

/** True for throttling, 5xx and network errors: the ones a later attempt may not see. */
function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sdkError = error as Error & SdkErrorShape;
  if (TRANSIENT_ERROR_NAMES.has(sdkError.name)) return true;
  if (sdkError.$retryable) return true;
  const status = sdkError.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/**
 * Runs an AWS call and renames transient failures to the names the state machine
 * retries with backoff and jitter: `AwsThrottled` for throttling, `AwsTransientError`
 * for the rest. Everything else passes through unchanged so that named errors stay named.
 */
async function withTransientErrorsNamed<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AwsTransientError) throw error;
    if (isTransientAwsError(error)) {
      const original = error as Error;
      const Named = isThrottlingError(error) ? AwsThrottled : AwsTransientError;
      throw new Named(`${what}: ${original.name}: ${original.message}`, { cause: error });
    }
    throw error;
  }
}

export { isTransientAwsError, isThrottlingError, withTransientErrorsNamed };
