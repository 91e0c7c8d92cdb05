#!/usr/bin/env node
// Runs the compiled tests with node's test runner: `node scripts/run-tests.mjs [unit|e2e] [FILTER]`.
// FERRY_TEST_CONCURRENCY sets how many test files run at once (default 2, for a 2-core machine).
// FERRY_TEST_TRACE=FILE makes the e2e harness log every program a test runs with its wall time;
// `node scripts/test-trace-summary.mjs FILE` then says where a slow test file's time goes.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const [suite, filter] = process.argv.slice(2);
const roots = suite === 'unit' ? ['dist/test/unit'] : suite === 'e2e' ? ['dist/test/e2e'] : ['dist/test/unit', 'dist/test/e2e'];

function walk(dir) {
  let out = [];
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(walk(path));
    else if (name.endsWith('.test.js') && (!filter || path.includes(filter))) out.push(path);
  }
  return out;
}

// Longest files first, so that the last files to finish are short ones and the run's tail is short
// (node --test starts files in the order given). The times come from a whole run
// (scripts/test-times.json, refreshed by copying dist/test-times.json, which every run writes);
// a file with no time yet is new and may be long, so it starts first.
const TIMES = JSON.parse(readFileSync(new URL('./test-times.json', import.meta.url), 'utf8'));
const expected = (path) => TIMES[relative('dist/test', path)] ?? Number.MAX_SAFE_INTEGER;
const files = roots
  .flatMap(walk)
  .sort()
  .sort((a, b) => expected(b) - expected(a));
if (files.length === 0) {
  console.error(`no test files found under ${roots.join(', ')}${filter ? ` matching ${filter}` : ''}`);
  process.exit(1);
}
const concurrency = process.env.FERRY_TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  [
    '--test',
    `--test-concurrency=${concurrency}`,
    // No test may hang the run for ever (node --test has no limit of its own): 30 minutes each.
    '--test-timeout=1800000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${new URL('./test-times-reporter.mjs', import.meta.url).pathname}`,
    '--test-reporter-destination=dist/test-times.json',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
