/**
 * A worker's periodic sweep: `work` every `everyMs` (0 or less: never), never two runs at once;
 * `stop` waits for the run under way. Failures are `work`'s to log.
 */
export class Periodic {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(private readonly work: () => Promise<unknown>) {}

  start(everyMs: number): void {
    if (everyMs <= 0) return;
    this.timer = setInterval(() => {
      if (this.running) return; // the previous run is still at it
      this.running = this.work().finally(() => (this.running = undefined));
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
