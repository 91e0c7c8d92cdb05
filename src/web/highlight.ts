import hljs from 'highlight.js';
import { escapeHtml, trustedHtml, type SafeHtml } from './html.js';

const BY_EXTENSION: Record<string, string> = {
  ts: 'typescript', tsx: 'typescript', js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript',
  py: 'python', rs: 'rust', go: 'go', c: 'c', h: 'c', cc: 'cpp', cpp: 'cpp', hpp: 'cpp', java: 'java', kt: 'kotlin',
  rb: 'ruby', sh: 'bash', bash: 'bash', zsh: 'bash', json: 'json', yml: 'yaml', yaml: 'yaml', toml: 'ini', ini: 'ini',
  md: 'markdown', html: 'xml', htm: 'xml', xml: 'xml', svg: 'xml', css: 'css', scss: 'scss', sql: 'sql', php: 'php',
  swift: 'swift', cs: 'csharp', lua: 'lua', pl: 'perl', diff: 'diff', patch: 'diff', dockerfile: 'dockerfile', makefile: 'makefile',
};

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
