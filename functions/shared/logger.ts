import { LogFormatter, LogItem, Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import type { Context } from 'aws-lambda';
import { redactDeep } from './redact';

/** Powertools' standard keys, with every message and attribute passed through the one redaction (functions/shared/redact.ts). */
class RedactingLogFormatter extends LogFormatter {
  public formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const standard: LogAttributes = {
      level: attributes.logLevel,
      message: attributes.message,
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      cold_start: attributes.lambdaContext?.coldStart,
      function_arn: attributes.lambdaContext?.invokedFunctionArn,
      function_memory_size: attributes.lambdaContext?.memoryLimitInMB,
      function_name: attributes.lambdaContext?.functionName,
      function_request_id: attributes.lambdaContext?.awsRequestId,
      sampling_rate: attributes.sampleRateValue,
      xray_trace_id: attributes.xRayTraceId,
    };
    return new LogItem({ attributes: redactDeep(standard) }).addAttributes(redactDeep(additionalLogAttributes));
  }
}

/** Structured JSON logs (Powertools); level from POWERTOOLS_LOG_LEVEL. */
const logger = new Logger({ serviceName: 'ecr-deployer', logFormatter: new RedactingLogFormatter() });

/**
 * A Lambda entry point whose logs carry the invocation's request id, function and cold
 * start (Powertools' `addContext`; the formatter above names them). Wrap the entry point
 * only: Powertools counts its first `addContext` of a process as the cold start. Tests and
 * local runs call handlers without a context.
 *
 * @example export const handler = withLambdaContext(async (event: unknown) => …);
 */
function withLambdaContext<Result>(handler: () => Promise<Result>): (event?: unknown, context?: Context) => Promise<Result>;
function withLambdaContext<Event, Result>(handler: (event: Event, context?: Context) => Promise<Result>): (event: Event, context?: Context) => Promise<Result>;
function withLambdaContext<Event, Result>(handler: (event: Event, context?: Context) => Promise<Result>): (event: Event, context?: Context) => Promise<Result> {
  return (event, context) => {
    if (context) logger.addContext(context);
    return handler(event, context);
  };
}

export { logger, withLambdaContext };
