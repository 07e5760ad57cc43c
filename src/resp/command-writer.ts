// Encodes client requests (a RESP array of bulk strings) for the client side: tests, the
// benchmark load generator and `raftis ctl`. Strings are sent as UTF-8.

import { OutputBuffer } from './output-buffer.js';
import { ARRAY, BULK_STRING } from './protocol-bytes.js';

export type CommandArg = string | Uint8Array;

/** Appends one command to `out`. */
export function writeCommand(out: OutputBuffer, argv: readonly CommandArg[]): void {
  out.writeHeader(ARRAY, argv.length);
  for (const arg of argv) {
    if (typeof arg === 'string') {
      const byteLength = Buffer.byteLength(arg, 'utf8');
      out.writeHeader(BULK_STRING, byteLength);
      out.writeUtf8(arg, byteLength);
    } else {
      out.writeHeader(BULK_STRING, arg.length);
      out.writeBytes(arg);
    }
    out.writeCrlf();
  }
}

/** One command as a standalone buffer. */
export function encodeCommand(argv: readonly CommandArg[]): Buffer {
  const out = new OutputBuffer(256);
  writeCommand(out, argv);
  return Buffer.from(out.take() ?? Buffer.alloc(0));
}
