import type { DeploymentState, EcsProgress } from './deployment';

/** ECS steps after the first need what the first recorded; its absence is a wiring bug, not user error. */
function requireEcsProgress(state: DeploymentState): EcsProgress {
  if (!state.ecs) throw new Error('state has no "ecs" section: EcsRecordCurrentService must run first');
  return state.ecs;
}

export { requireEcsProgress };
