import { verifyRunningImage } from '../ecs/tasks';
import type { DeploymentState } from '../shared/deployment';
import { requireEcsProgress } from '../shared/state';
import { step } from '../shared/step';

export const handler = step('EcsVerifyRunningImage', (state: DeploymentState) => verifyRunningImage(requireEcsProgress(state), state.rollout?.desiredCount));
