import type { Context } from 'aws-lambda';
import { cachedDeploymentsFile } from '../config/packaged';
import type { DeploymentsFile } from '../config/schema';
import { SlackConfigurationError, SlackNotificationRejected } from '../notifications/errors';
import type { DeploymentEventDetail } from '../events/deployment-events';
import { parseDeploymentEvent } from '../notifications/event';
import { notifySlack, type NotifyOutcome } from '../notifications/notify';
import { ConfigError, MalformedEvent } from '../shared/errors';
import { logger, withLambdaContext } from '../shared/logger';

type SlackNotifierResult = NotifyOutcome | { outcome: 'rejected' | 'ignored'; reason: string };

let config: DeploymentsFile | undefined;

/**
 * EventBridge ("Deployment State Change" from ecr-deployer) → Slack. Invoked
 * asynchronously, so what it throws is retried by Lambda (twice, one and two minutes
 * later). It throws only what a retry may fix (Slack 429/5xx past the time budget,
 * AWS throttling); a message Slack refuses for good, settings or a secret that cannot
 * work, and events that are not deployment events are logged once, as errors naming
 * the target, and not retried.
 */
export const handler = withLambdaContext(async (event: unknown, context?: Context): Promise<SlackNotifierResult> => {
  // Lambda always passes it; Idempotency reads the invocation's deadline from it.
  if (!context) throw new Error('the Slack notifier runs as a Lambda function: it needs its Lambda context');
  let detail: DeploymentEventDetail;
  try {
    detail = parseDeploymentEvent(event);
  } catch (error) {
    if (!(error instanceof MalformedEvent)) throw error;
    logger.error('not a deployment event: ignored', { error: { name: error.name, message: error.message } });
    return { outcome: 'ignored', reason: error.message };
  }
  const about = { target: detail.target, environment: detail.environment, deploymentId: detail.deploymentId, status: detail.status };
  try {
    config ??= cachedDeploymentsFile();
    const result = await notifySlack(detail, { config, lambdaContext: context });
    logger.info(result.outcome === 'sent' ? 'slack notified' : `slack not notified: ${result.outcome}`, { ...about, ...result });
    return result;
  } catch (error) {
    const summary = error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
    if (error instanceof SlackNotificationRejected || error instanceof SlackConfigurationError || error instanceof ConfigError) {
      logger.error(`slack notification for ${detail.target} failed for good: not retried`, { ...about, error: summary });
      return { outcome: 'rejected', reason: `${summary.name}: ${summary.message}` };
    }
    logger.warn(`slack notification for ${detail.target} failed: Lambda retries the event`, { ...about, error: summary });
    throw error;
  }
});
