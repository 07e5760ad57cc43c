// Plain TCP clients read into one buffer that the server reuses for every read of every
// client (net.Socket's `onread`), instead of Node's new Buffer per read (a 64 KiB allocation,
// then a copy to the size read) pushed through the Readable stream's 'data' machinery. The
// connection parses each read before the callback returns and copies what it keeps (the
// request parser's borrowed mode), so nothing refers to the buffer when the next read, from
// any socket, lands in it. Node gives `onread` only to a Socket constructed with it, never to
// one a net.Server accepts: the server accepts paused, and the accepted socket's handle moves
// into a Socket made with the option before anything is read from it.

import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';

/** Bytes of the shared read buffer by default: what Node reads per call on a stream socket. */
export const READ_BUFFER_DEFAULT_BYTES = 64 * 1024;
/** The smallest read buffer allowed: a read must hold a typical command whole. */
export const READ_BUFFER_MIN_BYTES = 1024;

/** A socket's libuv handle, which net.Socket keeps in `_handle`. */
interface HandleHolder {
  _handle: object | null;
}

/** What the Socket constructor takes beyond its typed options (Node's net.js reads both). */
interface AdoptingOptions extends SocketConstructorOpts {
  readonly handle: object;
  readonly onread: OnReadOpts;
}

function holdsHandle(socket: Socket): socket is Socket & HandleHolder {
  const handle: unknown = Reflect.get(socket, '_handle');
  return typeof handle === 'object' && handle !== null;
}

/**
 * The accepted (and still paused) connection as a socket that reads into `buffer` and calls
 * `onRead(buffer, bytes)` for each read; `accepted` is left without its connection. Null when
 * this Node keeps no handle on `accepted`: it then reads as a stream, unchanged.
 */
export function readIntoSharedBuffer(accepted: Socket, buffer: Buffer, allowHalfOpen: boolean, onRead: (buffer: Buffer, bytes: number) => void): Socket | null {
  if (!holdsHandle(accepted)) return null;
  const handle = accepted._handle;
  if (handle === null) return null;
  accepted._handle = null;
  accepted.destroy(); // without a handle: only the server's connection count and the object go
  const options: AdoptingOptions = {
    handle,
    allowHalfOpen,
    readable: true,
    writable: true,
    onread: {
      buffer,
      callback: (bytes) => {
        onRead(buffer, bytes);
        return true;
      },
    },
  };
  return new Socket(options);
}
