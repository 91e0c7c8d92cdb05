import type { TransferOp } from './registry.js';

/** The longest command or argument line a client sends in the hg SSH protocol; longer: stop. */
const MAX_LINE = 4096;

/** hg wire commands that move changesets, and what /metrics calls them. */
const TRANSFERS: Readonly<Record<string, TransferOp>> = {
  getbundle: 'clone',
  stream_out: 'clone',
  unbundle: 'push',
};

/**
 * Reads, without changing anything, what an hg client sends to `hg serve --stdio` and notes which
 * transfers it asked for. The framing is hg's SSH protocol version 1 (mercurial/wireprotoserver.py,
 * "sshv1"): a command name on its own line, then arguments as `NAME LENGTH\n` + LENGTH bytes,
 * where `* COUNT\n` introduces COUNT such pairs. After `unbundle` comes the raw bundle, so reading
 * stops there; it stops too at anything that does not fit the framing.
 */
export class HgSshCommandTap {
  private readonly seen = new Set<TransferOp>();
  private line: number[] = [];
  private skip = 0;
  private stopped = false;

  /** The transfers seen so far (each at most once per session). */
  transfers(): readonly TransferOp[] {
    return [...this.seen];
  }

  /** Feeds the next bytes the client sent. */
  feed(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && !this.stopped) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++] as number;
      if (byte !== 0x0a) {
        this.line.push(byte);
        if (this.line.length > MAX_LINE) this.stopped = true;
        continue;
      }
      this.onLine(Buffer.from(this.line).toString('latin1'));
      this.line = [];
    }
  }

  private onLine(line: string): void {
    const arg = /^(\S+) (\d+)$/.exec(line);
    if (arg) {
      if (arg[1] !== '*') this.skip = Number(arg[2]);
      return;
    }
    if (!/^[a-z_]+$/.test(line)) {
      this.stopped = true;
      return;
    }
    const op = TRANSFERS[line];
    if (op) this.seen.add(op);
    if (line === 'unbundle') this.stopped = true;
  }
}
