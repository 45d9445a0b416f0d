import { cachedDeployments } from '../config/packaged';
import { ecrRegistry } from '../shared/image';
import { logger, withLambdaContext } from '../shared/logger';
import { recordPush, type PushReport } from '../slots/coordinator';
import { parseEcrImageActionEvent } from '../trigger/ecr-event';
import { matchPushToTargets, type OwnRegistry } from '../trigger/targets';

type TriggerResult = PushReport & { ignored?: string };

/** This stack's account and region (serverless.yml sets AWS_ACCOUNT_ID; Lambda sets AWS_REGION). */
function ownRegistry(): OwnRegistry {
  const account = process.env.AWS_ACCOUNT_ID;
  const region = process.env.AWS_REGION;
  if (!account || !region) throw new Error('AWS_ACCOUNT_ID and AWS_REGION must be set (serverless.yml sets the account, Lambda the region)');
  return { account, region };
}

/**
 * EventBridge (ECR push) → the desired image of each matching target's slot,
 * moving forward only; a free slot's deployment is started at once, a busy one's
 * runs when the slot is released.
 */
export const handler = withLambdaContext(async (event: unknown): Promise<TriggerResult> => {
  const push = parseEcrImageActionEvent(event);
  const match = matchPushToTargets(push, cachedDeployments(), ownRegistry());
  if (match.ignored) {
    logger.info('push ignored', { reason: match.reason, account: push.account, region: push.region, repository: push.detail['repository-name'], eventId: push.id });
    return { recorded: [], duplicates: [], skipped: [], started: [], ignored: match.reason };
  }
  if (match.manualOnly) logger.info('push not deployed to manual targets', { targets: match.manualOnly, reason: 'trigger: manual', eventId: push.id });
  const stateMachineArn = process.env.STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error('STATE_MACHINE_ARN is not set (serverless.yml sets it to the deploy state machine)');
  return recordPush(
    {
      repository: push.detail['repository-name'],
      registry: ecrRegistry(push.account, push.region), // checked to be this stack's own
      digest: match.digest,
      tag: match.tag,
      pushedAt: push.time ?? new Date().toISOString(),
      eventId: push.id,
    },
    match.targets,
    stateMachineArn,
  );
});
