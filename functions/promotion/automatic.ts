import { createHash } from 'node:crypto';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { DeploymentsFile } from '../config/schema';
import { withTransientErrorsNamed } from '../shared/aws-errors';
import { sfn } from '../shared/clients/sfn';
import type { Deployment } from '../shared/deployment';
import { logger } from '../shared/logger';

/**
 * `promote: { from: S, automatically: true }`: once a deployment of S SUCCEEDED,
 * the release starts the promotion of every such target, by its console input, as
 * a person would. One execution per (target, source deployment), named from both,
 * so a retried release starts nothing twice. A rollback is not promoted.
 */

interface PromotionStart {
  name: string;
  input: { target: string; promoteFrom: string; trigger: { kind: 'promotion'; requestedBy: string } };
}

/** Execution names: `promote-<target>-<16 hex digits of the source deployment>`, at most 65 characters. */
function promotionExecutionName(target: string, sourceDeployment: string): string {
  return `promote-${target}-${createHash('sha256').update(sourceDeployment).digest('hex').slice(0, 16)}`;
}

/** The promotions a SUCCEEDED deployment starts (pure). */
function automaticPromotionsAfter(deployment: Deployment, config: DeploymentsFile): PromotionStart[] {
  const promoted = deployment.changes.filter((change) => !change.rollbackOf).map((change) => change.target.name);
  return config.targets
    .filter((target) => target.promote?.automatically && promoted.includes(target.promote.from))
    .map((target) => ({
      name: promotionExecutionName(target.name, deployment.id),
      input: { target: target.name, promoteFrom: target.promote?.from ?? '', trigger: { kind: 'promotion', requestedBy: `after ${deployment.id}` } },
    }));
}

async function startAutomaticPromotions(deployment: Deployment, config: DeploymentsFile, stateMachineArn: string): Promise<string[]> {
  const started: string[] = [];
  for (const promotion of automaticPromotionsAfter(deployment, config)) {
    try {
      await withTransientErrorsNamed('StartExecution', () => sfn.send(new StartExecutionCommand({ stateMachineArn, name: promotion.name, input: JSON.stringify(promotion.input) })));
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
    logger.info('automatic promotion started', { executionName: promotion.name, target: promotion.input.target, from: promotion.input.promoteFrom, after: deployment.id });
    started.push(promotion.name);
  }
  return started;
}

export { automaticPromotionsAfter, startAutomaticPromotions, promotionExecutionName };
export type { PromotionStart };
