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
  readonly lines: DiffLine[];
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

export function parseDiff(text: string): FileDiff[] {
  const files: FileDiff[] = [];
  let cur: FileDiff | undefined;
  let oldNo = 0;
  let newNo = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) {
      const [oldPath, newPath] = gitHeaderPaths(line.slice('diff --git '.length));
      cur = { oldPath, newPath, status: 'modified', binary: false, lines: [], additions: 0, deletions: 0 };
      files.push(cur);
      continue;
    }
    if (!cur) continue;
    const header = cur as { -readonly [K in keyof FileDiff]: FileDiff[K] };
    if (cur.lines.length === 0 && !line.startsWith('@@')) {
      if (line.startsWith('new file mode')) header.status = 'added';
      else if (line.startsWith('deleted file mode')) header.status = 'deleted';
      else if (line.startsWith('rename from ')) { header.status = 'renamed'; header.oldPath = gitPathName(line.slice(12)); }
      else if (line.startsWith('rename to ')) header.newPath = gitPathName(line.slice(10));
      else if (line.startsWith('copy from ')) { header.status = 'copied'; header.oldPath = gitPathName(line.slice(10)); }
      else if (line.startsWith('copy to ')) header.newPath = gitPathName(line.slice(8));
      else if (line.startsWith('Binary files') || line.startsWith('GIT binary patch')) header.binary = true;
      else if (line.startsWith('--- ') && line !== '--- /dev/null') header.oldPath = unquote(line.slice(4));
      else if (line.startsWith('+++ ') && line !== '+++ /dev/null') header.newPath = unquote(line.slice(4));
      continue;
    }
    if (line.startsWith('@@')) {
      const m = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
      oldNo = Number(m?.[1] ?? 0);
      newNo = Number(m?.[2] ?? 0);
      cur.lines.push({ kind: 'hunk', text: line });
    } else if (line.startsWith('+')) {
      cur.lines.push({ kind: 'add', text: line.slice(1), newNo: newNo++ });
      cur.additions++;
    } else if (line.startsWith('-')) {
      cur.lines.push({ kind: 'del', text: line.slice(1), oldNo: oldNo++ });
      cur.deletions++;
    } else if (line.startsWith(' ')) {
      cur.lines.push({ kind: 'ctx', text: line.slice(1), oldNo: oldNo++, newNo: newNo++ });
    }
  }
  return files;
}
