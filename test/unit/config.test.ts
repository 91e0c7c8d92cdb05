import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { tempDir } from '../e2e/harness.js';

describe('config', () => {
  it('uses defaults, then ferry.toml, then FERRY_* environment', () => {
    const dir = tempDir();
    assert.equal(loadConfig(dir, {}).ssh.port, 2222);
    writeFileSync(join(dir, 'ferry.toml'), '[ssh]\nport = 2022\n[cdn]\nmemory = "64MB"\n');
    const fromFile = loadConfig(dir, {});
    assert.equal(fromFile.ssh.port, 2022);
    assert.equal(fromFile.cdn.memory, 64_000_000);
    assert.equal(loadConfig(dir, { FERRY_SSH_PORT: '4000' }).ssh.port, 4000);
    assert.ok(Object.isFrozen(fromFile) && Object.isFrozen(fromFile.ssh));
  });

  it('names the setting that is wrong', () => {
    const dir = tempDir();
    assert.throws(() => loadConfig(dir, { FERRY_SSH_PORT: 'x' }), /FERRY_SSH_PORT: expected a port/);
    writeFileSync(join(dir, 'ferry.toml'), '[ssh]\nprot = 1\n');
    assert.throws(() => loadConfig(dir, {}), /unknown setting \[ssh\] prot/);
    writeFileSync(join(dir, 'ferry.toml'), '[ssh\n');
    assert.throws(() => loadConfig(dir, {}), { code: 'FERRY_CONFIG' });
  });
});
