import { logger, withLambdaContext } from '../shared/logger';
import { sweepSlots } from '../slots/coordinator';

/** On a schedule: the backstop for slots whose holder vanished or whose claimed deployment never started. */
export const handler = withLambdaContext(async (): Promise<{ slots: number; swept: string[]; started: string[] }> => {
  const stateMachineArn = process.env.STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error('STATE_MACHINE_ARN is not set (serverless.yml sets it to the deploy state machine)');
  const report = await sweepSlots(stateMachineArn);
  if (report.swept.length > 0) logger.info('slots swept', report);
  return report;
});
