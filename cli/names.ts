import { shortDigest } from '../functions/shared/image';

/**
 * Names of executions the CLI starts: `manual-<target>-<digest12>-<UTC time>`,
 * `rollback-<target>[-<digest12>]-<UTC time>`. Unique per start (the trigger's
 * `<target>-<digest32>` allows one execution per image), at most 79 characters of
 * [a-z0-9-], and readable back to their target (functions/deployment/history.ts).
 */
function executionName(action: 'manual' | 'rollback' | 'promote', target: string, digest: string | undefined, now: Date): string {
  const time = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return [action, target, digest ? shortDigest(digest) : undefined, time].filter((part) => part !== undefined).join('-');
}

/** `1m 36s`, `12s`, `1h 4m`. */
function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** `2026-11-23 10:15:05` (UTC). */
function formatTime(date: Date | undefined): string {
  return date ? date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '') : '-';
}

export { executionName, formatDuration, formatTime };
