import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { FERRY_BIN, run, tempDir } from './harness.js';

describe('ferry serve start-up', () => {
  for (const taken of ['ssh', 'http'] as const) {
    it(`exits 1 with one line naming the setting when the ${taken} port is taken, leaving nothing running`, async () => {
      const blocker = createServer();
      blocker.listen(0, '127.0.0.1');
      await once(blocker, 'listening');
      const port = String((blocker.address() as AddressInfo).port);
      try {
        const env = {
          ...process.env,
          FERRY_LOG_LEVEL: 'silent',
          FERRY_SSH_PORT: taken === 'ssh' ? port : '0',
          FERRY_HTTP_PORT: taken === 'http' ? port : '0',
        };
        // A server left half-running would never exit: the run's own time limit would end it (code 128).
        const r = await run(process.execPath, [FERRY_BIN, '--data', tempDir(), 'serve'], { env, timeoutMs: 60_000 });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stderr, new RegExp(`^ferry: cannot listen for ${taken} on 127\\.0\\.0\\.1:${port}: the port is in use; .*FERRY_${taken.toUpperCase()}_PORT$`, 'm'));
      } finally {
        blocker.close();
      }
    });
  }
});
