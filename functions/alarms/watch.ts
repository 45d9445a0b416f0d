import { DescribeAlarmHistoryCommand, DescribeAlarmsCommand, type AlarmType } from '@aws-sdk/client-cloudwatch';
import { cloudWatch } from '../shared/clients/cloudwatch';
import type { DeploymentState } from '../shared/deployment';
import { AlarmNotFound } from '../shared/errors';
import { assertNoAlarmFired, baselineOf, nextLook, type AlarmSettings, type AlarmState, type AlarmTransition, type AlarmWatch } from './model';

/** Without AlarmTypes, DescribeAlarms and DescribeAlarmHistory answer for metric alarms only. */
const ALARM_TYPES: AlarmType[] = ['MetricAlarm', 'CompositeAlarm'];

async function alarmStates(names: string[]): Promise<AlarmState[]> {
  const states: AlarmState[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ALARM_TYPES, NextToken }));
    for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
      states.push({ name: alarm.AlarmName ?? '', state: alarm.StateValue ?? 'INSUFFICIENT_DATA', reason: alarm.StateReason ?? '', ...(alarm.StateUpdatedTimestamp ? { updatedAt: alarm.StateUpdatedTimestamp.toISOString() } : {}) });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  const missing = names.filter((name) => !states.some((alarm) => alarm.name === name));
  if (missing.length > 0) {
    throw new AlarmNotFound(`CloudWatch has no alarm named ${missing.map((name) => `"${name}"`).join(', ')} in this account and region: create it, or remove it from alarms.names in deployments.yml. Nothing was changed.`);
  }
  return states;
}

/** `{"newState":{"stateValue":"ALARM","stateReason":"…"}}`: the HistoryData of a StateUpdate item. */
function parsedHistoryData(data: string | undefined): { newState?: { stateValue?: string; stateReason?: string } } {
  try {
    return JSON.parse(data ?? '{}') as { newState?: { stateValue?: string; stateReason?: string } };
  } catch {
    return {};
  }
}

/** Every state change of the alarms since `since`, so that one between two looks is not missed. */
async function transitionsSince(names: string[], since: string): Promise<AlarmTransition[]> {
  const transitions: AlarmTransition[] = [];
  for (const name of names) {
    let NextToken: string | undefined;
    do {
      const page = await cloudWatch.send(
        new DescribeAlarmHistoryCommand({ AlarmName: name, AlarmTypes: ALARM_TYPES, HistoryItemType: 'StateUpdate', StartDate: new Date(since), ScanBy: 'TimestampAscending', NextToken }),
      );
      for (const item of page.AlarmHistoryItems ?? []) {
        const data = parsedHistoryData(item.HistoryData);
        transitions.push({ name, at: item.Timestamp?.toISOString() ?? since, newState: data.newState?.stateValue ?? '', reason: data.newState?.stateReason ?? item.HistorySummary ?? '' });
      }
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return transitions;
}

function settingsOf(state: DeploymentState): AlarmSettings {
  const settings = state.deployment.settings.alarms;
  if (!settings) throw new Error(`deployment ${state.deployment.id} has no alarms: the state machine routes only deployments with alarms here`);
  return settings;
}

function watchOf(state: DeploymentState): AlarmWatch {
  if (!state.alarms) throw new Error('state has no "alarms" section: RecordAlarmBaseline must run first');
  return state.alarms;
}

/** RecordAlarmBaseline: before anything changes, which alarms are in ALARM already (and that each exists). */
async function recordAlarmBaseline(state: DeploymentState): Promise<AlarmWatch> {
  const states = await alarmStates(settingsOf(state).names);
  return baselineOf(states, new Date());
}

/** Throws AlarmFired when an alarm went to ALARM since the baseline. */
async function judgeAlarms(state: DeploymentState, during: string): Promise<AlarmWatch> {
  const watch = watchOf(state);
  // An ECS service that rolls back on these alarms itself: ECS judges them, not a second time here.
  const ecsJudges = state.ecs?.native?.ecsAlarms?.rollback ? state.ecs.native.ecsAlarms.names : [];
  const names = settingsOf(state).names.filter((name) => !ecsJudges.includes(name));
  if (names.length === 0) return watch;
  const [states, transitions] = await Promise.all([alarmStates(names), transitionsSince(names, watch.since)]);
  assertNoAlarmFired(watch, states, transitions, during);
  return watch;
}

/** CheckAlarms: one look of the bake after the smoke tests. */
async function checkAlarmsWhileBaking(state: DeploymentState): Promise<AlarmWatch> {
  return nextLook(await judgeAlarms(state, 'while the deployment baked'), settingsOf(state));
}

/** At the end of a Lambda canary step: the alarms, before traffic moves on. */
async function checkAlarmsDuringCanary(state: DeploymentState): Promise<void> {
  if (!state.deployment.settings.alarms) return;
  const traffic = state.lambda?.traffic;
  await judgeAlarms(state, traffic ? `during canary step ${traffic.step + 1} of ${traffic.steps} (${traffic.weightPercent} %)` : 'during the canary');
}

export { recordAlarmBaseline, checkAlarmsWhileBaking, checkAlarmsDuringCanary };
