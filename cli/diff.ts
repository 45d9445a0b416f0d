/** A difference between two JSON values, at a path like `containerDefinitions[1].image`. */
interface JsonChange {
  path: string;
  before: unknown;
  after: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

/**
 * Every leaf that differs between `before` and `after` (added and removed keys
 * included), depth first.
 *
 * @example
 * diffJson({ a: { b: 1, c: 2 } }, { a: { b: 1, c: 3 } }); // [{ path: 'a.c', before: 2, after: 3 }]
 */
function diffJson(before: unknown, after: unknown, path = ''): JsonChange[] {
  if (Array.isArray(before) && Array.isArray(after)) {
    return Array.from({ length: Math.max(before.length, after.length) }, (_, index) => diffJson(before[index], after[index], join(path, index))).flat();
  }
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => diffJson(before[key], after[key], join(path, key)));
  }
  if (before instanceof Date && after instanceof Date) return before.getTime() === after.getTime() ? [] : [{ path, before, after }];
  return Object.is(before, after) ? [] : [{ path, before, after }];
}

export { diffJson };
export type { JsonChange };
