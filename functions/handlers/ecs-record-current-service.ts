import { recordCurrentService } from '../ecs/service';
import type { DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

export const handler = step('EcsRecordCurrentService', (state: DeploymentState) => recordCurrentService(state.deployment));
