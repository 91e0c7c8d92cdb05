import type { MirrorService } from './service.js';

/** Runs due mirror syncs while `ferry serve` runs: looks once a second, at most `concurrency` at once. */
export class MirrorScheduler {
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    private readonly mirrors: MirrorService,
    private readonly concurrency: number,
    private readonly everyMs = 1000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.everyMs);
    this.timer.unref();
  }

  /** No new syncs; syncs in flight are stopped and awaited. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.mirrors.stop();
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.mirrors.runDue(Math.max(1, this.concurrency));
    } catch {
      // a failing sync records its own error; a failing lookup is retried next tick
    } finally {
      this.ticking = false;
    }
  }
}
