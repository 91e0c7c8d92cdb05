import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseImportUrl } from '../../src/mirrors/url-safety.js';

const REFUSED: readonly [string, RegExp][] = [
  ['ext::sh -c touch% /tmp/pwned', /spaces or control/],
  ['ext::sh', /transport::address/],
  ['fd::17', /transport::address/],
  ['fd::7,8/foo', /transport::address/],
  ['file::/etc', /transport::address/],
  ['https::example.com/repo', /transport::address/],
  ['ssh://-oProxyCommand=touch${IFS}x/path', /host starts with "-"/],
  ['ssh://%2DoProxyCommand=x/path', /host starts with "-"|not a valid URL/],
  ['ssh://-oProxyCommand=x@host/path', /user name starts with "-"/],
  ['ssh://host/-oProxyCommand=x', /path starts with "-"/],
  ['ssh://host/--config=hooks.x=y', /path starts with "-"/],
  ['ssh://host/%2D%2Ddebugger', /path starts with "-"/],
  ['ssh://host/~/-R', /path starts with "-"/],
  ['ssh://host:-oProxyCommand/x', /not a valid URL/],
  ['ssh://user:secret@host/repo', /contains a password.*--identity/],
  ['https://user:secret@host/repo', /contains a password.*FERRY_IMPORT_PASSWORD/],
  ['git://example.com/repo', /git:\/\/ is not supported/],
  ['svn+ssh://example.com/repo', /svn\+ssh:\/\/ is not supported/],
  ['ftp://example.com/repo', /not supported/],
  ['-uhttps://x', /starts with "-"/],
  ['--upload-pack=touch', /starts with "-"/],
  ['host:path/repo', /scp-like/],
  ['git@github.com:org/repo.git', /scp-like/],
  ['https://host/a\nb', /control/],
  ['https://host/a%0Ab', /control/],
  ['ssh:///nohost', /no host/],
  ['', /empty/],
  ['/srv/repo', /only an admin/],
  ['file:///srv/repo', /only an admin/],
];

const ACCEPTED: readonly [string, string][] = [
  ['ssh://hg@example.com:2222/team/app', 'ssh'],
  ['ssh://example.com/~/repo', 'ssh'],
  ['ssh://example.com//abs/path', 'ssh'],
  ['https://user@example.com/org/repo.git', 'https'],
  ['http://127.0.0.1:8000/', 'http'],
  ['https://[::1]:8443/repo', 'https'],
];

describe('import URL safety', () => {
  for (const [url, why] of REFUSED) {
    it(`refuses ${JSON.stringify(url)}`, () => {
      assert.throws(() => parseImportUrl(url, { allowLocal: false }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'FERRY_UNSAFE_URL', err.message);
        assert.match(err.message, why);
        return true;
      });
    });
  }
  for (const [url, scheme] of ACCEPTED) {
    it(`accepts ${url}`, () => {
      const source = parseImportUrl(url, { allowLocal: false });
      assert.equal(source.scheme, scheme);
      assert.equal(source.location, url);
      assert.ok(!source.display.includes('@'), source.display);
    });
  }
  it('accepts local paths and file:// only when allowed, as absolute directories', () => {
    const dir = tmpdir();
    assert.equal(parseImportUrl(dir, { allowLocal: true }).location, dir);
    assert.equal(parseImportUrl(pathToFileURL(dir).href, { allowLocal: true }).location, dir);
    assert.throws(() => parseImportUrl('file://otherhost/x', { allowLocal: true }), { code: 'FERRY_UNSAFE_URL' });
    assert.throws(() => parseImportUrl('/nonexistent/-x', { allowLocal: true }), { code: 'FERRY_UNSAFE_URL' });
    assert.throws(() => parseImportUrl('/nonexistent/x', { allowLocal: true }), { code: 'FERRY_IMPORT_FAILED' });
  });
});
