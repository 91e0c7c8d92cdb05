#!/usr/bin/env node
// Sums a FERRY_TEST_TRACE file (one JSON line per program a test ran): per test file, the programs
// by total wall seconds, with counts. `node scripts/test-trace-summary.mjs TRACE [TOP]`.
import { readFileSync } from 'node:fs';

const [path, top = '12'] = process.argv.slice(2);
if (!path) {
  console.error('usage: node scripts/test-trace-summary.mjs TRACE_FILE [TOP]');
  process.exit(2);
}
const byFile = new Map();
for (const line of readFileSync(path, 'utf8').split('\n')) {
  if (!line) continue;
  const { file, what, ms } = JSON.parse(line);
  const kinds = byFile.get(file) ?? new Map();
  const k = kinds.get(what) ?? { n: 0, ms: 0 };
  k.n += 1;
  k.ms += ms;
  kinds.set(what, k);
  byFile.set(file, kinds);
}
for (const [file, kinds] of byFile) {
  const rows = [...kinds].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((s, [, k]) => s + k.ms, 0);
  const count = rows.reduce((s, [, k]) => s + k.n, 0);
  console.log(`${file}: ${count} programs, ${(total / 1000).toFixed(1)} s of wall time summed (concurrent runs overlap)`);
  for (const [what, k] of rows.slice(0, Number(top))) console.log(`  ${(k.ms / 1000).toFixed(1).padStart(7)} s  ${String(k.n).padStart(4)}×  ${what}`);
}
