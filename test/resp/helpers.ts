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

/** Feeds the pieces and collects commands (as latin1 strings) until the first error; `borrowed`: through one reused buffer. */
export function parseRequests(pieces: readonly Buffer[], limits: Partial<RequestParserLimits> = {}, borrowed = false): ParsedRequest[] {
  return (borrowed ? parseRequestBuffersBorrowed : parseRequestBuffers)(pieces, limits)
    .map((r) => (Array.isArray(r) ? r.map((a) => a.toString('latin1')) : r));
}

export function parseRequestBuffers(
  pieces: readonly Buffer[],
  limits: Partial<RequestParserLimits> = {},
): (Buffer[] | { error: string; code: ProtocolError['code'] })[] {
  const parser = new RequestParser(limits);
  const out: (Buffer[] | { error: string; code: ProtocolError['code'] })[] = [];
  for (const piece of pieces) {
    parser.feed(Buffer.from(piece)); // a fresh buffer per piece, as a socket gives
    if (drain(parser, out)) return out;
  }
  return out;
}

/**
 * As parseRequestBuffers, with every piece read into one buffer that is reused for the next
 * (as the server's shared read buffer is) and scribbled over after each detach(): whatever
 * the parser handed out or kept must not depend on it.
 */
export function parseRequestBuffersBorrowed(
  pieces: readonly Buffer[],
  limits: Partial<RequestParserLimits> = {},
): (Buffer[] | { error: string; code: ProtocolError['code'] })[] {
  const parser = new RequestParser(limits);
  const out: (Buffer[] | { error: string; code: ProtocolError['code'] })[] = [];
  const shared = Buffer.alloc(Math.max(1, ...pieces.map((p) => p.length)));
  for (const piece of pieces) {
    shared.set(piece);
    parser.feed(shared.subarray(0, piece.length), true);
    const failed = drain(parser, out);
    parser.detach();
    shared.fill(0xa5);
    if (failed) return out;
  }
  return out;
}

/** Takes every complete command; true at a protocol error (pushed last). */
function drain(parser: RequestParser, out: (Buffer[] | { error: string; code: ProtocolError['code'] })[]): boolean {
  for (;;) {
    const result = parser.next();
    if (result === null) return false;
    if (isProtocolError(result)) {
      out.push({ error: result.message, code: result.code });
      return true;
    }
    out.push(result);
  }
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
