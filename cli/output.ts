/** Where the CLI writes: stdout for results, stderr for errors; a live status line only on a terminal. */

interface Writer {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const CLEAR_LINE = '\r\x1b[2K';

class Output {
  private statusShown = false;

  public constructor(
    private readonly stdout: Writer,
    private readonly stderr: Writer,
  ) {}

  /** True on a terminal: progress is redrawn in place; piped output gets plain lines only. */
  public get isTTY(): boolean {
    return this.stdout.isTTY === true;
  }

  public line(text = ''): void {
    this.clearStatus();
    this.stdout.write(`${text}\n`);
  }

  public error(text: string): void {
    this.clearStatus();
    this.stderr.write(`${text}\n`);
  }

  /** A transient line, redrawn in place (terminals only; ignored when piped). */
  public status(text: string): void {
    if (!this.isTTY) return;
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
