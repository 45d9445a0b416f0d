import { recordAlarmBaseline } from '../alarms/watch';
import type { DeploymentState } from '../shared/deployment';
import { step } from '../shared/step';

/** Before anything changes: the target's alarms exist, and which are in ALARM already (reported, not blamed). */
export const handler = step('RecordAlarmBaseline', (state: DeploymentState) => recordAlarmBaseline(state));
