import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { cloneBundleBase } from '../../src/ssh/clone-bundle-base.js';
import { tempDir } from '../e2e/harness.js';

const config = (env: NodeJS.ProcessEnv) => loadConfig(tempDir('ferry-cbb-'), env);

describe('cloneBundleBase: where hg clone bundle links over SSH point', () => {
  it('uses [http] base_url, then [ssh] public_host, then the public host of a specific listener', () => {
    assert.equal(cloneBundleBase(config({ FERRY_HTTP_BASE_URL: 'https://code.example.org/' }), 8080), 'https://code.example.org');
    assert.equal(cloneBundleBase(config({ FERRY_SSH_PUBLIC_HOST: 'code.example.org', FERRY_HTTP_LISTEN: '0.0.0.0' }), 8080), 'http://code.example.org:8080');
    assert.equal(cloneBundleBase(config({}), 8080), 'http://localhost:8080');
    assert.equal(cloneBundleBase(config({ FERRY_HTTP_LISTEN: '192.0.2.7' }), 80, { local: '10.0.0.1', remote: '198.51.100.1' }), 'http://localhost');
  });

  it('on a wildcard listener: the address the client reached, if public or in the client network; else none', () => {
    const wild = config({ FERRY_HTTP_LISTEN: '0.0.0.0', FERRY_SSH_LISTEN: '0.0.0.0' });
    assert.equal(cloneBundleBase(wild, 8080, { local: '203.0.113.5', remote: '198.51.100.1' }), 'http://203.0.113.5:8080');
    assert.equal(cloneBundleBase(wild, 8080, { local: '::ffff:127.0.0.1', remote: '::ffff:127.0.0.1' }), 'http://127.0.0.1:8080');
    assert.equal(cloneBundleBase(wild, 8080, { local: '192.168.1.10', remote: '192.168.7.20' }), 'http://192.168.1.10:8080');
    assert.equal(cloneBundleBase(wild, 8080, { local: '2001:db8::1', remote: '2001:db9::2' }), 'http://[2001:db8::1]:8080');
    assert.equal(cloneBundleBase(wild, 8080, { local: 'fd00:1:2:3::5', remote: 'fd00:1:2:3::9' }), 'http://[fd00:1:2:3::5]:8080');
    // NAT (a cloud VM's private address) or a container's port mapping: that address does not reach us.
    assert.equal(cloneBundleBase(wild, 8080, { local: '10.0.3.4', remote: '198.51.100.1' }), undefined);
    assert.equal(cloneBundleBase(wild, 8080, { local: '10.88.0.2', remote: '192.168.1.5' }), undefined);
    assert.equal(cloneBundleBase(wild, 8080, { local: 'fd00:1:2:3::5', remote: 'fd00:9:2:3::9' }), undefined);
    assert.equal(cloneBundleBase(wild, 8080), undefined);
  });
});
