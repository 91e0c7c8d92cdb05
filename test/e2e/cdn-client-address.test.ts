import { strict as assert } from 'node:assert';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startFerry, type FerryServer } from './harness.js';

/** Sequential requests on one keep-alive connection from `localAddress`. */
function connection(server: FerryServer, localAddress: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.httpPort, path, headers, agent, localAddress }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  return { get, close: () => agent.destroy() };
}

const basic = (user: string, secret: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` });

describe('clients behind the CDN workers', () => {
  let server: FerryServer;
  let token: string;

  before(async () => {
    server = await startFerry({ env: { FERRY_CDN_WORKERS: '2' } });
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
