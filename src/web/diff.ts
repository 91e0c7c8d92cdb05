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

function unquote(p: string): string {
  return p.replace(/^"|"$/g, '').replace(/^[ab]\//, '');
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
      const m = /^diff --git (?:"?a\/(.+?)"?) (?:"?b\/(.+?)"?)$/.exec(line);
      cur = { oldPath: m?.[1] ?? '', newPath: m?.[2] ?? '', status: 'modified', binary: false, lineCount: 0, additions: 0, deletions: 0, bodyStart: -1, bodyEnd: -1 };
      drafts.push(cur);
      continue;
    }
    if (!cur) continue;
    if (cur.bodyStart < 0 && !line.startsWith('@@')) {
      if (line.startsWith('new file mode')) cur.status = 'added';
      else if (line.startsWith('deleted file mode')) cur.status = 'deleted';
      else if (line.startsWith('rename from ')) { cur.status = 'renamed'; cur.oldPath = line.slice(12); }
      else if (line.startsWith('rename to ')) cur.newPath = line.slice(10);
      else if (line.startsWith('copy from ')) { cur.status = 'copied'; cur.oldPath = line.slice(10); }
      else if (line.startsWith('copy to ')) cur.newPath = line.slice(8);
      else if (line.startsWith('Binary files') || line.startsWith('GIT binary patch')) cur.binary = true;
      else if (line.startsWith('--- ') && line !== '--- /dev/null') cur.oldPath = unquote(line.slice(4));
      else if (line.startsWith('+++ ') && line !== '+++ /dev/null') cur.newPath = unquote(line.slice(4));
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
