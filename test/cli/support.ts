import { main } from '../../cli/main';
import type { CliDeps } from '../../cli/context';

/** The CLI's clock in tests: execution names carry it. */
const NOW = new Date('2026-11-23T10:15:05.000Z');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `ecr-deployer <argv>` in-process with captured output, an empty
 * environment (nothing from the machine running the tests), a fixed clock and
 * no real waiting between polls.
 */
async function runCli(argv: string[], deps: Partial<CliDeps> & { tty?: boolean } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const { tty, ...rest } = deps;
  const code = await main(argv, {
    stdout: { write: (chunk: string) => (stdout += chunk), isTTY: tty === true, columns: 200 },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env: {},
    now: () => NOW,
    sleep: () => new Promise((resolve) => setImmediate(resolve)),
    pollMs: 0,
    localWaitMs: 0,
    ...rest,
  });
  return { code, stdout, stderr };
}

/** Output lines without the `+12s` elapsed-time column, for assertions that do not depend on time. */
function linesOf(text: string): string[] {
  return text.split('\n').map((line) => line.replace(/\+\d+[smh]( \d+[sm])?\s+/, '').trimEnd());
}

export { runCli, linesOf, NOW };
export type { CliRun };
