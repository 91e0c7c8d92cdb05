/**
 * Where a browser may be sent after signing in (`?next=`): a path on this site, or `/`.
 *
 * `next` is read as a browser reads a `Location`: the WHATWG URL parser resolves it against the
 * site's origin (it drops tabs and newlines, takes `\` for `/`, resolves `.` and `..`), and only a
 * result of the same origin is kept. The answer is that URL's path, query and fragment, as the
 * parser serialises them (so no control character reaches a header), and never a path a browser
 * would read as another host (`//evil.example`, as `/.//evil.example` resolves to).
 * @param next the client's value, already percent-decoded from the query or form
 * @param origin the site's origin or base URL (`http://host:port`)
 */
export function sameOriginPath(next: string | null | undefined, origin: string): string {
  if (!next) return '/';
  let base: URL;
  let url: URL;
  try {
    base = new URL(origin);
    url = new URL(next, base);
  } catch {
    return '/';
  }
  if (url.origin !== base.origin) return '/';
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (!path.startsWith('/') || path.startsWith('//')) return '/';
  try {
    // Read back as a browser reads the Location header: still this origin.
    if (new URL(path, base).origin !== base.origin) return '/';
  } catch {
    return '/';
  }
  return path;
}
