import { COMMAND_HELP, GLOBAL_OPTIONS, type CommandHelp } from './help.js';

/**
 * docs/cli.md, made from the CLI's help registry (src/cli/help.ts), with the program named as the
 * README runs it from the checkout (`bin/ferry.js`). `npm run docs` writes it; a unit test checks
 * the file is what this returns.
 */
export function cliReference(program = 'bin/ferry.js'): string {
  const out = [
    '# Command line',
    '',
    '<!-- Generated from src/cli/help.ts by `npm run docs`; edit the registry, not this file. -->',
    '',
    `Run from the Ferry checkout as \`${program}\` (after \`bash scripts/start\` has built it once), or as`,
    '`ferry` after putting a link to it on your PATH (`ln -s "$PWD/bin/ferry.js" ~/.local/bin/ferry`).',
    'Every hint Ferry prints names the program the way it runs for you.',
    '',
    'Options every command takes, anywhere on the line:',
    '',
    ...GLOBAL_OPTIONS.map(([option, meaning]) => `- \`${option}\`: ${meaning}`),
    '',
    'Errors are one line on standard error; the exit code is 1 for bad input, 2 for a usage error.',
    '',
  ];
  for (const [name, help] of Object.entries(COMMAND_HELP) as [string, CommandHelp][]) {
    out.push(`## ${name}`, '', `${help.summary[0]?.toUpperCase()}${help.summary.slice(1)}.`, '', '```', ...help.usage.map((u) => `${program} ${u}`), '```', '');
    if (help.notes) out.push(help.notes, '');
  }
  return out.join('\n');
}
