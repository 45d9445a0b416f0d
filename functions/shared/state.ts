import type { LambdaTargetConfig } from '../config/schema';
import type { BatchProgress, Deployment, DeploymentState, EcsProgress, LambdaProgress, TargetChange } from './deployment';

/** ECS steps after the first need what the first recorded; its absence is a wiring bug, not user error. */
function requireEcsProgress(state: DeploymentState): EcsProgress {
  if (!state.ecs) throw new Error('state has no "ecs" section: EcsDeployNewRevision must run first');
  return state.ecs;
}

function requireBatchProgress(state: DeploymentState): BatchProgress {
  if (!state.batch) throw new Error('state has no "batch" section: BatchRegisterJobDefinition must run first');
  return state.batch;
}

function requireLambdaProgress(state: DeploymentState): LambdaProgress {
  if (!state.lambda) throw new Error('state has no "lambda" section: LambdaPrepareFunction must run first');
  return state.lambda;
}

/** Roles the changes' targets list; undefined when none lists any (then nothing is checked, and IAM grants none). */
function passRolesOf(lists: (string[] | undefined)[]): string[] | undefined {
  const listed = lists.filter((list): list is string[] => list !== undefined);
  return listed.length === 0 ? undefined : [...new Set(listed.flat())];
}

/** The service an ECS deployment changes; a step of one kind running for another is a wiring bug. */
function ecsServiceOf(deployment: Deployment): { cluster: string; service: string; passRoles?: string[] } {
  const first = deployment.changes[0]?.target.ecs;
  if (deployment.slot.kind !== 'ecs' || !first) throw new Error(`deployment ${deployment.id} is not an ECS deployment`);
  return { cluster: first.cluster, service: first.service, passRoles: passRolesOf(deployment.changes.map((c) => c.target.ecs?.passRoles)) };
}

/** The job definition a Batch deployment changes. */
function batchJobDefinitionOf(deployment: Deployment): { jobDefinition: string; passRoles?: string[] } {
  const first = deployment.changes[0]?.target.batch;
  if (deployment.slot.kind !== 'batch' || !first) throw new Error(`deployment ${deployment.id} is not a Batch deployment`);
  return { jobDefinition: first.jobDefinition, passRoles: passRolesOf(deployment.changes.map((c) => c.target.batch?.passRoles)) };
}

/** A Lambda function takes one image: its slot has one target (deployments.yml validation refuses two). */
function soleChange(deployment: Deployment): TargetChange {
  const [change, ...others] = deployment.changes;
  if (!change || others.length > 0) throw new Error(`deployment ${deployment.id} has ${deployment.changes.length} changes; a ${deployment.slot.kind} slot takes one`);
  return change;
}

function lambdaTargetOf(deployment: Deployment): LambdaTargetConfig {
  const lambda = soleChange(deployment).target.lambda;
  if (deployment.slot.kind !== 'lambda' || !lambda) throw new Error(`deployment ${deployment.id} is not a Lambda deployment`);
  return lambda;
}

export { requireEcsProgress, requireBatchProgress, requireLambdaProgress, ecsServiceOf, batchJobDefinitionOf, soleChange, lambdaTargetOf };
