import { cachedDeployments } from '../config/packaged';
import { reconcileTargets, type ReconcileReport } from '../reconcile/sweep';
import { ecrRegistry } from '../shared/image';
import { logger, withLambdaContext } from '../shared/logger';

/** On a schedule (RECONCILE_EVERY_MINUTES): pushes EventBridge lost are deployed, drift is reported. */
export const handler = withLambdaContext(async (): Promise<ReconcileReport> => {
  const { STATE_MACHINE_ARN: stateMachineArn, AWS_ACCOUNT_ID: account, AWS_REGION: region } = process.env;
  if (!stateMachineArn || !account || !region) throw new Error('STATE_MACHINE_ARN, AWS_ACCOUNT_ID and AWS_REGION must be set (serverless.yml sets the first two, Lambda the region)');
  const report = await reconcileTargets(cachedDeployments(), { registry: ecrRegistry(account, region), stateMachineArn, sweepMinutes: Number(process.env.RECONCILE_EVERY_MINUTES ?? 15) });
  logger.info('reconciled', { ...report });
  return report;
});
