/** Which process holds the server's end of a TCP connection: ferry itself or one of its children (a CDN worker). */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { FerryServer } from './harness.js';

/**
 * The processes (ferry or one of its children) holding the server's end of the connection from
 * `clientPort` on 127.0.0.1, read from /proc (Linux). Fails the test when there is no such connection.
 */
export function holdersOf(server: FerryServer, clientPort: number): number[] {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
  const line = readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[1] === `0100007F:${hex(server.httpPort)}` && f[2] === `0100007F:${hex(clientPort)}`);
  assert.ok(line, `the connection from port ${clientPort} is open`);
  const socket = `socket:[${line[9]}]`;
  const ferry = server.process.pid as number;
  const parentOf = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return -1;
    }
  };
  const family = [ferry, ...readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((pid) => parentOf(pid) === ferry)];
  return family.filter((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`) === socket;
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  });
}
