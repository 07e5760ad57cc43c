// Replies a leader sends back to the follower that forwarded a write or an admin command,
// written in the binary reply codec of the exactly-once table: it keeps every reply kind, so
// the follower's client sees what it would see on the leader (RESP3 on the wire would turn
// ZRANGE WITHSCORES pairs into nested arrays, which a RESP2 client must get flat). A reply from
// a leader that still answers in RESP3 is read too: RESP type bytes are printable
// characters, the codec's tags are not.

import type { Reply } from '../kv/reply.js';
import { ByteReader, ByteWriter } from '../kv/binary.js';
import { readReply, writeReply } from '../kv/reply-codec.js';
import { parseReply } from '../resp/codec.js';

/** The lowest RESP type byte ('!' of a blob error; '+', '$', '*', ... are above it). */
const lowestRespTypeByte = 0x21;

export function encodeForwardedReply(reply: Reply): Uint8Array {
  const writer = new ByteWriter(64);
  writeReply(writer, reply);
  return writer.finish();
}

export function decodeForwardedReply(bytes: Uint8Array): Reply | Error {
  try {
    if ((bytes[0] ?? 0) >= lowestRespTypeByte) return parseReply(bytes);
    const reader = new ByteReader(bytes);
    const reply = readReply(reader);
    return reader.remaining === 0 ? reply : new Error(`${reader.remaining} bytes after a forwarded reply`);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
