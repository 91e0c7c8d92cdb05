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

function unquote(p: string): string {
  return p.replace(/^"|"$/g, '').replace(/^[ab]\//, '');
}

export function parseDiff(text: string): FileDiff[] {
  const files: FileDiff[] = [];
  let cur: FileDiff | undefined;
  let oldNo = 0;
  let newNo = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) {
      const m = /^diff --git (?:"?a\/(.+?)"?) (?:"?b\/(.+?)"?)$/.exec(line);
      cur = { oldPath: m?.[1] ?? '', newPath: m?.[2] ?? '', status: 'modified', binary: false, lines: [], additions: 0, deletions: 0 };
      files.push(cur);
      continue;
    }
    if (!cur) continue;
    const header = cur as { -readonly [K in keyof FileDiff]: FileDiff[K] };
    if (cur.lines.length === 0 && !line.startsWith('@@')) {
      if (line.startsWith('new file mode')) header.status = 'added';
      else if (line.startsWith('deleted file mode')) header.status = 'deleted';
      else if (line.startsWith('rename from ')) { header.status = 'renamed'; header.oldPath = line.slice(12); }
      else if (line.startsWith('rename to ')) header.newPath = line.slice(10);
      else if (line.startsWith('copy from ')) { header.status = 'copied'; header.oldPath = line.slice(10); }
      else if (line.startsWith('copy to ')) header.newPath = line.slice(8);
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
