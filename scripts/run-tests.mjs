#!/usr/bin/env node
// Runs the compiled tests with node's test runner: `node scripts/run-tests.mjs [unit|e2e] [FILTER]`.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
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

const files = roots.flatMap(walk).sort();
if (files.length === 0) {
  console.error(`no test files found under ${roots.join(', ')}${filter ? ` matching ${filter}` : ''}`);
  process.exit(1);
}
const concurrency = process.env.FERRY_TEST_CONCURRENCY ?? '2';
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
