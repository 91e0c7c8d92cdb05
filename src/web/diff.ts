import { decodeBytes, encodeBytes } from '../domain/byte-names.js';

/** A unified diff in git format (`diff --git a/… b/…`), as hg --git and git diff-tree -p print it. */
export interface DiffLine {
  readonly kind: 'add' | 'del' | 'ctx' | 'hunk';
  readonly text: string;
  readonly oldNo?: number;
  readonly newNo?: number;
}

export interface FileDiff {
  readonly oldPath: string;
  readonly newPath: string;
  readonly status: 'added' | 'deleted' | 'modified' | 'renamed' | 'copied';
  readonly binary: boolean;
  /** How many entries `lines` has (hunk headers, added, removed and context lines), known without building them. */
  readonly lineCount: number;
  /**
   * The file's diff lines, built on first use: a page shows a few files' lines, and names and
   * counts every other file from the cheap first pass alone.
   */
  readonly lines: readonly DiffLine[];
  additions: number;
  deletions: number;
}

const C_ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/**
 * A path as git prints it: as is, or C-quoted (`"caf\303\251.txt"`: octal escapes are bytes) when
 * it holds bytes outside printable ASCII (core.quotePath, git-config(1)), `"`, `\\` or control
 * characters. The bytes come back as byte-names.ts keeps them.
 */
export function gitPathName(p: string): string {
  if (!p.startsWith('"') || !p.endsWith('"') || p.length < 2) return p;
  const parts: Buffer[] = [];
  const body = p.slice(1, -1);
  let literal = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    if (ch !== '\\' || i + 1 >= body.length) {
      literal += ch;
      continue;
    }
    parts.push(encodeBytes(literal));
    literal = '';
    const octal = /^[0-3][0-7]{2}/.exec(body.slice(i + 1));
    if (octal) {
      parts.push(Buffer.of(parseInt(octal[0], 8)));
      i += 3;
    } else {
      const next = body[i + 1] as string;
      parts.push(C_ESCAPES[next] !== undefined ? Buffer.of(C_ESCAPES[next] as number) : encodeBytes(next));
      i += 1;
    }
  }
  parts.push(encodeBytes(literal));
  return decodeBytes(Buffer.concat(parts));
}

function unquote(p: string): string {
  return gitPathName(p).replace(/^[ab]\//, '');
}

/**
 * The name of a `--- a/NAME` or `+++ b/NAME` line (after the marker), or `/dev/null`. git and hg
 * (`--git`) end the line with a TAB when the printed name holds a space (GNU diff's convention,
 * so patch(1) can tell the name from a timestamp): git's diff.c `name_a_tab`, hg's mdiff
 * `datetag`. That TAB is dropped; a name that itself ends in a TAB keeps it, since git C-quotes
 * such a name and hg prints the separating TAB after it only when the name holds a space.
 */
function headerName(rest: string): string {
  const name = rest.endsWith('\t') && rest.slice(0, -1).includes(' ') ? rest.slice(0, -1) : rest;
  return name === '/dev/null' ? name : unquote(name);
}

/** `a/OLD b/NEW` of a `diff --git` line, each part quoted or not. */
function gitHeaderPaths(rest: string): [string, string] {
  if (rest.startsWith('"')) {
    const end = /^"(?:[^"\\]|\\.)*"/.exec(rest)?.[0] ?? rest;
    return [unquote(end), unquote(rest.slice(end.length).trimStart())];
  }
  if (rest.endsWith('"')) {
    const start = rest.lastIndexOf(' "');
    return [unquote(rest.slice(0, start)), unquote(rest.slice(start + 1))];
  }
  const m = /^a\/(.+?) b\/(.+)$/.exec(rest);
  return [m?.[1] ?? '', m?.[2] ?? ''];
}

/** Builds the DiffLine entries of one file's hunks (`body` starts at its first `@@` line). */
function hunkLines(body: readonly string[]): DiffLine[] {
  const lines: DiffLine[] = [];
  let oldNo = 0;
  let newNo = 0;
  for (const line of body) {
    const c = line.charCodeAt(0);
    if (c === 64 /* @ */ && line.startsWith('@@')) {
      const m = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
      oldNo = Number(m?.[1] ?? 0);
      newNo = Number(m?.[2] ?? 0);
      lines.push({ kind: 'hunk', text: line });
    } else if (c === 43 /* + */) lines.push({ kind: 'add', text: line.slice(1), newNo: newNo++ });
    else if (c === 45 /* - */) lines.push({ kind: 'del', text: line.slice(1), oldNo: oldNo++ });
    else if (c === 32 /* space */) lines.push({ kind: 'ctx', text: line.slice(1), oldNo: oldNo++, newNo: newNo++ });
  }
  return lines;
}

interface Draft {
  oldPath: string;
  newPath: string;
  status: FileDiff['status'];
  binary: boolean;
  lineCount: number;
  additions: number;
  deletions: number;
  /** Index in the split text of the file's first `@@` line, -1 before it. */
  bodyStart: number;
  bodyEnd: number;
}

/**
 * Parses a git-style unified diff into its files: names, status and counts in one pass over the
 * text; each file's lines are built only when read (`FileDiff.lines`).
 */
export function parseDiff(text: string): FileDiff[] {
  const all = text.split('\n');
  const drafts: Draft[] = [];
  let cur: Draft | undefined;
  for (let i = 0; i < all.length; i++) {
    const line = all[i] as string;
    const c = line.charCodeAt(0);
    if (c === 100 /* d */ && line.startsWith('diff --git ')) {
      if (cur && cur.bodyStart >= 0) cur.bodyEnd = i;
      const [oldPath, newPath] = gitHeaderPaths(line.slice('diff --git '.length));
      cur = { oldPath, newPath, status: 'modified', binary: false, lineCount: 0, additions: 0, deletions: 0, bodyStart: -1, bodyEnd: -1 };
      drafts.push(cur);
      continue;
    }
    if (!cur) continue;
    if (cur.bodyStart < 0 && !line.startsWith('@@')) {
      if (line.startsWith('new file mode')) cur.status = 'added';
      else if (line.startsWith('deleted file mode')) cur.status = 'deleted';
      else if (line.startsWith('rename from ')) { cur.status = 'renamed'; cur.oldPath = gitPathName(line.slice(12)); }
      else if (line.startsWith('rename to ')) cur.newPath = gitPathName(line.slice(10));
      else if (line.startsWith('copy from ')) { cur.status = 'copied'; cur.oldPath = gitPathName(line.slice(10)); }
      else if (line.startsWith('copy to ')) cur.newPath = gitPathName(line.slice(8));
      else if (line.startsWith('Binary files') || line.startsWith('GIT binary patch')) cur.binary = true;
      else if (line.startsWith('--- ') || line.startsWith('+++ ')) {
        const name = headerName(line.slice(4));
        if (name !== '/dev/null') {
          if (line.startsWith('-')) cur.oldPath = name;
          else cur.newPath = name;
        }
      }
      continue;
    }
    if (cur.bodyStart < 0) cur.bodyStart = i;
    if (c === 64 /* @ */ && line.startsWith('@@')) cur.lineCount++;
    else if (c === 43 /* + */) { cur.lineCount++; cur.additions++; }
    else if (c === 45 /* - */) { cur.lineCount++; cur.deletions++; }
    else if (c === 32 /* space */) cur.lineCount++;
  }
  if (cur && cur.bodyStart >= 0) cur.bodyEnd = all.length;
  return drafts.map((d) => {
    let built: DiffLine[] | undefined;
    const { bodyStart, bodyEnd } = d;
    return {
      oldPath: d.oldPath,
      newPath: d.newPath,
      status: d.status,
      binary: d.binary,
      lineCount: d.lineCount,
      additions: d.additions,
      deletions: d.deletions,
      get lines(): readonly DiffLine[] {
        built ??= bodyStart < 0 ? [] : hunkLines(all.slice(bodyStart, bodyEnd));
        return built;
      },
    };
  });
}
