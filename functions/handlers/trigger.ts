import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { loadDeploymentsFile } from '../config/load';
import type { DeploymentsFile } from '../config/schema';
import type { ExecutionInput } from '../deployment/resolve';
import { sfn } from '../shared/clients/sfn';
import { logger } from '../shared/logger';
import { parseEcrImageActionEvent } from '../trigger/ecr-event';
import { executionNameFor, matchPushToTargets } from '../trigger/targets';
import { ecrRegistry } from '../shared/image';

interface TriggerResult {
  started: { target: string; executionArn: string }[];
  duplicates: { target: string; executionName: string }[];
  ignored?: string;
}

let config: DeploymentsFile | undefined;

/** EventBridge (ECR push) → one Step Functions execution per matching target. */
export const handler = async (event: unknown): Promise<TriggerResult> => {
  const push = parseEcrImageActionEvent(event);
  config ??= loadDeploymentsFile();
  const match = matchPushToTargets(push, config);
  if (match.ignored) {
    logger.info('push ignored', { reason: match.reason, repository: push.detail['repository-name'], tag: push.detail['image-tag'], eventId: push.id });
    return { started: [], duplicates: [], ignored: match.reason };
  }
  const result: TriggerResult = { started: [], duplicates: [] };
  for (const target of match.targets) {
    const name = executionNameFor(target.name, match.digest);
    const input: ExecutionInput = {
      target,
      image: { repository: target.repository, tag: match.tag, digest: match.digest, registry: ecrRegistry(push.account, push.region) },
      trigger: { kind: 'ecr-push', eventIds: [push.id] },
    };
    try {
      const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: process.env.STATE_MACHINE_ARN, name, input: JSON.stringify(input) }));
      logger.info('deployment started', { target: target.name, tag: match.tag, digest: match.digest, executionArn: started.executionArn });
      result.started.push({ target: target.name, executionArn: started.executionArn ?? name });
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
      logger.info('duplicate push: this image is already being (or was) deployed to the target', { target: target.name, executionName: name, tag: match.tag });
      result.duplicates.push({ target: target.name, executionName: name });
    }
  }
  return result;
};
