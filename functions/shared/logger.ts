import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs (Powertools); level from POWERTOOLS_LOG_LEVEL. */
const logger = new Logger({ serviceName: 'ecr-deployer' });

export { logger };
