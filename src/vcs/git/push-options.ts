/*
 * Git push options (`git push -o OPTION`, gitprotocol-pack(5) "push-options"): receive-pack
 * offers the `push-options` capability only when `receive.advertisePushOptions` is true, which
 * Ferry's serving config sets for every git process (GIT_SERVER_SETTINGS in server-config.ts).
 */

/** At most this many options are kept, each at most MAX_OPTION_BYTES (git itself has no limit). */
const MAX_OPTIONS = 64;
const MAX_OPTION_BYTES = 4096;
/** Bytes of pkt-lines read before giving up on finding the options (they come first). */
const MAX_HEAD_BYTES = 1024 * 1024;

/**
 * Reads the push options of a receive-pack request as its bytes stream past, changing nothing:
 * `[shallow…] command\0capabilities, command…, flush, [option…, flush], pack`
 * (gitprotocol-pack(5), "Reference Update Request and Packfile Transfer"); a signed push puts
 * the commands inside `push-cert … push-cert-end`. Options are read only when the client asked
 * for the `push-options` capability. Feed every chunk; read `options` when the request is over.
 */
export class PushOptionsReader {
  private pending: Buffer = Buffer.alloc(0);
  private seen = 0;
  private state: 'commands' | 'cert' | 'options' | 'done' = 'commands';
  private first = true;
  private offered = false;
  private readonly found: string[] = [];

  get options(): readonly string[] {
    return this.found;
  }

  feed(chunk: Buffer): void {
    if (this.finished()) return;
    this.seen += chunk.length;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (!this.finished() && this.pending.length >= 4) {
      const length = Number.parseInt(this.pending.subarray(0, 4).toString('latin1'), 16);
      if (!Number.isInteger(length) || (length > 0 && length < 4)) return this.stop();
      if (length === 0) {
        this.pending = this.pending.subarray(4);
        this.flush();
        continue;
      }
      if (this.pending.length < length) break;
      const line = this.pending.subarray(4, length).toString('utf8').replace(/\n$/, '');
      this.pending = this.pending.subarray(length);
      this.line(line);
    }
    if (this.seen > MAX_HEAD_BYTES) this.stop();
  }

  private finished(): boolean {
    return this.state === 'done';
  }

  private line(line: string): void {
    if (this.state === 'options') {
      if (this.found.length < MAX_OPTIONS && Buffer.byteLength(line) <= MAX_OPTION_BYTES) this.found.push(line);
      return;
    }
    if (this.state === 'cert') {
      if (line === 'push-cert-end') this.state = 'commands';
      return;
    }
    if (this.first && !line.startsWith('shallow ')) {
      this.first = false;
      const nul = line.indexOf('\0');
      const capabilities = nul < 0 ? [] : line.slice(nul + 1).split(' ');
      this.offered = capabilities.includes('push-options');
      if (line.startsWith('push-cert\0')) this.state = 'cert';
    }
  }

  private flush(): void {
    if (this.state === 'commands' && this.offered && !this.first) this.state = 'options';
    else if (this.state !== 'cert') this.stop();
  }

  private stop(): void {
    this.state = 'done';
    this.pending = Buffer.alloc(0);
  }
}
