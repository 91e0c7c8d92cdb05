import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isSiteOrigin, siteOrigins } from '../../src/http/site-origin.js';

const req = (host: string) => ({ headers: { host }, socket: {} });
const settings = (http: { base_url?: string; tls_cert?: string; tls_key?: string }) => ({ http: { port: 8080, listen: '127.0.0.1', trusted_proxies: '', base_url: '', tls_cert: '', tls_key: '', ...http } });
const plain = settings({});
const tls = settings({ tls_cert: '/c.pem', tls_key: '/k.pem' });
const proxied = settings({ base_url: 'https://git.example.test' });

describe('site-origin: this site is a scheme, a host and a port (RFC 6454 §4)', () => {
  it('a plain-http listener is http://HOST only', () => {
    assert.deepEqual(siteOrigins(plain, req('127.0.0.1:8080')), ['http://127.0.0.1:8080']);
    assert.equal(isSiteOrigin('http://127.0.0.1:8080', plain, req('127.0.0.1:8080')), true);
    assert.equal(isSiteOrigin('https://127.0.0.1:8080', plain, req('127.0.0.1:8080')), false);
    assert.equal(isSiteOrigin('http://127.0.0.1:8081', plain, req('127.0.0.1:8080')), false);
    assert.equal(isSiteOrigin('null', plain, req('127.0.0.1:8080')), false);
    assert.equal(isSiteOrigin('ftp://127.0.0.1:8080', plain, req('127.0.0.1:8080')), false);
    assert.equal(isSiteOrigin('HTTP://Host.Example:80/page?x', plain, req('host.example')), true, 'default port and case are normalized');
  });

  it('a TLS listener is https://HOST only', () => {
    assert.equal(isSiteOrigin('https://h:8443', tls, req('h:8443')), true);
    assert.equal(isSiteOrigin('http://h:8443', tls, req('h:8443')), false);
  });

  it('behind a TLS proxy, base_url decides the scheme at its own host', () => {
    assert.deepEqual(siteOrigins(proxied, req('git.example.test')), ['https://git.example.test']);
    assert.equal(isSiteOrigin('http://git.example.test', proxied, req('git.example.test')), false);
    // Straight to the listener under another name: that name, with the port's own scheme.
    assert.equal(isSiteOrigin('http://127.0.0.1:8080', proxied, req('127.0.0.1:8080')), true);
    assert.equal(isSiteOrigin('https://127.0.0.1:8080', proxied, req('127.0.0.1:8080')), false);
  });
});
