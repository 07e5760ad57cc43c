// One-shot encoding and decoding of whole messages, for code off the hot path that holds a
// complete reply in one buffer (forwarded write replies, tools). Streams use the parsers.

import { ReplyParser } from './reply-parser.js';
import { isProtocolError } from './protocol-error.js';
import type { RespValue } from './resp-value.js';

export { encodeReply } from './reply-writer.js';
export { encodeCommand } from './command-writer.js';
export { ReplyParser } from './reply-parser.js';
export type { RespValue, RespProtocol } from './resp-value.js';

/**
 * Decodes exactly one reply that fills `bytes`. Throws on malformed, incomplete or trailing
 * bytes: the caller encoded them itself, so any of those is a bug, not a peer's mistake.
 */
export function parseReply(bytes: Uint8Array): RespValue {
  const parser = new ReplyParser();
  parser.feed(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const value = parser.next();
  if (value === null) throw new Error(`parseReply: incomplete reply (${bytes.byteLength} bytes)`);
  if (isProtocolError(value)) throw new Error(`parseReply: ${value.message}`);
  if (parser.next() !== null) throw new Error('parseReply: bytes after the reply');
  return value;
}
