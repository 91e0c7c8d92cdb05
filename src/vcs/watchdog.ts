import { spawn } from 'node:child_process';
import { Socket } from 'node:net';

export interface Watchdog {
  /** Removes the paths now and ends the watchdog (a normal stop). */
  stop(): void;
}

/**
 * Removes `paths` when this process ends, however it ends — even by SIGKILL, which runs no code
 * of ours: a small `sh` reads a pipe from us until it closes (the kernel closes it when we die),
 * then removes them. Used for chg's socket dir: a chg server exits within a second of its socket
 * going away, so none outlives a killed Ferry. The script is fixed; the paths are arguments.
 */
export function removeWhenGone(paths: readonly string[]): Watchdog {
  const child = spawn('/bin/sh', ['-c', 'cat >/dev/null; exec rm -rf -- "$@"', 'ferry-watchdog', ...paths], { stdio: ['pipe', 'ignore', 'ignore'] });
  child.on('error', () => {});
  child.stdin.on('error', () => {});
  child.unref();
  if (child.stdin instanceof Socket) child.stdin.unref();
  return { stop: () => child.stdin.end() };
}
