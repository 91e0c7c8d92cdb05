import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startFerry, type FerryServer, waitForCdnWorkers } from './harness.js';

/** Sequential requests on one keep-alive connection from `localAddress`. */
function connection(server: FerryServer, localAddress: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let localPort = 0;
  const get = (path: string, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.httpPort, path, headers, agent, localAddress }, (res) => {
        localPort = req.socket?.localPort ?? localPort;
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  return { get, close: () => agent.destroy(), localPort: () => localPort };
}

/** `127.0.0.1:8080` as /proc/net/tcp writes it: the IPv4 address in host order, hex, then the port. */
function procAddress(ip: string, port: number): string {
  const hex = ip.split('.').reverse().map((b) => Number(b).toString(16).padStart(2, '0')).join('').toUpperCase();
  return `${hex}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The processes (ferry and its children) holding the server's end of the client connection from
 * `clientIp:clientPort`: the socket's inode from /proc/net/tcp, then whose fds point at it.
 */
function holdersOf(server: FerryServer, clientIp: string, clientPort: number): number[] {
  const local = procAddress('127.0.0.1', server.httpPort);
  const remote = procAddress(clientIp, clientPort);
  const line = readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[1] === local && f[2] === remote);
  assert.ok(line, `the connection ${clientIp}:${clientPort} is open`);
  const socket = `socket:[${line[9]}]`;
  const ferry = server.process.pid as number;
  const family = [ferry, ...readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((pid) => parentOf(pid) === ferry)];
  return family.filter((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => readlinkOr(`/proc/${pid}/fd/${fd}`) === socket);
    } catch {
      return false;
    }
  });
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

function readlinkOr(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

const basic = (user: string, secret: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` });

describe('clients behind the CDN workers', () => {
  let server: FerryServer;
  let token: string;

  before(async () => {
    server = await startFerry({ env: { FERRY_CDN_WORKERS: '2', FERRY_LOG_LEVEL: 'info' } });
    // Until both workers are ready the primary serves /cdn itself: wait, or nothing here tests them.
    await waitForCdnWorkers(server);
    await server.cliOk(['user', 'add', 'victim']);
    await server.cliOk(['repo', 'create', 'team/site', '--git']);
    await server.cliOk(['grant', 'victim', 'team/site', 'read']);
    token = (await server.cliOk(['token', 'add', 'victim'])).stdout.trim();
  });
  after(async () => {
    await server.stop();
  });

  it('keeps one failed-login count per real client, not one for everything a worker hands back', async () => {
    const wire = '/team/site/info/refs?service=git-upload-pack';
    const attacker = connection(server, '127.0.0.2');
    const victim = connection(server, '127.0.0.3');
    try {
      // Each connection starts with a /cdn request, so a worker holds it from then on and hands
      // every later non-CDN request back to the primary.
      await attacker.get('/cdn/team/site@main/x.js');
      await victim.get('/cdn/team/site@main/x.js');
      // A worker (a child of ferry, not ferry) holds each connection: what follows goes through one.
      for (const [who, ip] of [[attacker, '127.0.0.2'], [victim, '127.0.0.3']] as const) {
        const holders = holdersOf(server, ip, who.localPort());
        assert.equal(holders.length, 1, `one process holds ${ip}'s connection: ${holders.join(' ')}`);
        assert.notEqual(holders[0], server.process.pid, `a CDN worker, not the primary, holds ${ip}'s connection`);
      }
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push(await attacker.get(wire, basic('victim', 'guess')));
      assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401));
      assert.equal(statuses[11], 429, `the attacker is limited: ${statuses.join(' ')}`);
      assert.equal(await victim.get(wire, basic('victim', token)), 200, 'the victim signs in while the attacker is locked out');
    } finally {
      attacker.close();
      victim.close();
    }
  });

  it('ignores a forged forwarded-client header on a direct connection', async () => {
    const forger = connection(server, '127.0.0.4');
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const ip = `10.9.8.${i}`;
        statuses.push(await forger.get('/team/site/info/refs?service=git-upload-pack', { ...basic('victim', 'guess'), 'X-Ferry-Forwarded-Client': `forged ${ip}` }));
      }
      assert.equal(statuses[11], 429, `rotating a forged header does not escape the limit: ${statuses.join(' ')}`);
    } finally {
      forger.close();
    }
  });
});
