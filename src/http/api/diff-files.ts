/** A file a commit changed, as Gitea's CommitAffectedFiles (with line counts for `stats`). */
export interface ChangedFile {
  readonly filename: string;
  readonly status: 'added' | 'removed' | 'modified' | 'renamed';
  readonly additions: number;
  readonly deletions: number;
}

/**
 * The files of a git-style unified diff (what both adapters' `diff` give: `git diff-tree -p` and
 * `hg diff --git`): one per `diff --git a/X b/Y` header, its status from the extended header lines
 * (`new file mode`, `deleted file mode`, `rename from`; git-diff(1) "generating patches"), and its
 * added and removed lines. Binary files count no lines.
 */
export function changedFiles(diff: Buffer): ChangedFile[] {
  const files: { filename: string; status: ChangedFile['status']; additions: number; deletions: number }[] = [];
  let current: (typeof files)[number] | undefined;
  let inHunk = false;
  for (const line of diff.toString('utf8').split('\n')) {
    const header = /^diff --git a\/(.*) b\/(.*)$/.exec(line);
    if (header) {
      current = { filename: header[2] as string, status: 'modified', additions: 0, deletions: 0 };
      files.push(current);
      inHunk = false;
      continue;
    }
    if (!current) continue;
    if (!inHunk) {
      if (line.startsWith('new file mode')) current.status = 'added';
      else if (line.startsWith('deleted file mode')) current.status = 'removed';
      else if (line.startsWith('rename from ')) current.status = 'renamed';
      else if (line.startsWith('rename to ')) current.filename = line.slice('rename to '.length);
      else if (line.startsWith('@@')) inHunk = true;
      continue;
    }
    if (line.startsWith('+')) current.additions++;
    else if (line.startsWith('-')) current.deletions++;
  }
  return files;
}
