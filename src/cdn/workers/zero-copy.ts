import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

/** native/zero_copy.c, built by `npm ci` (binding.gyp). */
interface ZeroCopyAddon {
  /** A new memfd holding a copy of `bytes`, or -errno. */
  memfdFrom(bytes: Buffer): number;
  /** Sends the first `length` bytes of `fileFd` on the socket without blocking: how many went, or -errno. */
  sendFile(socketFd: number, fileFd: number, length: number): number;
}

/** Bodies smaller than this are copied: for them one write() costs no more than a sendfile(). */
export const ZERO_COPY_MIN_BYTES = 16 * 1024;

/** From dist/src/cdn/workers/ to the package root, where node-gyp builds. */
const ADDON_PATH = '../../../../build/Release/zero_copy.node';

function loadAddon(): { addon?: ZeroCopyAddon; reason?: string } {
  try {
    return { addon: createRequire(import.meta.url)(ADDON_PATH) as ZeroCopyAddon };
  } catch (err) {
    return { reason: err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err) };
  }
}

const loaded = loadAddon();

/** Why answers are copied rather than sent from memory (the addon did not load), or undefined. */
export const zeroCopyUnavailable: string | undefined = loaded.reason;

/** Whether a body of `length` bytes is worth a memfd here. */
export function zeroCopyPays(length: number): boolean {
  return loaded.addon !== undefined && length >= ZERO_COPY_MIN_BYTES;
}

/**
 * Bytes in a memfd (anonymous memory behind a file descriptor, no disk) that the kernel sends
 * without copying, as nginx sendfile()s from a tmpfs. Whoever makes one closes it; a send already
 * made needs no fd (the socket holds references to the pages, which nothing writes again).
 */
export class MemfdBytes {
  private constructor(
    private fd: number,
    readonly length: number,
  ) {}

  /** A memfd copy of `bytes`, or undefined when one cannot be made (no addon, no fd left). */
  static from(bytes: Buffer): MemfdBytes | undefined {
    if (!loaded.addon) return undefined;
    const fd = loaded.addon.memfdFrom(bytes);
    return fd >= 0 ? new MemfdBytes(fd, bytes.length) : undefined;
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  /**
   * Sends these bytes on `socket` if nothing else waits to be written there (the kernel takes them
   * now, in order): how many went out, the caller writing the rest the usual way. Undefined, with
   * nothing sent, where this cannot be done. A socket that fails is destroyed (all count as sent).
   */
  sendOn(socket: Socket): number | undefined {
    const handle = (socket as unknown as HandleHolder)._handle;
    const socketFd = handle?.fd;
    if (!loaded.addon || this.fd < 0 || socketFd === undefined || socketFd < 0) return undefined;
    if (socket.destroyed || !socket.writable || socket.writableLength > 0 || (handle?.writeQueueSize ?? 1) > 0) return undefined;
    const sent = loaded.addon.sendFile(socketFd, this.fd, this.length);
    if (sent >= 0) return sent;
    socket.destroy();
    return this.length;
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** node's socket keeps its libuv stream here; `fd` is the kernel's socket on Unix. */
interface HandleHolder {
  _handle?: { fd?: number; writeQueueSize?: number } | null;
}
