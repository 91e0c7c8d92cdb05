import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { run, startFerry, type FerryServer } from './harness.js';

/** Status of a request with wrong Basic credentials for `user`, as sent through a proxy that says the client is `forwardedFor`. */
async function failedSignIn(server: FerryServer, user: string, forwardedFor: string): Promise<number> {
  const r = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', `${user}:wrong`, '-H', `X-Forwarded-For: ${forwardedFor}`, `${server.baseUrl}/api/v1/user`]);
  return Number(r.stdout);
}

/** 30 failed sign-ins (the per-address limit), each for another account, from `address`; then one more. */
async function exhaust(server: FerryServer, address: string, tag: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < 31; i++) statuses.push(await failedSignIn(server, `${tag}${i}`, address));
  return statuses;
}

describe('[http] trusted_proxies: the failed-sign-in limit counts per client behind a load balancer', () => {
  let trusting: FerryServer;
  let plain: FerryServer;

  before(async () => {
    trusting = await startFerry({ toml: '[http]\ntrusted_proxies = "127.0.0.1, ::1"\n' });
    plain = await startFerry();
  });
  after(async () => {
    await trusting?.stop();
    await plain?.stop();
  });

  it('behind a trusted proxy, one client that runs into the limit does not lock out the others', async () => {
    const a = await exhaust(trusting, '203.0.113.5', 'a');
    assert.deepEqual(a.slice(0, 30), Array<number>(30).fill(401), a.join(' '));
    assert.equal(a[30], 429, 'the 31st failure from 203.0.113.5 is refused');
    assert.equal(await failedSignIn(trusting, 'b0', '203.0.113.6'), 401, 'another client behind the same proxy is not');
    // The right-most untrusted address is the client: what a client writes to the left is its own word.
    assert.equal(await failedSignIn(trusting, 'b1', '203.0.113.6, 203.0.113.5'), 429);
    assert.equal(await failedSignIn(trusting, 'b2', '203.0.113.5, 203.0.113.6'), 401);
  });

  it('without trusted_proxies a forged X-Forwarded-For changes nothing: the socket address is counted', async () => {
    const a = await exhaust(plain, '203.0.113.5', 'a');
    assert.equal(a[30], 429, a.join(' '));
    assert.equal(await failedSignIn(plain, 'b0', '203.0.113.6'), 429, 'a new forged address does not reset the limit');
  });

  it('a bad trusted_proxies entry stops the start with a one-line error', async () => {
    await assert.rejects(startFerry({ toml: '[http]\ntrusted_proxies = "10.0.0.0/40"\n' }), /trusted_proxies: "10\.0\.0\.0\/40" is no IP address or CIDR range/);
  });
});
