// A node:test reporter that writes, once every file has run, each test file's time in seconds
// (the sum of its top-level tests and suites) as JSON keyed like scripts/test-times.json.
import { relative } from 'node:path';

const ROOT = new URL('../dist/test/', import.meta.url).pathname;

export default async function* testTimes(source) {
  const seconds = {};
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
      const key = relative(ROOT, event.data.file);
      seconds[key] = (seconds[key] ?? 0) + (event.data.details?.duration_ms ?? 0) / 1000;
    }
  }
  const rounded = Object.entries(seconds)
    .map(([file, s]) => [file, Math.round(s)])
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  yield `${JSON.stringify(Object.fromEntries(rounded), null, 1)}\n`;
}
