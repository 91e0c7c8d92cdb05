import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { httpUrlBase } from '../../src/config/public-host.js';
import { publicBaseUrl } from '../../src/http/public-url.js';
import { tempDir } from '../e2e/harness.js';

const TLS = { FERRY_HTTP_TLS_CERT: '/etc/ferry/cert.pem', FERRY_HTTP_TLS_KEY: '/etc/ferry/key.pem' };
const request = (host: string | undefined) => ({ headers: host === undefined ? {} : { host }, socket: {} });

describe('public URLs with [http] tls_cert and tls_key', () => {
  it('say https:// when TLS is on, leaving out 443 as http:// leaves out 80', () => {
    const dir = tempDir();
    const tls = loadConfig(dir, TLS);
    assert.equal(httpUrlBase(tls, 8443), 'https://localhost:8443');
    assert.equal(httpUrlBase(tls, 443), 'https://localhost');
    assert.equal(publicBaseUrl(tls, request('code.example.org:8443')), 'https://code.example.org:8443');
    assert.equal(publicBaseUrl(tls, request(undefined)), 'https://localhost:8080');
    const plain = loadConfig(dir, {});
    assert.equal(httpUrlBase(plain, 80), 'http://localhost');
    assert.equal(httpUrlBase(plain, 443), 'http://localhost:443');
    assert.equal(publicBaseUrl(plain, request('h:1')), 'http://h:1');
    // base_url wins over both.
    assert.equal(publicBaseUrl(loadConfig(dir, { ...TLS, FERRY_HTTP_BASE_URL: 'https://git.example.org/' }), request('h:1')), 'https://git.example.org');
  });

  it('refuses one of the pair without the other', () => {
    const dir = tempDir();
    assert.throws(() => loadConfig(dir, { FERRY_HTTP_TLS_CERT: '/c.pem' }), /tls_cert and tls_key go together.*only tls_cert is set/);
    assert.throws(() => loadConfig(dir, { FERRY_HTTP_TLS_KEY: '/k.pem' }), { code: 'FERRY_CONFIG', message: /only tls_key is set/ });
  });
});
