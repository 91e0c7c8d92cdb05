import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { UsageError } from '../domain/errors.js';

/**
 * Reads a secret without it ever being on the command line: a prompt with echo off on a
 * terminal, otherwise the first line of standard input.
 */
export async function readSecret(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const line = readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? '';
    if (line === '') throw new UsageError('expected the secret on the first line of standard input');
    return line;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const muted = rl as unknown as { _writeToOutput: (s: string) => void };
  process.stderr.write(prompt);
  muted._writeToOutput = () => {};
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
