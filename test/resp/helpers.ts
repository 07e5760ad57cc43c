// Shared test helpers for the resp layer: feed a byte stream to a decoder in different
// splits (whole, byte by byte, at given cut points) and collect everything it produces.

import { RequestParser, type RequestParserLimits } from '../../src/resp/request-parser.js';
import { isProtocolError, type ProtocolError } from '../../src/resp/protocol-error.js';

export type ParsedRequest = string[] | { error: string; code: ProtocolError['code'] };

/** Cuts `input` at the given offsets (sorted, deduplicated, clamped). */
export function splitAt(input: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(input.length, c))))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let previous = 0;
  for (const point of points) {
    pieces.push(input.subarray(previous, point));
    previous = point;
  }
  pieces.push(input.subarray(previous));
  return pieces;
}

export function byteByByte(input: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  for (let i = 0; i < input.length; i++) pieces.push(input.subarray(i, i + 1));
  return pieces;
}

/** Feeds the pieces and collects commands (as latin1 strings) until the first error. */
export function parseRequests(pieces: readonly Buffer[], limits: Partial<RequestParserLimits> = {}): ParsedRequest[] {
  return parseRequestBuffers(pieces, limits).map((r) => (Array.isArray(r) ? r.map((a) => a.toString('latin1')) : r));
}

export function parseRequestBuffers(
  pieces: readonly Buffer[],
  limits: Partial<RequestParserLimits> = {},
): (Buffer[] | { error: string; code: ProtocolError['code'] })[] {
  const parser = new RequestParser(limits);
  const out: (Buffer[] | { error: string; code: ProtocolError['code'] })[] = [];
  for (const piece of pieces) {
    parser.feed(Buffer.from(piece)); // a fresh buffer per piece, as a socket gives
    for (;;) {
      const result = parser.next();
      if (result === null) break;
      if (isProtocolError(result)) {
        out.push({ error: result.message, code: result.code });
        return out;
      }
      out.push(result);
    }
  }
  return out;
}

/** Encodes argv as a RESP array of bulk strings (independent of the code under test). */
export function encodeRequest(argv: readonly (string | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`)];
  for (const arg of argv) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : Buffer.from(arg);
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Polls `condition` until true or the deadline passes; throws with `what` on timeout. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
