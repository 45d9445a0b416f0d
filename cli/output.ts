/** Where the CLI writes: stdout for results, stderr for errors; a live status line only on a terminal. */

interface Writer {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const CLEAR_LINE = '\r\x1b[2K';

/** The colour of a line by its first mark: outcomes and failed steps. */
const COLOURS: [RegExp, string][] = [
  [/^✔/, '\x1b[32m'],
  [/^(✘|\s+✗)/, '\x1b[31m'],
  [/^(⏭|…)/, '\x1b[33m'],
];
const RESET = '\x1b[0m';

/**
 * Colours only on a terminal, and not when NO_COLOR is set (no-color.org) or the
 * terminal is dumb: piped output stays plain text for scripts.
 */
function wantsColour(stdout: Writer, env: NodeJS.ProcessEnv): boolean {
  return stdout.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

class Output {
  private statusShown = false;
  private readonly colour: boolean;
  /** `--json`: the lines people read go to stderr, stdout holds the one document. */
  private linesToStderr = false;

  public constructor(
    private readonly stdout: Writer,
    private readonly stderr: Writer,
    env: NodeJS.ProcessEnv = {},
  ) {
    this.colour = wantsColour(stdout, env);
  }

  /** True on a terminal: progress is redrawn in place; piped output gets plain lines only. */
  public get isTTY(): boolean {
    return this.stdout.isTTY === true;
  }

  public line(text = ''): void {
    this.clearStatus();
    if (this.linesToStderr) {
      this.stderr.write(`${text}\n`);
      return;
    }
    const colour = this.colour ? COLOURS.find(([mark]) => mark.test(text))?.[1] : undefined;
    this.stdout.write(colour ? `${colour}${text}${RESET}\n` : `${text}\n`);
  }

  /** From now on, lines for people go to stderr; `json` writes the result to stdout. */
  public sendLinesToStderr(): void {
    this.linesToStderr = true;
  }

  /** The one JSON document of a `--json` command, on stdout. */
  public json(value: unknown): void {
    this.clearStatus();
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  public error(text: string): void {
    this.clearStatus();
    this.stderr.write(`${text}\n`);
  }

  /** A transient line, redrawn in place (terminals only; ignored when piped). */
  public status(text: string): void {
    if (!this.isTTY || this.linesToStderr) return;
    const width = Math.max(20, (this.stdout.columns || 100) - 1);
    this.stdout.write(`${CLEAR_LINE}${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.statusShown = true;
  }

  public clearStatus(): void {
    if (!this.statusShown) return;
    this.stdout.write(CLEAR_LINE);
    this.statusShown = false;
  }
}

export { Output };
export type { Writer };
