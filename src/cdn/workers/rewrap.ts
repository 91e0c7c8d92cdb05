import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';

interface HandleHolder {
  _handle?: { isStreamBase?: boolean } | null;
}

/**
 * A new `Socket` over the connection `socket` holds, optionally reading with `onread` (documented
 * on `new net.Socket`): into one reusable buffer, straight to a callback, without a Buffer made
 * and pushed through the stream machinery for every read — a third of a CDN worker's CPU per
 * small file. Node makes the sockets it hands to a child process itself, with no way to ask for
 * `onread`; wrapping the received handle is what node's own child_process and cluster do.
 *
 * Nothing may wait in `socket`'s read buffer. `socket` is then closed without its connection (so
 * whoever tracks it sees it go); undefined, and `socket` untouched, where this Node does not
 * offer a handle to take.
 */
export function rewrap(socket: Socket, onread?: OnReadOpts): Socket | undefined {
  const holder = socket as unknown as HandleHolder;
  const handle = holder._handle;
  if (!handle || handle.isStreamBase !== true || socket.readableLength > 0 || socket.destroyed) return undefined;
  holder._handle = null;
  const options: SocketConstructorOpts & { handle: object; onread?: OnReadOpts } = { handle, readable: true, writable: true, ...(onread ? { onread } : {}) };
  const wrapped = new Socket(options);
  socket.destroy();
  return wrapped;
}
