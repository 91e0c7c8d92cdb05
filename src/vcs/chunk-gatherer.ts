/**
 * Gathers a long-lived child's stdout chunks until a message is whole, then joins them once: a
 * large message (a big file's `hg cat` or `git cat-file` object, an annotation) arrives in many
 * chunks, and joining on every chunk would copy it once per chunk (quadratic in its size).
 * Used by the hg command server and `git cat-file --batch` readers.
 */
export class ChunkGatherer {
  private parts: Buffer[] = [];
  private length = 0;
  /** Bytes the message being received needs in all, counted from the first unread byte (0: unknown yet, parse on any chunk). */
  needed = 0;

  /** Adds `chunk`; returns every unread byte, joined, once `needed` are there (and resets `needed`), else undefined. */
  add(chunk: Buffer): Buffer | undefined {
    this.parts.push(chunk);
    this.length += chunk.length;
    if (this.length < this.needed) return undefined;
    const all = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.length);
    this.parts = [];
    this.length = 0;
    this.needed = 0;
    return all;
  }

  /** Keeps what the parser left unread, to be joined with the next chunks. */
  keep(rest: Buffer): void {
    if (rest.length === 0) return;
    this.parts = [rest];
    this.length = rest.length;
  }
}
