import { targetSchema } from '../../functions/config/schema';
import { deploymentOf } from '../../functions/deployment/resolve';
import type { Deployment, TargetChange, Trigger } from '../../functions/shared/deployment';
import type { ImageRef } from '../../functions/shared/image';
import { resolveTarget } from '../../functions/trigger/targets';

interface DeploymentFields {
  id?: string;
  executionArn?: string;
  startedAt?: string;
  trigger?: Trigger;
}

/** A change of a target written as in deployments.yml (defaults applied) to `image`. */
function changeOf(targetSpec: Record<string, unknown>, image: ImageRef, rollbackOf?: string): TargetChange {
  return { target: resolveTarget(targetSchema.parse(targetSpec)), image, ...(rollbackOf ? { rollbackOf } : {}) };
}

/** A deployment of `changes`, built the way the first state builds one. */
function deploymentOfChanges(changes: TargetChange[], fields: DeploymentFields = {}): Deployment {
  return deploymentOf(changes, fields.trigger ?? { kind: 'ecr-push' }, {
    name: fields.id ?? 'test-deployment',
    arn: fields.executionArn,
    startTime: fields.startedAt ?? '2026-11-23T10:00:00.000Z',
  });
}

/** A deployment of one target (written as in deployments.yml) to `image`. */
function deploymentOfTarget(targetSpec: Record<string, unknown>, image: ImageRef, fields: DeploymentFields = {}): Deployment {
  return deploymentOfChanges([changeOf(targetSpec, image)], fields);
}

export { changeOf, deploymentOfChanges, deploymentOfTarget };
