import type { Service } from '@aws-sdk/client-ecs';
import { DescribeTargetGroupAttributesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { isTransientAwsError } from '../shared/aws-errors';
import { elasticLoadBalancing } from '../shared/clients/elastic-load-balancing';
import { logger } from '../shared/logger';

/** The target group attribute that says how long a deregistered target stays draining (ELB guide, "Target group attributes"). */
const DEREGISTRATION_DELAY = 'deregistration_delay.timeout_seconds';

/** The target groups a service registers its tasks in: each load balancer's, and the alternate one of a blue/green deployment. */
function targetGroupsOf(service: Service | undefined): string[] {
  const arns = (service?.loadBalancers ?? []).flatMap((lb) => [lb.targetGroupArn, lb.advancedConfiguration?.alternateTargetGroupArn]);
  return [...new Set(arns.filter((arn): arn is string => Boolean(arn)))];
}

/**
 * One target group's deregistration delay. Throttling and 5xx are thrown (the step is
 * retried, as for any call); anything else (a target group gone, access refused) only
 * costs the schedule its bound, so it is logged and the rollout looked at every pollSeconds.
 */
async function deregistrationDelayOf(targetGroupArn: string): Promise<number | undefined> {
  try {
    const { Attributes } = await elasticLoadBalancing.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn }));
    const value = Attributes?.find((attribute) => attribute.Key === DEREGISTRATION_DELAY)?.Value;
    const seconds = value === undefined ? Number.NaN : Number(value);
    return Number.isInteger(seconds) && seconds >= 0 ? seconds : undefined;
  } catch (error) {
    if (isTransientAwsError(error)) throw error;
    logger.warn('deregistration delay not read: the rollout is looked at every pollSeconds', { targetGroupArn, error: error as Error });
    return undefined;
  }
}

/**
 * The longest deregistration delay of the service's target groups: each must drain the
 * old tasks before the deployment can complete, so the longest bounds it. Undefined for a
 * service without target groups (no load balancer, or a Classic Load Balancer, whose
 * draining timeout this does not read).
 */
async function longestDeregistrationDelay(service: Service | undefined): Promise<number | undefined> {
  const delays = await Promise.all(targetGroupsOf(service).map(deregistrationDelayOf));
  const known = delays.filter((delay): delay is number => delay !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

export { longestDeregistrationDelay, targetGroupsOf, DEREGISTRATION_DELAY };
