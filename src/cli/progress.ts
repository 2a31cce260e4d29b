/**
 * Progress of a long command: on a terminal one line rewritten in place; elsewhere (a Kubernetes
 * Job's log, CI) a plain line every few seconds. Each says how much of the total is done and at
 * what rate.
 */
export class ProgressLine {
  private readonly started = Date.now();
  private lastPrinted = 0;
  private rewriting = false;

  constructor(
    private readonly unit: string,
    private readonly stream: NodeJS.WriteStream = process.stdout,
    private readonly plainEveryMs = 2000,
  ) {}

  update(done: number, total: number): void {
    const now = Date.now();
    const line = this.describe(done, total, now);
    if (this.stream.isTTY) {
      this.stream.write(`\r${line}\x1b[K`);
      this.rewriting = true;
      return;
    }
    if (now - this.lastPrinted >= this.plainEveryMs || done >= total) {
      this.lastPrinted = now;
      this.stream.write(`${line}\n`);
    }
  }

  /** Ends the rewritten line, so that what follows starts on a line of its own. */
  done(): void {
    if (this.rewriting) this.stream.write('\n');
    this.rewriting = false;
  }

  private describe(done: number, total: number, now: number): string {
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    return `${this.unit}: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} (${percent}%), ${Math.round(done / seconds).toLocaleString('en-US')}/s`;
  }
}
