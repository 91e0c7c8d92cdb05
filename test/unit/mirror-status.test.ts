import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { RepoPath } from '../../src/domain/repo-path.js';
import { formatDuration, parseDuration } from '../../src/domain/duration.js';
import { mirrorStatus } from '../../src/mirrors/status.js';
import { isExpired } from '../../src/services/tokens.js';
import type { Mirror } from '../../src/store/types.js';

function mirror(url: string, lastError: string | null): Mirror {
  return {
    repo: { id: 1, path: 'm/lib' as RepoPath, kind: 'git', isPublic: false, createdAt: '2026-01-01T00:00:00Z' },
    url,
    intervalMs: 3_600_000,
    allowForce: false,
    sealedCredentials: 'sealed',
    sealedWebhookSecret: 'sealed',
    lastAttemptAt: '2026-01-01T00:00:00Z',
    lastSuccessAt: null,
    lastError,
    failures: 1,
    nextRunAt: Date.parse('2026-01-01T02:00:00Z'),
    createdAt: '2026-01-01T00:00:00Z',
  };
}

describe('mirror status and token expiry (what the settings pages and ferry mirror list show)', () => {
  it('shows the source without its user, and blanks user info out of the last error', () => {
    const s = mirrorStatus(mirror('https://bot@example.org/team/lib.git', 'fatal: could not read from https://bot@example.org/team/lib.git and https://x:y@other.example/z'));
    assert.equal(s.source, 'https://example.org/team/lib.git');
    assert.equal(s.lastError, 'fatal: could not read from https://example.org/team/lib.git and https://other.example/z');
    assert.equal(s.nextRunAt, '2026-01-01T02:00:00.000Z');
    assert.equal(mirrorStatus(mirror('ssh://git@example.org/lib.git', null)).source, 'ssh://example.org/lib.git');
  });

  it('formats an interval as parseDuration reads it back', () => {
    for (const text of ['1s', '90m', '2h', '1d', '1500ms']) assert.equal(formatDuration(parseDuration(text)), text === '90m' ? '90m' : text);
  });

  it('a token without an expiry never expires; one with an expiry from that moment on', () => {
    assert.equal(isExpired({ expiresAt: null }), false);
    assert.equal(isExpired({ expiresAt: '2026-01-01T00:00:00.000Z' }, Date.parse('2025-12-31T23:59:59Z')), false);
    assert.equal(isExpired({ expiresAt: '2026-01-01T00:00:00.000Z' }, Date.parse('2026-01-01T00:00:00Z')), true);
  });
});
