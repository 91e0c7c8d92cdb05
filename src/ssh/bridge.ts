import { spawn } from 'node:child_process';
import type { ServerChannel } from 'ssh2';
import type { ProcessSpec } from '../vcs/process-spec.js';

export interface BridgeResult {
  /** The exit status to report (128 + n for a signal, as a shell would). */
  readonly code: number;
  /** True when the client went away before the program finished. */
  readonly clientGone: boolean;
}

/** How long a program gets after SIGTERM before SIGKILL, once its client is gone. */
const KILL_AFTER_MS = 2000;

/**
 * Runs `spec` with the channel as its stdio: stdout and stderr are piped into the channel with
 * `{ end: false }` (the caller sends the exit status, then ends), the channel's data goes to
 * stdin. Both directions use stream backpressure, which ssh2 ties to the SSH window, so a large
 * transfer never piles up in memory. If the client drops, the program is terminated.
 * `observeInput` sees every chunk the client sends, unchanged (e.g. to read git push options).
 */
export function bridgeProcess(channel: ServerChannel, spec: ProcessSpec, signal?: AbortSignal, observeInput?: (chunk: Buffer) => void): Promise<BridgeResult> {
  return new Promise((resolve) => {
    const child = spawn(spec.executable, [...spec.args], { env: spec.env, cwd: spec.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let clientGone = false;
    let killTimer: NodeJS.Timeout | undefined;
    const terminate = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      killTimer.unref();
    };
    const onChannelClose = () => {
      clientGone = true;
      terminate();
    };
    channel.once('close', onChannelClose);
    signal?.addEventListener('abort', terminate, { once: true });

    child.stdout.pipe(channel, { end: false });
    child.stderr.pipe(channel.stderr, { end: false });
    if (observeInput) channel.on('data', observeInput);
    channel.pipe(child.stdin);
    child.stdin.on('error', () => {
      /* the program stopped reading (it exited); its exit status tells the story */
    });
    child.on('error', (err) => {
      channel.stderr.write(`ferry: could not start ${spec.executable}: ${err.message}\n`);
    });
    child.on('close', (code, sig) => {
      if (killTimer) clearTimeout(killTimer);
      channel.removeListener('close', onChannelClose);
      channel.unpipe(child.stdin);
      if (observeInput) channel.removeListener('data', observeInput);
      signal?.removeEventListener('abort', terminate);
      resolve({ code: code ?? (sig ? 128 + signalNumber(sig) : 1), clientGone });
    });
  });
}

function signalNumber(sig: NodeJS.Signals): number {
  return sig === 'SIGKILL' ? 9 : sig === 'SIGTERM' ? 15 : sig === 'SIGPIPE' ? 13 : 1;
}
