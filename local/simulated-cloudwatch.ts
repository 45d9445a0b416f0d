import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  type AlarmHistoryItem,
  type DescribeAlarmHistoryCommandInput,
  type DescribeAlarmsCommandInput,
  type MetricAlarm,
  type StateValue,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';

type Handle = <I, O>(service: string, command: string, run: (input: I) => O) => (input: I) => Promise<O>;

/** Small pages, so that every caller must follow NextToken. */
const HISTORY_PAGE = 2;

interface SimulatedAlarm {
  name: string;
  state: StateValue;
  reason: string;
  updatedAt: Date;
  /** StateUpdate items, oldest first. */
  history: AlarmHistoryItem[];
}

/**
 * CloudWatch alarms as a deployment reads them: DescribeAlarms (metric alarms only unless
 * AlarmTypes asks for composite ones too, as CloudWatch does) and DescribeAlarmHistory
 * (StateUpdate items with CloudWatch's HistoryData JSON, filtered by StartDate, paged).
 */
class SimulatedCloudWatch {
  public readonly alarms = new Map<string, SimulatedAlarm & { composite: boolean }>();
  private readonly mock = mockClient(CloudWatchClient);

  public constructor(handle: Handle) {
    this.install(handle);
  }

  public restore(): void {
    this.mock.restore();
  }

  /** An alarm in `state` since `at` (default now), without history before it. */
  public createAlarm(name: string, state: StateValue = 'OK', options: { composite?: boolean; reason?: string; at?: Date } = {}): void {
    this.alarms.set(name, { name, state, reason: options.reason ?? `created in ${state}`, updatedAt: options.at ?? new Date(), history: [], composite: options.composite ?? false });
  }

  /** The alarm changes state now (or at `at`), with CloudWatch's reason, and its history records it. */
  public setAlarmState(name: string, state: StateValue, reason: string, at = new Date()): void {
    const alarm = this.alarms.get(name);
    if (!alarm) throw new Error(`no simulated alarm ${name}`);
    const oldState = alarm.state;
    alarm.history.push({
      AlarmName: name,
      AlarmType: alarm.composite ? 'CompositeAlarm' : 'MetricAlarm',
      Timestamp: at,
      HistoryItemType: 'StateUpdate',
      HistorySummary: `Alarm updated from ${oldState} to ${state}`,
      HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: oldState, stateReason: alarm.reason }, newState: { stateValue: state, stateReason: reason } }),
    });
    Object.assign(alarm, { state, reason, updatedAt: at });
  }

  private install(handle: Handle): void {
    this.mock.on(DescribeAlarmsCommand).callsFake(
      handle('CloudWatch', 'DescribeAlarms', (input: DescribeAlarmsCommandInput) => {
        const types = input.AlarmTypes ?? ['MetricAlarm'];
        const found = (input.AlarmNames ?? [...this.alarms.keys()]).flatMap((name) => {
          const alarm = this.alarms.get(name);
          return alarm && types.includes(alarm.composite ? 'CompositeAlarm' : 'MetricAlarm') ? [alarm] : [];
        });
        const view = (alarm: SimulatedAlarm): MetricAlarm => ({ AlarmName: alarm.name, StateValue: alarm.state, StateReason: alarm.reason, StateUpdatedTimestamp: alarm.updatedAt });
        return {
          MetricAlarms: found.filter((alarm) => !alarm.composite).map(view),
          CompositeAlarms: found.filter((alarm) => alarm.composite).map(view),
        };
      }),
    );

    this.mock.on(DescribeAlarmHistoryCommand).callsFake(
      handle('CloudWatch', 'DescribeAlarmHistory', (input: DescribeAlarmHistoryCommandInput) => {
        const alarm = this.alarms.get(input.AlarmName ?? '');
        const items = (alarm?.history ?? []).filter(
          (item) => (!input.HistoryItemType || item.HistoryItemType === input.HistoryItemType) && (!input.StartDate || (item.Timestamp?.getTime() ?? 0) >= input.StartDate.getTime()),
        );
        const ordered = input.ScanBy === 'TimestampAscending' ? items : [...items].reverse();
        const from = Number(input.NextToken ?? 0);
        return { AlarmHistoryItems: structuredClone(ordered.slice(from, from + HISTORY_PAGE)), ...(from + HISTORY_PAGE < ordered.length ? { NextToken: String(from + HISTORY_PAGE) } : {}) };
      }),
    );
  }
}

export { SimulatedCloudWatch };
