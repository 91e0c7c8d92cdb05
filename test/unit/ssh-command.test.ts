import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseSshCommand, splitWords } from '../../src/ssh/command.js';

describe('SSH command parsing', () => {
  const accepted: [string, unknown][] = [
    ['hg -R team/web/app serve --stdio', { kind: 'hg-serve', path: 'team/web/app' }],
    ["hg -R '/team/app' serve --stdio", { kind: 'hg-serve', path: 'team/app' }],
    ['hg -R /x serve --stdio', { kind: 'hg-serve', path: 'x' }],
    ["hg init 'alice/new'", { kind: 'hg-init', path: 'alice/new' }],
    ['hg init alice/new', { kind: 'hg-init', path: 'alice/new' }],
    ["git-upload-pack '/team/lib.git'", { kind: 'git', service: 'git-upload-pack', path: 'team/lib' }],
    ["git-receive-pack 'team/lib'", { kind: 'git', service: 'git-receive-pack', path: 'team/lib' }],
    ["git-upload-archive 'team/lib'", { kind: 'git', service: 'git-upload-archive', path: 'team/lib' }],
    ["git upload-pack 'team/lib.git'", { kind: 'git', service: 'git-upload-pack', path: 'team/lib' }],
    ["git receive-pack '/a/b/c'", { kind: 'git', service: 'git-receive-pack', path: 'a/b/c' }],
  ];
  for (const [line, expected] of accepted) {
    it(`accepts ${line}`, () => assert.deepEqual(parseSshCommand(line), expected));
  }

  const refused = [
    '',
    'hg',
    'hg -R --debugger serve --stdio',
    'hg -R x --config hooks.pre-serve=touch serve --stdio',
    'hg -R x serve --stdio --debugger',
    'hg --config=x -R x serve --stdio',
    'hg -R ../../etc serve --stdio',
    'hg -R /etc/../x serve --stdio',
    'hg -R //etc/passwd serve --stdio',
    'hg -R ~root/x serve --stdio',
    "hg -R '~root/x' serve --stdio",
    'hg -R x\0y serve --stdio',
    'hg -R x serve --stdio\nrm -rf /',
    "hg -R 'x\ny' serve --stdio",
    `hg -R ${'a'.repeat(1024 * 1024)} serve --stdio`,
    "hg -R 'x' 'serve' '--stdio' ''",
    'hg -R "x" serve --stdio',
    'hg -R x\\ y serve --stdio',
    'hg -R $(id) serve --stdio',
    'hg -R `id` serve --stdio',
    'hg -R x;id serve --stdio',
    'hg -R x serve --stdio | id',
    "hg -R 'x serve --stdio",
    'hg init ../x',
    'hg init x y',
    'hg serve --stdio',
    'hg -R x serve',
    'chg -R x serve --stdio',
    "git-upload-pack '--help'",
    'git-upload-pack --help',
    "git-upload-pack '/etc/../x'",
    "git-upload-pack 'a' 'b'",
    "git upload-pack '-c' 'x'",
    "git -c core.sshCommand=id upload-pack 'x'",
    "git-shell -c 'x'",
    "scp -t '/x'",
    'ls',
    'sh -c id',
  ];
  for (const line of refused) {
    it(`refuses ${JSON.stringify(line.slice(0, 60))}`, () => {
      assert.throws(() => parseSshCommand(line), { code: 'FERRY_COMMAND_REFUSED' });
    });
  }

  it('splits words like a shell for the subset clients send', () => {
    assert.deepEqual(splitWords("hg  -R 'a/b'c  serve"), ['hg', '-R', 'a/bc', 'serve']);
    assert.deepEqual(splitWords("''"), ['']);
  });
});
