import { alarmSettingsOf, baselineOf, firedAlarm, nextLook } from '../../../functions/alarms/model';
import { parseDeploymentsYaml } from '../../../functions/config/load';

/** What the alarms say about the new image, and how long the bake lasts. */

const BASELINE = '2026-12-01T10:00:00.000Z';
const watch = baselineOf([{ name: 'p99', state: 'OK', reason: 'fine' }, { name: '5xx', state: 'ALARM', reason: 'Threshold Crossed', updatedAt: '2026-12-01T09:00:00.000Z' }], new Date(BASELINE));

describe('alarms and the new image', () => {
  it('the baseline names the alarms already in ALARM, with their reason and since when', () => {
    expect(watch).toEqual({ since: BASELINE, alreadyInAlarm: [{ name: '5xx', reason: 'Threshold Crossed', since: '2026-12-01T09:00:00.000Z' }] });
  });

  it.each([
    ['nothing changed', [], [{ name: 'p99', state: 'OK' }, { name: '5xx', state: 'ALARM' }], undefined],
    ['p99 went to ALARM after the baseline', [{ name: 'p99', at: '2026-12-01T10:01:00.000Z', newState: 'ALARM' }], [], 'p99'],
    ['p99 went to ALARM and back between two looks', [{ name: 'p99', at: '2026-12-01T10:01:00.000Z', newState: 'ALARM' }, { name: 'p99', at: '2026-12-01T10:01:30.000Z', newState: 'OK' }], [{ name: 'p99', state: 'OK' }], 'p99'],
    ['p99 is in ALARM now, its history not yet written', [], [{ name: 'p99', state: 'ALARM' }], 'p99'],
    ['5xx, in ALARM before, went OK and ALARM again', [{ name: '5xx', at: '2026-12-01T10:02:00.000Z', newState: 'OK' }, { name: '5xx', at: '2026-12-01T10:03:00.000Z', newState: 'ALARM' }], [], '5xx'],
    ['a transition to ALARM before the baseline', [{ name: 'p99', at: '2026-12-01T09:59:59.000Z', newState: 'ALARM' }], [{ name: 'p99', state: 'OK' }], undefined],
    ['INSUFFICIENT_DATA', [{ name: 'p99', at: '2026-12-01T10:01:00.000Z', newState: 'INSUFFICIENT_DATA' }], [{ name: 'p99', state: 'INSUFFICIENT_DATA' }], undefined],
  ])('%s', (_, transitions, states, fired) => {
    const found = firedAlarm(
      watch,
      states.map((state) => ({ reason: '', ...state })),
      transitions.map((transition) => ({ reason: 'r', ...transition })),
    );
    expect(found?.name).toBe(fired);
  });

  it('bakes bakeSeconds in looks pollSeconds apart, after a first look at once', () => {
    const settings = { names: ['p99'], bakeSeconds: 100, pollSeconds: 30 };
    const looks = [nextLook(watch, settings)];
    while (looks.at(-1)?.status === 'BAKING') looks.push(nextLook(looks.at(-1)!, settings));

    expect(looks.map((look) => look.waitSeconds)).toEqual([30, 30, 30, 30, 0]);
    expect(looks.at(-1)?.status).toBe('PASSED');
    expect(nextLook(watch, { ...settings, bakeSeconds: 0 }).status).toBe('PASSED');
  });

  it('merges the targets of one deployment: every alarm, the longest bake, the closest looks', () => {
    expect(alarmSettingsOf([{ names: ['a'], bakeSeconds: 60, pollSeconds: 30 }, undefined, { names: ['a', 'b'], bakeSeconds: 300, pollSeconds: 60 }])).toEqual({ names: ['a', 'b'], bakeSeconds: 300, pollSeconds: 30 });
    expect(alarmSettingsOf([undefined])).toBeUndefined();
  });
});

describe('alarms in deployments.yml', () => {
  const parse = (alarms: string) => parseDeploymentsYaml(`targets:\n  - name: web\n    repository: web\n    ecs: { cluster: prod, service: web }\n    alarms: ${alarms}\n`).targets[0]!;

  it('fills in the bake and the looks', () => {
    expect(parse('{ names: ["web p99 latency > 2s"] }').alarms).toEqual({ names: ['web p99 latency > 2s'], bakeSeconds: 300, pollSeconds: 30 });
  });

  it.each([
    ['a wildcard', '{ names: ["web-*"] }', 'wildcards are not allowed'],
    ['an ARN', '{ names: ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:web"] }', 'not an ARN'],
    ['no alarm', '{ names: [] }', 'targets[0].alarms.names'],
    ['a bake that would look too often', '{ names: [web], bakeSeconds: 86400, pollSeconds: 10 }', 'targets[0].alarms.pollSeconds: at most 1000 polls'],
  ])('refuses %s, naming the field', (_, yaml, message) => {
    expect(() => parse(yaml)).toThrow(message);
  });
});
