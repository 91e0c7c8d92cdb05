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

/** The Content-Type for a file in a repo: by extension, else text/plain when it reads as UTF-8 text. */
export function contentTypeOf(path: string, data: Buffer): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  const known = dot > 0 ? TYPES[base.slice(dot + 1).toLowerCase()] : undefined;
  if (known) return known;
  return looksLikeText(data) ? 'text/plain; charset=utf-8' : 'application/octet-stream';
}

function looksLikeText(data: Buffer): boolean {
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
