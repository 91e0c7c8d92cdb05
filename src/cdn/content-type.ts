const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  cjs: 'text/javascript; charset=utf-8',
  map: 'application/json; charset=utf-8',
  json: 'application/json; charset=utf-8',
  webmanifest: 'application/manifest+json; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  svg: 'image/svg+xml; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  ts: 'text/plain; charset=utf-8',
  tsx: 'text/plain; charset=utf-8',
  jsx: 'text/plain; charset=utf-8',
  yml: 'text/plain; charset=utf-8',
  yaml: 'text/plain; charset=utf-8',
  toml: 'text/plain; charset=utf-8',
  wasm: 'application/wasm',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/x-icon',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mp3: 'audio/mpeg',
};

/**
 * The Content-Type a file *name* gives (by extension), or undefined when the name says nothing
 * and the bytes decide (`typeOf`). The type belongs to the name: two files with the same bytes
 * (two empty files, `a.css` and `a.txt`) are served with their own types.
 */
export function contentTypeOfName(path: string): string | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? TYPES[base.slice(dot + 1).toLowerCase()] : undefined;
}

/** The Content-Type of a file: its name's, else text/plain when its bytes read as UTF-8 text. */
export function typeOf(nameType: string | undefined, isText: () => boolean): string {
  return nameType ?? (isText() ? 'text/plain; charset=utf-8' : 'application/octet-stream');
}

/** Whether `data` reads as UTF-8 text (no NUL, valid UTF-8 in its first 8000 bytes). */
export function looksLikeText(data: Buffer): boolean {
  const head = data.subarray(0, 8000);
  if (head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.length < data.length ? head.subarray(0, Math.max(0, head.length - 4)) : head);
    return true;
  } catch {
    return false;
  }
}

/** Types worth compressing: text and the few binary formats that are not compressed already. */
export function isCompressible(contentType: string): boolean {
  return /^text\/|^application\/(json|javascript|xml|manifest\+json|wasm)|^image\/(svg\+xml|x-icon)|^font\/(ttf|otf)/.test(contentType);
}

/** HTML and SVG can run script: sandboxed unless the repo is trusted. */
export function isActiveContent(contentType: string): boolean {
  return contentType.startsWith('text/html') || contentType.startsWith('image/svg+xml') || contentType.startsWith('application/xml');
}
