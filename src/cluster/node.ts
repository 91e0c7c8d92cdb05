import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Who this `ferry serve` process is among the nodes sharing one database and one data dir. */
export interface NodeIdentity {
  /** `HOST:PID:RANDOM`: unique per process start, so a restarted node is a new node. */
  readonly id: string;
  /** The host name, as hg writes it into its lock files (`HOST:PID`). */
  readonly host: string;
  readonly pid: number;
}

/** The identity of this process (a new one on every call: call it once per process). */
export function thisNode(): NodeIdentity {
  const host = hostname();
  return { id: `${host}:${process.pid}:${randomBytes(3).toString('hex')}`, host, pid: process.pid };
}
