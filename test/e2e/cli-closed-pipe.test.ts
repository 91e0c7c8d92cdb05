import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { FERRY_BIN, ferryCli, run, tempDir } from './harness.js';

describe('a CLI command whose standard output is a closed pipe', () => {
  it('exits quietly, as git does (status 141, no EPIPE stack trace), for `ferry repo list | head -1` and `ferry help | true`', async () => {
    const data = tempDir();
    for (const name of ['a', 'b', 'c']) assert.equal((await ferryCli(data, ['repo', 'create', `team/${name}`, '--git'])).code, 0);
    // `true` and `head -0` close the pipe before ferry writes; `head -1` after its first line.
    // PIPESTATUS[0] is ferry's own status.
    for (const reader of ['true', 'head -0', 'head -1']) {
      for (const command of ['repo list', 'help']) {
        const line = `"${process.execPath}" "${FERRY_BIN}" --data "${data}" ${command} | ${reader}; echo "ferry=\${PIPESTATUS[0]}" >&2`;
        const r = await run('bash', ['-c', line]);
        assert.doesNotMatch(r.stderr, /EPIPE|Error|at /, `${command} | ${reader}: ${r.stderr}`);
        assert.match(r.stderr, /ferry=(0|141)\n$/, `${command} | ${reader}: ${r.stderr}`);
      }
    }
  });
});
