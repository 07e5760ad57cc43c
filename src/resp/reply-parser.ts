// Client-side reply decoder for RESP2 and RESP3, producing RespValue. Push-based and
// resumable like the request parser: feed() a chunk, then next() until null. Used by the
// tests, the benchmark load generator and `raftis ctl`. It does not trust the server
// either: bulk lengths, aggregate lengths, line lengths and nesting depth are capped.
//
// RESP3 types with no RespValue kind of their own are mapped: boolean → integer 1/0,
// big number → bulk string of its digits, set and push → array, blob error → error;
// attributes are read and dropped. Bulk values alias the fed chunk when they lie in it.

import { SpanningPayload } from './spanning-payload.js';
import { parseInteger } from './parse-integer.js';
import {
  ARRAY, ATTRIBUTE, BIG_NUMBER, BOOLEAN, BULK_ERROR, BULK_STRING, CR, DOUBLE, INTEGER, LF, MAP, NULL, PUSH, SET,
  SIMPLE_ERROR, SIMPLE_STRING, VERBATIM_STRING,
} from './protocol-bytes.js';
import { protocolError, type ProtocolError } from './protocol-error.js';
import type { RespValue } from './resp-value.js';

export interface ReplyParserLimits {
  readonly bulkMaxBytes: number;
  readonly aggregateMaxLength: number;
  readonly lineMaxBytes: number;
  readonly depthMax: number;
}

export const DEFAULT_REPLY_PARSER_LIMITS: ReplyParserLimits = Object.freeze({
  bulkMaxBytes: 512 * 1024 * 1024,
  aggregateMaxLength: 1 << 30,
  lineMaxBytes: 1024 * 1024,
  depthMax: 1024,
});

const LOWER_T = 116; // 't'
const LOWER_F = 102; // 'f'
const EMPTY = Buffer.alloc(0);

/** An aggregate being filled. Attributes are filled and then dropped. */
interface Frame {
  readonly type: number;
  /** For maps and attributes, keys and values alternate. */
  readonly items: RespValue[];
  /** Items still to read (for maps, twice the pair count). */
  remaining: number;
}

export class ReplyParser {
  readonly limits: ReplyParserLimits;
  private chunk: Buffer = EMPTY;
  private offset = 0;
  private readonly stack: Frame[] = [];
  /** Type byte and length of a blob ($ = !) whose payload is being read; -1 when none. */
  private blobType = 0;
  private blobLength = -1;
  private readonly spanning = new SpanningPayload();
  private payload: Buffer | null = null;
  private terminatorRemaining = 0;
  private failure: ProtocolError | null = null;

  constructor(limits: Partial<ReplyParserLimits> = {}) {
    const merged = { ...DEFAULT_REPLY_PARSER_LIMITS, ...limits };
    for (const name of ['bulkMaxBytes', 'aggregateMaxLength', 'lineMaxBytes', 'depthMax'] as const) {
      if (!Number.isSafeInteger(merged[name]) || merged[name] < 1) {
        throw new RangeError(`invalid ${name}: ${String(merged[name])} (must be a positive integer)`);
      }
    }
    this.limits = Object.freeze(merged);
  }

  feed(chunk: Buffer): void {
    if (this.failure !== null) return;
    if (this.offset < this.chunk.length) {
      // An incomplete line stays unread until its end arrives; lines are short.
      this.chunk = Buffer.concat([this.chunk.subarray(this.offset), chunk]);
    } else {
      this.chunk = chunk;
    }
    this.offset = 0;
  }

  /** The next complete reply, a protocol error (sticky), or null when more bytes are needed. */
  next(): RespValue | ProtocolError | null {
    if (this.failure !== null) return this.failure;
    for (;;) {
      let value: RespValue | null;
      if (this.blobLength >= 0) {
        if (this.payload === null && !this.readPayload()) return null;
        if (!this.readTerminator()) return this.failure;
        value = this.blobValue();
        if (value === null) return this.failure;
      } else {
        const step = this.readLine();
        if (step === null) return this.failure;
        if (step === false) continue; // a header: an aggregate opened or a blob began
        value = step;
      }
      const finished = this.deliver(value);
      if (finished !== null) return finished;
    }
  }

  /** Adds a finished value to the open aggregates; returns it when it is a whole reply. */
  private deliver(value: RespValue): RespValue | null {
    let current: RespValue | null = value;
    while (current !== null) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) return current;
      top.items.push(current);
      top.remaining--;
      if (top.remaining > 0) return null;
      this.stack.pop();
      current = this.closeFrame(top);
    }
    return null;
  }

  private closeFrame(frame: Frame): RespValue | null {
    if (frame.type === ATTRIBUTE) return null;
    if (frame.type === MAP) {
      const pairs: (readonly [RespValue, RespValue])[] = [];
      for (let i = 0; i + 1 < frame.items.length; i += 2) {
        pairs.push([frame.items[i] as RespValue, frame.items[i + 1] as RespValue]);
      }
      return { kind: 'map', value: pairs };
    }
    if (frame.type === SET) return { kind: 'set', value: frame.items };
    if (frame.type === PUSH) return { kind: 'push', value: frame.items };
    return { kind: 'array', value: frame.items };
  }

  /**
   * Reads one line. Returns a finished value, false after a header (aggregate or blob
   * started), or null when more bytes are needed or the reply is malformed.
   */
  private readLine(): RespValue | false | null {
    const chunk = this.chunk;
    if (this.offset >= chunk.length) return null;
    const newline = chunk.indexOf(LF, this.offset);
    if (newline === -1) {
      if (chunk.length - this.offset > this.limits.lineMaxBytes) this.fail('reply line too long');
      return null;
    }
    if (newline - this.offset > this.limits.lineMaxBytes) return this.fail('reply line too long');
    const type = chunk[this.offset] ?? 0;
    const start = this.offset + 1;
    const end = newline - 1;
    if (end < start || chunk[end] !== CR) return this.fail('reply line not terminated by CRLF');
    this.offset = newline + 1;
    switch (type) {
      // One character per byte (latin1), as the writer writes text that echoes client bytes:
      // a relayed reply (a write forwarded to the leader) goes out byte for byte.
      case SIMPLE_STRING:
        return { kind: 'simple', value: chunk.toString('latin1', start, end) };
      case SIMPLE_ERROR:
        return { kind: 'error', message: chunk.toString('latin1', start, end) };
      case INTEGER: {
        const value = parseInteger(chunk, start, end);
        if (Number.isNaN(value)) return this.fail('invalid integer');
        // Beyond 2^53 a number loses digits: keep the exact value as a bigint.
        if (!Number.isSafeInteger(value)) return { kind: 'integer', value: BigInt(chunk.toString('latin1', start, end)) };
        return { kind: 'integer', value };
      }
      case DOUBLE: {
        const value = parseDouble(chunk.toString('latin1', start, end));
        return Number.isNaN(value) && chunk.toString('latin1', start, end) !== 'nan'
          ? this.fail('invalid double')
          : { kind: 'double', value };
      }
      case NULL:
        return end === start ? { kind: 'null' } : this.fail('invalid null');
      case BOOLEAN: {
        const flag = end - start === 1 ? chunk[start] : 0;
        if (flag === LOWER_T) return { kind: 'boolean', value: true };
        if (flag === LOWER_F) return { kind: 'boolean', value: false };
        return this.fail('invalid boolean');
      }
      case BIG_NUMBER: {
        const digits = chunk.toString('latin1', start, end);
        return /^[-+]?\d+$/.test(digits) ? { kind: 'bignum', value: BigInt(digits) } : this.fail('invalid big number');
      }
      case BULK_STRING:
      case VERBATIM_STRING:
      case BULK_ERROR: {
        const length = parseInteger(chunk, start, end);
        if (type === BULK_STRING && length === -1) return { kind: 'bulk', value: null };
        if (Number.isNaN(length) || length < 0 || length > this.limits.bulkMaxBytes) return this.fail('invalid bulk length');
        this.blobType = type;
        this.blobLength = length;
        return false;
      }
      case ARRAY:
      case MAP:
      case SET:
      case PUSH:
      case ATTRIBUTE: {
        const length = parseInteger(chunk, start, end);
        if (type === ARRAY && length === -1) return { kind: 'array', value: null };
        if (Number.isNaN(length) || length < 0 || length > this.limits.aggregateMaxLength) {
          return this.fail('invalid aggregate length');
        }
        if (length === 0) {
          if (type === ATTRIBUTE) return false;
          return this.closeFrame({ type, items: [], remaining: 0 });
        }
        if (this.stack.length >= this.limits.depthMax) return this.fail('replies nested too deep');
        const paired = type === MAP || type === ATTRIBUTE;
        this.stack.push({ type, items: [], remaining: paired ? length * 2 : length });
        return false;
      }
      default:
        return this.fail(`unknown reply type byte ${type}`);
    }
  }

  private readPayload(): boolean {
    const length = this.blobLength;
    if (!this.spanning.active && this.chunk.length - this.offset >= length) {
      this.payload = this.chunk.subarray(this.offset, this.offset + length);
      this.offset += length;
      this.terminatorRemaining = 2;
      return true;
    }
    this.offset += this.spanning.take(this.chunk, this.offset, length);
    const payload = this.spanning.complete(length);
    if (payload === null) return false;
    this.payload = payload;
    this.terminatorRemaining = 2;
    return true;
  }

  private readTerminator(): boolean {
    while (this.terminatorRemaining > 0) {
      if (this.offset >= this.chunk.length) return false;
      const expected = this.terminatorRemaining === 2 ? CR : LF;
      if (this.chunk[this.offset] !== expected) {
        this.fail('bulk reply not terminated by CRLF');
        return false;
      }
      this.offset++;
      this.terminatorRemaining--;
    }
    return true;
  }

  private blobValue(): RespValue | null {
    const payload = this.payload ?? EMPTY;
    const type = this.blobType;
    this.payload = null;
    this.blobLength = -1;
    if (type === BULK_STRING) return { kind: 'bulk', value: payload };
    if (type === BULK_ERROR) return { kind: 'error', message: payload.toString('latin1') };
    // Verbatim: "fmt:" then the text.
    if (payload.length < 4 || payload[3] !== 58) {
      this.fail('invalid verbatim string');
      return null;
    }
    return { kind: 'verbatim', format: payload.toString('latin1', 0, 3), value: payload.toString('utf8', 4) };
  }

  private fail(reason: string): null {
    this.failure = protocolError('invalid-reply', `Protocol error: ${reason}`);
    this.chunk = EMPTY;
    this.offset = 0;
    this.stack.length = 0;
    this.spanning.reset();
    this.payload = null;
    return null;
  }
}

function parseDouble(text: string): number {
  if (text === 'inf' || text === '+inf') return Number.POSITIVE_INFINITY;
  if (text === '-inf') return Number.NEGATIVE_INFINITY;
  if (text === 'nan' || text === '') return Number.NaN;
  // Number() accepts forms RESP does not ("0x10", " 1"); reject anything but decimal syntax.
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
}
