/**
 * The longest request head (request line and headers, in bytes) any of Ferry's HTTP servers
 * reads. Node's default (16 KB) is too small for real clients: Mercurial without
 * `httppostargs` sends a pull's arguments as `X-HgArg-N` headers of 1 KB each
 * (wireprotov1peer, `server.maxhttpheaderlen`), 41 bytes per head, so a repo with 400 heads
 * needs about 17 KB and one with 5,000 heads about 210 KB. Longer heads are answered 431.
 */
export const MAX_REQUEST_HEAD_BYTES = 256 * 1024;
