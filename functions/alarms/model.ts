import type { AlarmsConfig } from '../config/schema';
import { MAX_ALARM_REASON_LENGTH } from '../config/state-budget';
import { AlarmFired } from '../shared/errors';

/**
 * CloudWatch alarms that gate a deployment (`alarms` in deployments.yml). Their states
 * are read once before anything changes (the baseline), then during each Lambda
 * canary step and through a bake after the smoke tests. A transition to ALARM after
 * the baseline is the new image's doing and rolls it back; an alarm already in ALARM
 * at the baseline is reported, not blamed, unless it goes to ALARM again. Pure: what
 * to conclude from what CloudWatch says; ./watch.ts asks it.
 */

/** The alarms of one deployment, merged over its targets (functions/deployment/build.ts). */
type AlarmSettings = AlarmsConfig;

/** An alarm already in ALARM when the deployment began. */
interface PreexistingAlarm {
  name: string;
  reason: string;
  since?: string;
}

/** Where the alarm watch stands, in the state (`$.alarms`). */
interface AlarmWatch {
  /** When the baseline was read: transitions to ALARM from then on count. */
  since: string;
  alreadyInAlarm: PreexistingAlarm[];
  /** Looks left in the bake after the smoke tests (set by the first of them). */
  looksLeft?: number;
  /** PASSED once the bake is over with every alarm out of ALARM. */
  status?: 'BAKING' | 'PASSED';
  /** Seconds before the next look, while BAKING. */
  waitSeconds?: number;
}

/** What an alarm is now. */
interface AlarmState {
  name: string;
  state: string;
  reason: string;
  updatedAt?: string;
}

/** One state change of an alarm, from its history. */
interface AlarmTransition {
  name: string;
  at: string;
  newState: string;
  reason: string;
}

/** Merged over a deployment's targets: every alarm, the longest bake, the closest looks (pure). */
function alarmSettingsOf(configured: readonly (AlarmsConfig | undefined)[]): AlarmSettings | undefined {
  const all = configured.filter((alarms): alarms is AlarmsConfig => alarms !== undefined);
  if (all.length === 0) return undefined;
  return {
    names: [...new Set(all.flatMap((alarms) => alarms.names))],
    bakeSeconds: Math.max(...all.map((alarms) => alarms.bakeSeconds)),
    pollSeconds: Math.min(...all.map((alarms) => alarms.pollSeconds)),
  };
}

const cut = (text: string) => (text.length <= MAX_ALARM_REASON_LENGTH ? text : `${text.slice(0, MAX_ALARM_REASON_LENGTH - 1)}…`);

/** The baseline: which alarms are in ALARM already (pure). */
function baselineOf(states: readonly AlarmState[], now: Date): AlarmWatch {
  return {
    since: now.toISOString(),
    alreadyInAlarm: states.filter((alarm) => alarm.state === 'ALARM').map((alarm) => ({ name: alarm.name, reason: cut(alarm.reason), ...(alarm.updatedAt ? { since: alarm.updatedAt } : {}) })),
  };
}

/**
 * The first alarm the new image set off, if one did (pure): a transition to ALARM since the
 * baseline, or an alarm in ALARM now that was not at the baseline (its history may lag).
 */
function firedAlarm(watch: AlarmWatch, states: readonly AlarmState[], transitions: readonly AlarmTransition[]): AlarmTransition | undefined {
  const since = Date.parse(watch.since);
  const transition = transitions.filter((t) => t.newState === 'ALARM' && Date.parse(t.at) >= since).sort((a, b) => Date.parse(a.at) - Date.parse(b.at))[0];
  if (transition) return transition;
  const preexisting = new Set(watch.alreadyInAlarm.map((alarm) => alarm.name));
  const now = states.find((alarm) => alarm.state === 'ALARM' && !preexisting.has(alarm.name));
  return now ? { name: now.name, at: now.updatedAt ?? new Date().toISOString(), newState: 'ALARM', reason: now.reason } : undefined;
}

/** Throws AlarmFired, naming the alarm and CloudWatch's reason, when one went to ALARM (pure). */
function assertNoAlarmFired(watch: AlarmWatch, states: readonly AlarmState[], transitions: readonly AlarmTransition[], during: string): void {
  const fired = firedAlarm(watch, states, transitions);
  if (fired) throw new AlarmFired(`alarm "${fired.name}" went to ALARM at ${fired.at} ${during}: ${fired.reason}`);
}

/** The next look of the bake after the smoke tests: the bake is over, or how long to wait (pure). */
function nextLook(watch: AlarmWatch, settings: AlarmSettings): AlarmWatch {
  const looksLeft = watch.looksLeft ?? Math.ceil(settings.bakeSeconds / settings.pollSeconds);
  if (looksLeft <= 0) return { ...watch, looksLeft: 0, status: 'PASSED', waitSeconds: 0 };
  return { ...watch, looksLeft: looksLeft - 1, status: 'BAKING', waitSeconds: settings.pollSeconds };
}

export { alarmSettingsOf, baselineOf, firedAlarm, assertNoAlarmFired, nextLook };
export type { AlarmSettings, AlarmWatch, AlarmState, AlarmTransition, PreexistingAlarm };
