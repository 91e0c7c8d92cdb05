import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import dockerfile from 'highlight.js/lib/languages/dockerfile';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import kotlin from 'highlight.js/lib/languages/kotlin';
import lua from 'highlight.js/lib/languages/lua';
import makefile from 'highlight.js/lib/languages/makefile';
import markdown from 'highlight.js/lib/languages/markdown';
import perl from 'highlight.js/lib/languages/perl';
import php from 'highlight.js/lib/languages/php';
import python from 'highlight.js/lib/languages/python';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import scss from 'highlight.js/lib/languages/scss';
import sql from 'highlight.js/lib/languages/sql';
import swift from 'highlight.js/lib/languages/swift';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { escapeHtml, trustedHtml, type SafeHtml } from './html.js';

const BY_EXTENSION: Record<string, string> = {
  ts: 'typescript', tsx: 'typescript', js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript',
  py: 'python', rs: 'rust', go: 'go', c: 'c', h: 'c', cc: 'cpp', cpp: 'cpp', hpp: 'cpp', java: 'java', kt: 'kotlin',
  rb: 'ruby', sh: 'bash', bash: 'bash', zsh: 'bash', json: 'json', yml: 'yaml', yaml: 'yaml', toml: 'ini', ini: 'ini',
  md: 'markdown', html: 'xml', htm: 'xml', xml: 'xml', svg: 'xml', css: 'css', scss: 'scss', sql: 'sql', php: 'php',
  swift: 'swift', cs: 'csharp', lua: 'lua', pl: 'perl', diff: 'diff', patch: 'diff', dockerfile: 'dockerfile', makefile: 'makefile',
};

// Only the languages named above are loaded: all of highlight.js's 190 cost every `ferry serve`
// start a third of a second.
for (const [name, language] of Object.entries({ bash, c, cpp, csharp, css, diff, dockerfile, go, ini, java, javascript, json, kotlin, lua, makefile, markdown, perl, php, python, ruby, rust, scss, sql, swift, typescript, xml, yaml })) hljs.registerLanguage(name, language);

const MAX_HIGHLIGHT = 512 * 1024;

/**
 * Highlighted lines of a text file. highlight.js escapes the source itself; spans that cross a
 * line break are closed at the end of the line and reopened on the next, so every line is whole.
 */
export function highlightLines(path: string, text: string): SafeHtml[] {
  const base = path.split('/').pop()?.toLowerCase() ?? '';
  const ext = base.includes('.') ? base.split('.').pop() ?? '' : base;
  const language = BY_EXTENSION[ext];
  const source = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (!language || text.length > MAX_HIGHLIGHT || !hljs.getLanguage(language)) {
    return source.split('\n').map((l) => trustedHtml(escapeHtml(l)));
  }
  const highlighted = hljs.highlight(source, { language, ignoreIllegals: true }).value;
  const lines: SafeHtml[] = [];
  const open: string[] = [];
  for (const line of highlighted.split('\n')) {
    let out = open.join('');
    for (const m of line.matchAll(/<span[^>]*>|<\/span>|[^<]+|</g)) {
      const tok = m[0];
      if (tok.startsWith('<span')) open.push(tok);
      else if (tok === '</span>') open.pop();
      out += tok;
    }
    lines.push(trustedHtml(out + '</span>'.repeat(open.length)));
  }
  return lines;
}
