import type { BatchTargetConfig, EcsTargetConfig, LambdaTargetConfig } from '../config/schema';
import type { BatchProgress, Deployment, DeploymentState, EcsProgress, LambdaProgress } from './deployment';

/** ECS steps after the first need what the first recorded; its absence is a wiring bug, not user error. */
function requireEcsProgress(state: DeploymentState): EcsProgress {
  if (!state.ecs) throw new Error('state has no "ecs" section: EcsRecordCurrentService must run first');
  return state.ecs;
}

function requireBatchProgress(state: DeploymentState): BatchProgress {
  if (!state.batch) throw new Error('state has no "batch" section: BatchRegisterJobDefinition must run first');
  return state.batch;
}

/** The ECS settings of an ECS target; a step of one kind running for another is a wiring bug. */
function ecsTargetOf(deployment: Deployment): EcsTargetConfig {
  if (!deployment.target.ecs) throw new Error(`target ${deployment.target.name} is not an ECS target`);
  return deployment.target.ecs;
}

function batchTargetOf(deployment: Deployment): BatchTargetConfig {
  if (!deployment.target.batch) throw new Error(`target ${deployment.target.name} is not a Batch target`);
  return deployment.target.batch;
}

function lambdaTargetOf(deployment: Deployment): LambdaTargetConfig {
  if (!deployment.target.lambda) throw new Error(`target ${deployment.target.name} is not a Lambda target`);
  return deployment.target.lambda;
}

function requireLambdaProgress(state: DeploymentState): LambdaProgress {
  if (!state.lambda) throw new Error('state has no "lambda" section: LambdaPrepareFunction must run first');
  return state.lambda;
}

export { requireEcsProgress, requireBatchProgress, requireLambdaProgress, ecsTargetOf, batchTargetOf, lambdaTargetOf };
