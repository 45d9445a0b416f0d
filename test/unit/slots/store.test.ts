import { applyPush } from '../../../functions/slots/model';
import { allSlots, readSlot, updateSlot } from '../../../functions/slots/store';
import { useFreshTables } from '../../support/dynamodb';

/** The slot table against a real DynamoDB implementation (dynalite on 127.0.0.1): conditional writes on a version. */

useFreshTables();
const digest = (n: number) => `sha256:${String(n % 10).repeat(64)}`;

describe('the slot store', () => {
  it('reads an empty record for a slot it has never seen', async () => {
    await expect(readSlot('ecs:prod/web', 'ecs')).resolves.toEqual({ key: 'ecs:prod/web', kind: 'ecs', version: 0, generation: 0, targets: {} });
  });

  it('loses no write when thirty pushes land on one slot at the same moment', async () => {
    const targets = Array.from({ length: 30 }, (_, i) => `target-${i}`);

    await Promise.all(
      targets.map((target, i) =>
        updateSlot('ecs:prod/web', 'ecs', (record) => applyPush(record, target, { digest: digest(i), at: '2026-11-23T10:00:00Z', trigger: { kind: 'ecr-push', eventIds: [target] } })),
      ),
    );

    const record = await readSlot('ecs:prod/web', 'ecs');
    expect(Object.keys(record.targets).sort()).toEqual([...targets].sort());
    expect(record.version).toBe(30);
  });

  it('writes nothing when a change changes nothing', async () => {
    await updateSlot('ecs:prod/web', 'ecs', (record) => applyPush(record, 'web', { digest: digest(1), at: '2026-11-23T10:00:00Z', trigger: { kind: 'ecr-push', eventIds: ['e'] } }));

    const again = await updateSlot('ecs:prod/web', 'ecs', (record) => applyPush(record, 'web', { digest: digest(1), at: '2026-11-23T10:00:00Z', trigger: { kind: 'ecr-push', eventIds: ['e'] } }));

    expect(again.result).toMatchObject({ recorded: false, duplicate: expect.any(String) });
    expect(again.record.version).toBe(1);
  });

  it('lists every slot for the sweep', async () => {
    for (const key of ['ecs:a/one', 'batch:two', 'lambda:three']) {
      await updateSlot(key, key.startsWith('ecs') ? 'ecs' : key.startsWith('batch') ? 'batch' : 'lambda', (record) =>
        applyPush(record, 'x', { digest: digest(2), at: '2026-11-23T10:00:00Z', trigger: { kind: 'ecr-push' } }),
      );
    }

    const keys: string[] = [];
    for await (const record of allSlots()) keys.push(record.key);

    expect(keys.sort()).toEqual(['batch:two', 'ecs:a/one', 'lambda:three']);
  });
});
