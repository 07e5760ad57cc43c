// Encodes replies into a connection's output buffer as RESP2 or RESP3. RESP2 has no
// double, map, verbatim or null, so they are written the way Redis writes them to a RESP2
// client: a double as a bulk string ("3.5", "inf"), a map as a flat array, verbatim text as
// a bulk string, null as the nil bulk string. The hottest replies are pre-encoded bytes.

import { formatRedisDouble } from '../base/double-format.js';
import { Latin1Bulk } from '../base/reply.js';
import { OutputBuffer } from './output-buffer.js';
import {
  ARRAY, ATTRIBUTE, BIG_NUMBER, BULK_STRING, DOUBLE, INTEGER, MAP, PUSH, SET, SIMPLE_ERROR, SIMPLE_STRING, VERBATIM_STRING,
} from './protocol-bytes.js';
import { RESP_OK, type RespProtocol, type RespValue } from './resp-value.js';

export const ENCODED_OK: Buffer = Buffer.from('+OK\r\n');
export const ENCODED_ZERO: Buffer = Buffer.from(':0\r\n');
export const ENCODED_ONE: Buffer = Buffer.from(':1\r\n');
export const ENCODED_NIL_RESP2: Buffer = Buffer.from('$-1\r\n');
export const ENCODED_NIL_ARRAY_RESP2: Buffer = Buffer.from('*-1\r\n');
export const ENCODED_NULL_RESP3: Buffer = Buffer.from('_\r\n');
const ENCODED_TRUE: Buffer = Buffer.from('#t\r\n');
const ENCODED_FALSE: Buffer = Buffer.from('#f\r\n');

/** Byte length of a verbatim string's format tag ("txt", "mkd"). */
const VERBATIM_FORMAT_BYTES = 3;

/** A double as Redis 7.0 prints it: "%.17g", "inf", "-inf", "nan". */
export const formatDouble: (value: number) => string = formatRedisDouble;

/**
 * The decimal text of an integer reply beyond ±2^53: a bigint as it is, a number that is an
 * integer exactly (a double holds integers up to ±2^1024, rounded to its precision). A
 * number that is not an integer has no RESP integer form: a bug in whoever built the reply.
 */
function integerText(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (!Number.isInteger(value)) throw new Error(`reply writer: integer reply ${value} is not an integer`);
  return BigInt(value).toString();
}

/** Simple strings and errors are one line: Redis replaces CR and LF with spaces. */
function oneLine(text: string): string {
  return text.includes('\r') || text.includes('\n') ? text.replace(/[\r\n]/g, ' ') : text;
}

/** An error's text as Redis writes it (addReplyErrorFormat): CR and LF at its end dropped, the others spaces. */
function errorLine(text: string): string {
  const last = text.charCodeAt(text.length - 1);
  return oneLine(last === 13 || last === 10 ? text.replace(/[\r\n]+$/, '') : text);
}

/** True when every character is one byte in latin1 (U+0000 to U+00FF). */
function isLatin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
}

/**
 * A simple string or error line. Its text holds bytes, one per character, wherever it echoes
 * what a client sent (an unknown command's name and arguments, an unsupported option): the
 * server and the state machine decode those as latin1, and they go back as the very bytes
 * received, as Redis sends them. Text with characters beyond U+00FF (our own messages) is
 * written as UTF-8.
 */
function writeLine(out: OutputBuffer, prefix: number, text: string): void {
  const line = prefix === SIMPLE_ERROR ? errorLine(text) : oneLine(text);
  out.writeByte(prefix);
  if (isLatin1(line)) out.writeLatin1(line);
  else out.writeUtf8(line, Buffer.byteLength(line, 'utf8'));
  out.writeCrlf();
}

function writeBulkBytes(out: OutputBuffer, bytes: Uint8Array): void {
  out.writeHeader(BULK_STRING, bytes.length);
  out.writeBytes(bytes);
  out.writeCrlf();
}

/** A bulk string from its latin1 text (one byte per character), with no Buffer made on the way. */
function writeBulkLatin1(out: OutputBuffer, text: string): void {
  out.writeHeader(BULK_STRING, text.length);
  out.writeLatin1(text);
  out.writeCrlf();
}

function writeBulkText(out: OutputBuffer, text: string): void {
  const byteLength = Buffer.byteLength(text, 'utf8');
  out.writeHeader(BULK_STRING, byteLength);
  out.writeUtf8(text, byteLength);
  out.writeCrlf();
}

/** Appends one reply, encoded for `protocol`, to `out`. */
export function writeReply(out: OutputBuffer, value: RespValue, protocol: RespProtocol): void {
  switch (value.kind) {
    case 'simple':
      if (value === RESP_OK) out.writeBytes(ENCODED_OK);
      else writeLine(out, SIMPLE_STRING, value.value);
      return;
    case 'error':
      writeLine(out, SIMPLE_ERROR, value.message);
      return;
    case 'integer':
      if (value.value === 0) out.writeBytes(ENCODED_ZERO);
      else if (value.value === 1) out.writeBytes(ENCODED_ONE);
      else if (Number.isSafeInteger(value.value)) out.writeHeader(INTEGER, value.value as number);
      else writeLine(out, INTEGER, integerText(value.value));
      return;
    case 'bulk':
      if (value instanceof Latin1Bulk) writeBulkLatin1(out, value.text);
      else if (value.value !== null) writeBulkBytes(out, value.value);
      else out.writeBytes(protocol === 3 ? ENCODED_NULL_RESP3 : ENCODED_NIL_RESP2);
      return;
    case 'array': {
      const items = value.value;
      if (items === null) {
        out.writeBytes(protocol === 3 ? ENCODED_NULL_RESP3 : ENCODED_NIL_ARRAY_RESP2);
        return;
      }
      out.writeHeader(ARRAY, items.length);
      for (const item of items) writeReply(out, item, protocol);
      return;
    }
    case 'double':
      if (protocol === 3) writeLine(out, DOUBLE, value.text ?? formatDouble(value.value));
      else writeBulkText(out, value.text ?? formatDouble(value.value));
      return;
    case 'map':
      if (protocol === 3) out.writeHeader(MAP, value.value.length);
      else out.writeHeader(ARRAY, value.value.length * 2);
      for (const [key, item] of value.value) {
        writeReply(out, key, protocol);
        writeReply(out, item, protocol);
      }
      return;
    case 'pairs':
      out.writeHeader(ARRAY, protocol === 3 ? value.value.length : value.value.length * 2);
      for (const [first, second] of value.value) {
        if (protocol === 3) out.writeHeader(ARRAY, 2);
        writeReply(out, first, protocol);
        writeReply(out, second, protocol);
      }
      return;
    case 'set':
    case 'push':
      out.writeHeader(protocol === 3 ? (value.kind === 'set' ? SET : PUSH) : ARRAY, value.value.length);
      for (const item of value.value) writeReply(out, item, protocol);
      return;
    case 'boolean':
      if (protocol === 3) out.writeBytes(value.value ? ENCODED_TRUE : ENCODED_FALSE);
      else out.writeBytes(value.value ? ENCODED_ONE : ENCODED_ZERO);
      return;
    case 'bignum':
      if (protocol === 3) writeLine(out, BIG_NUMBER, value.value.toString());
      else writeBulkText(out, value.value.toString());
      return;
    case 'verbatim': {
      if (protocol === 2) {
        writeBulkText(out, value.value);
        return;
      }
      if (value.format.length !== VERBATIM_FORMAT_BYTES || Buffer.byteLength(value.format) !== VERBATIM_FORMAT_BYTES) {
        throw new Error(`reply writer: verbatim format ${JSON.stringify(value.format)} is not ${VERBATIM_FORMAT_BYTES} bytes`);
      }
      const textBytes = Buffer.byteLength(value.value, 'utf8');
      out.writeHeader(VERBATIM_STRING, VERBATIM_FORMAT_BYTES + 1 + textBytes);
      out.writeUtf8(`${value.format}:`, VERBATIM_FORMAT_BYTES + 1);
      out.writeUtf8(value.value, textBytes);
      out.writeCrlf();
      return;
    }
    case 'null':
      out.writeBytes(protocol === 3 ? ENCODED_NULL_RESP3 : ENCODED_NIL_RESP2);
      return;
    case 'attributed':
      if (protocol === 3) {
        out.writeHeader(ATTRIBUTE, value.attributes.length);
        for (const [key, item] of value.attributes) {
          writeReply(out, key, protocol);
          writeReply(out, item, protocol);
        }
      }
      writeReply(out, value.value, protocol);
      return;
    default: {
      const unknown: never = value;
      throw new Error(`reply writer: unknown reply kind ${JSON.stringify(unknown)}`);
    }
  }
}

/** One reply as a standalone buffer: for tests, tools and one-off messages, not the hot path. */
export function encodeReply(value: RespValue, protocol: RespProtocol): Buffer {
  const out = new OutputBuffer(256);
  writeReply(out, value, protocol);
  return Buffer.from(out.take() ?? Buffer.alloc(0));
}

/**
 * A connection's reply encoder: replies append to one output buffer that the connection
 * takes and writes once per event-loop turn.
 */
export class ReplyWriter {
  readonly output: OutputBuffer;

  constructor(initialBytes?: number) {
    this.output = new OutputBuffer(initialBytes);
  }

  write(value: RespValue, protocol: RespProtocol): void {
    writeReply(this.output, value, protocol);
  }

  /**
   * Writes the reply, or, when it cannot be encoded (a bug in whoever built it), nothing of
   * it: the half-written bytes are dropped and the error is returned for the caller to answer.
   */
  tryWrite(value: RespValue, protocol: RespProtocol): Error | null {
    const mark = this.output.length;
    try {
      writeReply(this.output, value, protocol);
      return null;
    } catch (error) {
      this.output.truncate(mark);
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  /** Pre-encoded bytes, written as they are. */
  writeRaw(bytes: Uint8Array): void {
    this.output.writeBytes(bytes);
  }

  get pendingBytes(): number {
    return this.output.length;
  }

  /** The bytes to send, or null; see OutputBuffer.take(). */
  take(): Buffer | null {
    return this.output.take();
  }
}
