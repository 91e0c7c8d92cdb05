import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { FailedLoginLimiter, type LoginLimits } from '../../src/http/login-limiter.js';
import { ENGINES } from '../support/engines.js';

const LIMITS: LoginLimits = { perPair: 3, perAccount: 5, perAddress: 5, windowSeconds: 60 };

async function limited(limiter: FailedLoginLimiter, account: string, address: string): Promise<boolean> {
  try {
    await limiter.check({ account, address });
    return false;
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'FERRY_RATE_LIMITED');
    return true;
  }
}

describe('FailedLoginLimiter', () => {
  for (const engine of ENGINES) {
    it(`shares one count between two connections to the same database (the primary and a CDN worker, or two nodes) (${engine.name})`, async () => {
      const db = await engine.openDb();
      const other = await engine.reopen(db);
      const primary = FailedLoginLimiter.onDatabase(db, LIMITS);
      const worker = FailedLoginLimiter.onDatabase(other, LIMITS);
      await primary.fail({ account: 'Victim', address: '10.0.0.1' });
      await worker.fail({ account: 'victim', address: '10.0.0.1' });
      assert.equal(await limited(primary, 'victim', '10.0.0.1'), false);
      await worker.fail({ account: 'VICTIM', address: '10.0.0.1' });
      assert.equal(await limited(primary, 'victim', '10.0.0.1'), true, 'three failures of the pair, counted by two processes');
      assert.equal(await limited(worker, 'victim', '10.0.0.1'), true);
      await db.close();
      await other.close();
    });
  }

  it('never resets on success; limits an account and an address, except for an account known at that address', async () => {
    const limiter = FailedLoginLimiter.inMemory(LIMITS);
    await limiter.succeed({ account: 'carol', address: '10.0.0.9' });
    for (let i = 0; i < 2; i++) await limiter.fail({ account: 'victim', address: '10.0.0.9' });
    await limiter.succeed({ account: 'mallory', address: '10.0.0.9' });
    await limiter.fail({ account: 'victim', address: '10.0.0.9' });
    assert.equal(await limited(limiter, 'victim', '10.0.0.9'), true, 'a success in between reset nothing');
    for (let i = 0; i < 2; i++) await limiter.fail({ account: `other${i}`, address: '10.0.0.9' });
    assert.equal(await limited(limiter, 'dora', '10.0.0.9'), true, 'the address reached its limit');
    assert.equal(await limited(limiter, 'carol', '10.0.0.9'), false, 'carol signed in from there before');
    assert.equal(await limited(limiter, 'dora', '10.0.0.10'), false, 'another address is not limited');
  });
});
