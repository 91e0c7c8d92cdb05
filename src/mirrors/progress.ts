import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Where progress goes: a terminal gets one line redrawn in place, anything else log lines. */
export interface ProgressOutput {
  readonly isTTY: boolean;
  write(text: string): void;
}

/** A progress output that drops everything (scheduled syncs log their outcome instead). */
export const NO_PROGRESS: ProgressOutput = { isTTY: false, write: () => {} };

/**
 * Reports a transfer while it runs: bytes that arrived in the copy's directory (measured every
 * tick), the rate, and the last progress line hg or git printed (changesets n/total, objects).
 */
export class TransferProgress {
  private timer: NodeJS.Timeout | undefined;
  private lastVcsLine = '';
  private readonly started = Date.now();
  private lastBytes = 0;
  private lastAt = Date.now();
  private busy = false;
  private baseline: Promise<number> = Promise.resolve(0);

  constructor(
    private readonly label: string,
    private readonly dir: string,
    private readonly out: ProgressOutput,
    private readonly everyMs = out.isTTY ? 500 : 5000,
  ) {}

  start(): void {
    if (this.out === NO_PROGRESS) return;
    // A sync starts from a full repo: report what arrives, not what was there.
    this.baseline = directorySize(this.dir);
    this.timer = setInterval(() => void this.tick(), this.everyMs);
    this.timer.unref();
  }

  /** Feeds the hg/git standard error; keeps the newest progress line. */
  note(chunk: Buffer): void {
    const parts = chunk.toString('utf8').split(/[\r\n]+/).map((s) => s.trim()).filter(Boolean);
    for (const part of parts) {
      if (/(\d+\/\d+|\d+%)/.test(part)) this.lastVcsLine = part.replace(/\s+/g, ' ').replace(/[,\s]+$/, '');
    }
  }

  stop(outcome: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.out === NO_PROGRESS) return;
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    this.out.write(`${this.out.isTTY ? '\r\u001b[K' : ''}${this.label}: ${outcome} in ${seconds}s\n`);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const bytes = Math.max(0, (await directorySize(this.dir)) - (await this.baseline));
      const now = Date.now();
      const rate = ((bytes - this.lastBytes) * 1000) / Math.max(1, now - this.lastAt);
      this.lastBytes = bytes;
      this.lastAt = now;
      if (this.timer === undefined) return;
      const vcs = this.lastVcsLine ? `, ${this.lastVcsLine}` : '';
      const line = `${this.label}: ${formatBytes(bytes)} received (${formatBytes(Math.max(0, rate))}/s)${vcs}`;
      this.out.write(this.out.isTTY ? `\r\u001b[K${line.slice(0, 150)}` : `${line}\n`);
    } finally {
      this.busy = false;
    }
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

async function directorySize(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await directorySize(p);
    else if (e.isFile()) total += await stat(p).then((s) => s.size, () => 0);
  }
  return total;
}
