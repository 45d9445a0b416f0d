import { LogFormatter, LogItem, Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
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

export { logger };
