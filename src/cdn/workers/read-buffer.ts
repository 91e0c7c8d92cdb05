/**
 * The one buffer every fast-lane connection of a worker reads into (fast-http.ts): a request head
 * is answered before the next read overwrites it, and whatever must wait is copied out. The
 * native reused-answer table (native-hot.ts) reads request heads from it too.
 */
export const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
