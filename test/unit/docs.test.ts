import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMMAND_HELP } from '../../src/cli/help.js';
import { cliReference } from '../../src/cli/reference.js';
import { configurationReference, envName } from '../../src/config/reference.js';
import { SETTINGS } from '../../src/config/schema.js';
import { ERROR_CODES } from '../../src/domain/errors.js';
import { ROOT } from '../e2e/harness.js';

const read = (...parts: string[]) => readFileSync(join(ROOT, ...parts), 'utf8');
const userDocs = (): [string, string][] => [
  ['README.md', read('README.md')],
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f): [string, string] => [`docs/${f}`, read('docs', f)]),
];

/**
 * Environment variables Ferry reads that are not settings of the registry
 * (FERRY_BOOTSTRAP_ADMIN_KEYS_FILE: read by the container image's entrypoint, deploy/docker/entrypoint.sh).
 */
const OTHER_ENV = new Set(['FERRY_DATA', 'FERRY_IMPORT_USER', 'FERRY_IMPORT_PASSWORD', 'FERRY_SECTION_KEY', 'FERRY_TEST_CONCURRENCY', 'FERRY_BOOTSTRAP_ADMIN_KEYS_FILE', 'FERRY_TEST_CONTAINER']);

describe('the docs users have (issue 12.20)', () => {
  it('docs/configuration.md is generated from the settings registry (npm run docs)', () => {
    assert.equal(read('docs', 'configuration.md'), configurationReference());
  });

  it('docs/cli.md is generated from the help registry (npm run docs)', () => {
    assert.equal(read('docs', 'cli.md'), cliReference());
  });

  it('never points at files users do not have', () => {
    for (const [name, text] of userDocs()) assert.doesNotMatch(text, /\.\.\/shared|DESIGN\.md|STYLE\.md/, name);
  });

  it('the README starts with the two commands, and what it says of them is what the settings say', () => {
    const readme = read('README.md');
    const first = /^# Ferry\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = first.split('\n').filter(Boolean).map((l) => l.split('#')[0]?.trim());
    assert.deepEqual(commands, ['bash scripts/start', 'bash scripts/test']);
    assert.ok(first.includes(`SSH on ${SETTINGS.ssh.listen.default}:${SETTINGS.ssh.port.default}`), first);
    assert.ok(first.includes(`HTTP on ${SETTINGS.http.listen.default}:${SETTINGS.http.port.default}`), first);
  });

  it('names only commands, settings and variables that exist', () => {
    for (const [name, text] of userDocs()) {
      for (const m of text.matchAll(/bin\/ferry\.js ([a-z-]+)/g)) assert.ok(Object.hasOwn(COMMAND_HELP, m[1] as string), `${name}: bin/ferry.js ${m[1]}`);
      for (const m of text.matchAll(/\bFERRY_[A-Z_]+[A-Z]\b/g)) {
        const known = OTHER_ENV.has(m[0]) || Object.hasOwn(ERROR_CODES, m[0]) || Object.entries(SETTINGS).some(([s, keys]) => Object.keys(keys).some((k) => envName(s, k) === m[0]));
        assert.ok(known, `${name}: ${m[0]}`);
      }
      for (const m of text.matchAll(/`\[([a-z]+)\] ([a-z_]+)/g)) {
        if (m[1] === 'section') continue;
        const section = (SETTINGS as Record<string, Record<string, unknown>>)[m[1] as string];
        assert.ok(section && Object.hasOwn(section, m[2] as string), `${name}: [${m[1]}] ${m[2]}`);
      }
    }
  });

  it('CDN examples use a branch the repo has: hg repos have default, not main', () => {
    const readme = read('README.md');
    const hgRepos = [...readme.matchAll(/repo create (\S+)(.*)$/gm)].filter((m) => !m[2]?.includes('--git')).map((m) => m[1] as string);
    assert.ok(hgRepos.length > 0);
    for (const [name, text] of userDocs()) {
      for (const repo of hgRepos) assert.ok(!text.includes(`/cdn/${repo}@main`), `${name}: /cdn/${repo}@main`);
    }
  });
});
