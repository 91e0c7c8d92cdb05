import { createRequire } from 'node:module';

/** native/cdn_syscalls.c, built by `npm ci` (binding.gyp): system calls node does not offer. */
export interface CdnSyscalls extends Partial<NativeHotAddon> {
  /** A new memfd holding a copy of `bytes`, or -errno. */
  memfdFrom(bytes: Buffer): number;
  /** Sends the first `length` bytes of `fileFd` on the socket without blocking: how many went, or -errno. */
  sendFile(socketFd: number, fileFd: number, length: number): number;
  /** Sends `bytes` from `offset` on the socket without blocking: how many went, or -errno. Missing from an addon built before it. */
  writeBytes?(socketFd: number, bytes: Buffer, offset: number): number;
  /** Sends `head`, then the first `length` bytes of `fileFd`, without blocking: how many of the two went, or -errno. Missing from an addon built before it. */
  sendHeadFile?(socketFd: number, head: Buffer, fileFd: number, length: number): number;
  /** sched_yield(): 0, or -errno. */
  yieldCpu(): number;
}

/** Whether the addon has native/cdn_hot.c's table (an addon built before it has not). */
export function hasNativeHot(addon: CdnSyscalls | undefined): addon is CdnSyscalls & NativeHotAddon {
  return addon?.hotInit !== undefined && addon.hotServe !== undefined && addon.hotAdopt !== undefined;
}

/** The reused-answer table of native/cdn_hot.c; see native-hot.ts for what each does. */
export interface NativeHotAddon {
  hotInit(readBuffer: Buffer, result: Float64Array): void;
  hotPut(key: Buffer, wire: Buffer, dateAt: number, headLength: number, memfd: number, scope: number, expiresMs: number): object;
  hotRemove(entry: object): void;
  hotClear(): void;
  hotScope(scope: number, freshUntilMs: number, dueUntilMs: number): void;
  hotStaleInit(check: (scope: number) => void): void;
  hotEncoding(acceptEncoding: Buffer, negotiated: string): void;
  hotServe(socketFd: number, length: number): number;
  hotStats(): number[];
  hotAdoptInit(handBack: (fd: number, bytes: Buffer) => void, idleMs: number): void;
  hotAdopt(socketFd: number): boolean;
  hotCloseConnections(force: boolean): number;
  /** For tests: the key the table's scan makes of one whole head, or undefined (an older build lacks it). */
  hotKeyOf?(head: Buffer): string | undefined;
}

/** From dist/src/cdn/workers/ to the package root, where node-gyp builds. */
const ADDON_PATH = '../../../../build/Release/cdn_syscalls.node';

function load(): { addon?: CdnSyscalls; reason?: string } {
  try {
    return { addon: createRequire(import.meta.url)(ADDON_PATH) as CdnSyscalls };
  } catch (err) {
    return { reason: err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err) };
  }
}

const loaded = load();

/** The addon, or undefined where it did not load (another OS, a failed build): callers do without. */
export const cdnSyscalls: CdnSyscalls | undefined = loaded.addon;

/** Why the addon did not load, or undefined. */
export const cdnSyscallsUnavailable: string | undefined = loaded.reason;
