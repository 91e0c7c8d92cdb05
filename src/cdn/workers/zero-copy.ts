import { closeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { cdnSyscalls as addon } from './syscalls.js';

/** Bodies smaller than this are copied: for them one write() costs no more than a sendfile(). */
export const ZERO_COPY_MIN_BYTES = 16 * 1024;

/** Whether a body of `length` bytes is worth a memfd here. */
export function zeroCopyPays(length: number): boolean {
  return addon !== undefined && length >= ZERO_COPY_MIN_BYTES;
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
    if (!addon) return undefined;
    const fd = addon.memfdFrom(bytes);
    return fd >= 0 ? new MemfdBytes(fd, bytes.length) : undefined;
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  /** The memfd's file descriptor (-1 once closed), for the native table to send from. */
  get descriptor(): number {
    return this.fd;
  }

  /**
   * Sends these bytes on `socket` if nothing else waits to be written there (the kernel takes them
   * now, in order): how many went out, the caller writing the rest the usual way. Undefined, with
   * nothing sent, where this cannot be done. A socket that fails is destroyed (all count as sent).
   */
  sendOn(socket: Socket): number | undefined {
    const socketFd = freeFd(socket);
    if (!addon || this.fd < 0 || socketFd === undefined) return undefined;
    const sent = addon.sendFile(socketFd, this.fd, this.length);
    if (sent >= 0) return sent;
    socket.destroy();
    return this.length;
  }

  /**
   * Sends `head` and then these bytes on the socket `socketFd` (from `directFd`): how many of the
   * two went out, the caller writing the rest the usual way; -errno when the socket failed before
   * any did; undefined, with nothing sent, where the addon cannot.
   */
  sendAfter(socketFd: number, head: Buffer): number | undefined {
    if (!addon?.sendHeadFile || this.fd < 0) return undefined;
    return addon.sendHeadFile(socketFd, head, this.fd, this.length);
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * The kernel socket under `socket` when bytes may be sent on it directly — the addon can, and
 * nothing waits in node's or libuv's queues (so the kernel takes them in order) — else undefined.
 */
export function directFd(socket: Socket): number | undefined {
  return addon?.writeBytes ? freeFd(socket) : undefined;
}

/** The kernel socket under `socket` while nothing waits in node's or libuv's queues, else undefined. */
function freeFd(socket: Socket): number | undefined {
  const handle = (socket as unknown as HandleHolder)._handle;
  const fd = handle?.fd;
  if (fd === undefined || fd < 0 || socket.destroyed || !socket.writable || socket.writableLength > 0 || (handle?.writeQueueSize ?? 1) > 0) return undefined;
  return fd;
}

/**
 * Sends `bytes` from `offset` on the socket `socketFd` (from `directFd`) in one system call,
 * without node's stream machinery: how many went out, or -errno when the socket failed before
 * any did.
 */
export function writeDirect(socketFd: number, bytes: Buffer, offset = 0): number {
  const write = addon?.writeBytes;
  return write ? write(socketFd, bytes, offset) : -ENOSYS;
}

/** Linux's "function not implemented". */
const ENOSYS = 38;

/** node's socket keeps its libuv stream here; `fd` is the kernel's socket on Unix. */
interface HandleHolder {
  _handle?: { fd?: number; writeQueueSize?: number } | null;
}
