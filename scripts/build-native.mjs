#!/usr/bin/env node
// Builds native/cdn_syscalls.c with node-gyp (`npm ci` runs this, and `npm run build:native`).
// A failed build does not fail the install: Ferry runs without the addon, its CDN workers copying
// answers instead (they log why), and the unit tests, which expect it, say what is missing.
import { spawnSync } from 'node:child_process';

// npm names its own node-gyp for lifecycle scripts; outside npm, node-gyp from PATH.
const nodeGyp = process.env.npm_config_node_gyp;
const [command, args] = nodeGyp ? [process.execPath, [nodeGyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const result = spawnSync(command, args, { stdio: 'inherit' });
if (result.status !== 0) {
  const why = result.error ? result.error.message : `node-gyp exited with ${result.status ?? result.signal}`;
  console.warn(`ferry: the CDN workers' native addon did not build (${why}); it needs a C compiler, make, python3 and Node's headers. Ferry runs without it (answers are copied); run npm run build:native once they are there.`);
}
