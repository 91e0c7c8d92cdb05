/** Links followed while resolving one path before giving up, as Linux's MAXSYMLINKS (ELOOP). */
const MAX_LINKS_FOLLOWED = 40;

/**
 * Where the symlink at `path` leads once written out under some root and followed by the kernel:
 * its target is resolved component by component, following every other link of the tree on the
 * way (a `..` after a link goes up from where the link led, not lexically). Returns the path it
 * reaches relative to the root (`''` for the root itself), or `undefined` when the resolution
 * leaves the root at any step (an absolute target, a `..` above the root, directly or through
 * another link), loops, or `path` is no symlink. A lexical check is not enough: with
 * `a/b/c/up -> ../../..`, `chain -> a/b/c/up/../../../etc/passwd` looks like `a/etc/passwd` but
 * reaches three levels above the root (the GitLab Pages symlink escape).
 * `links` maps every symlink of the tree (path from the root) to its target as committed.
 */
export function resolveTreeLink(links: ReadonlyMap<string, string>, path: string): string | undefined {
  const linkTarget = links.get(path);
  if (linkTarget === undefined) return undefined;
  let followed = 0;
  const walk = (from: readonly string[], target: string): string[] | undefined => {
    if (target === '' || target.startsWith('/')) return undefined;
    const at = [...from];
    for (const part of target.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (at.length === 0) return undefined;
        at.pop();
        continue;
      }
      at.push(part);
      const next = links.get(at.join('/'));
      if (next === undefined) continue;
      if (++followed > MAX_LINKS_FOLLOWED) return undefined;
      at.pop();
      const reached = walk(at, next);
      if (reached === undefined) return undefined;
      at.splice(0, at.length, ...reached);
    }
    return at;
  };
  return walk(path.split('/').slice(0, -1), linkTarget)?.join('/');
}
