import { checkAlarmsWhileBaking } from '../alarms/watch';
import type { DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

/** After the smoke tests passed: one look at the alarms in the bake; AlarmFired rolls back. */
export const handler = step('CheckAlarms', (state: DeploymentState) => checkAlarmsWhileBaking(state));
