// Server-side request decoder: turns the bytes a client sends into commands (argv arrays).
// Push-based and resumable: feed() a socket chunk, then call next() until it returns null.
// RESP arrays of bulk strings are parsed in place: an argument wholly inside one chunk is a
// zero-copy subarray of that chunk; only an argument whose bytes span chunks is copied (into
// a buffer grown as its bytes arrive, so a client cannot make us allocate what it has not
// sent). Inline commands follow Redis's sdssplitargs() rules. Every limit is Redis's, by
// name and default, and every error text is Redis's where Redis has one.
//
// Contract with the caller: a chunk fed as owned is never modified after feed(), and argv
// buffers alias it (copy an argument before keeping it beyond the command: the keyspace must
// own its bytes). A chunk fed as borrowed (a read buffer the caller reuses) is only read
// until detach(): every argument taken from it is a copy, and detach() copies any bytes not
// yet parsed, so nothing returned or kept refers to its memory afterwards.

import { SpanningPayload } from './spanning-payload.js';
import { splitInlineArgs } from './inline-args.js';
import { parseInteger } from './parse-integer.js';
import { ARRAY, BULK_STRING, CR, DIGIT_NINE, DIGIT_ZERO, LF } from './protocol-bytes.js';
import { protocolError, type ProtocolError } from './protocol-error.js';

export interface RequestParserLimits {
  /** Largest bulk argument (Redis proto-max-bulk-len). */
  readonly protoMaxBulkLen: number;
  /** Most arguments in one command (Redis's classic 1024*1024 multibulk cap). */
  readonly maxMultibulkLength: number;
  /** Longest inline command line or header line (Redis PROTO_INLINE_MAX_SIZE). */
  readonly inlineMaxBytes: number;
  /** Most bytes buffered for one command not yet complete (Redis client-query-buffer-limit). */
  readonly queryBufferMaxBytes: number;
}

export const DEFAULT_REQUEST_PARSER_LIMITS: RequestParserLimits = Object.freeze({
  protoMaxBulkLen: 512 * 1024 * 1024,
  maxMultibulkLength: 1024 * 1024,
  inlineMaxBytes: 64 * 1024,
  queryBufferMaxBytes: 1024 * 1024 * 1024,
});

/** Fills in defaults and checks every limit; throws a RangeError naming the bad one. */
export function requestParserLimits(overrides: Partial<RequestParserLimits> = {}): RequestParserLimits {
  const limits: RequestParserLimits = { ...DEFAULT_REQUEST_PARSER_LIMITS, ...overrides };
  for (const name of ['protoMaxBulkLen', 'maxMultibulkLength', 'inlineMaxBytes', 'queryBufferMaxBytes'] as const) {
    const value = limits[name];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`invalid ${name}: ${String(value)} (must be a positive integer)`);
    }
  }
  if (limits.protoMaxBulkLen > limits.queryBufferMaxBytes) {
    throw new RangeError(
      `invalid protoMaxBulkLen: ${limits.protoMaxBulkLen} exceeds queryBufferMaxBytes ${limits.queryBufferMaxBytes}`,
    );
  }
  return Object.freeze(limits);
}

/** What the line being read is; decides its error text when it grows too long. */
const LINE_NONE = 0;
const LINE_INLINE = 1;
const LINE_COUNT = 2; // "*<count>\r\n"
const LINE_BULK_HEADER = 3; // "$<length>\r\n"

/** takeLine() results. */
const LINE_READY = 1;
const LINE_NEED_MORE = 0;
const LINE_TOO_LONG = -1;

/** Most digits the header fast path takes; longer numbers (all over any limit) go the general way. */
const PLAIN_HEADER_DIGITS_MAX = 15;
/** First capacity of the buffer collecting a header or inline line that spans chunks. */
const LINE_STAGING_INITIAL_BYTES = 256;

const EMPTY = Buffer.alloc(0);

/**
 * Up to this many bytes an argument is copied byte by byte: a command name or key copies
 * several times faster so than through Buffer#copy, which makes a view of the source first.
 */
const COPY_BY_LOOP_BYTES_MAX = 64;

/** A copy of source[start, end) that the caller owns (small ones share Node's buffer pool). */
function copyOf(source: Buffer, start: number, end: number): Buffer {
  const length = end - start;
  const copy = Buffer.allocUnsafe(length);
  if (length <= COPY_BY_LOOP_BYTES_MAX) {
    for (let i = 0; i < length; i++) copy[i] = source[start + i] as number;
  } else {
    source.copy(copy, 0, start, end);
  }
  return copy;
}

/** The args of no command (between commands): never written to, startArgs replaces it first. */
const NO_ARGS: Buffer[] = [];
/** Argument slots a command's array gets before its arguments arrive (Redis's argv_len cap). */
const ARGS_PREALLOCATED_MAX = 1024;

export class RequestParser {
  readonly limits: RequestParserLimits;

  private chunk: Buffer = EMPTY;
  /** Whether `chunk` is the caller's to reuse: arguments are copied out of it, and detach() lets go of it. */
  private chunkBorrowed = false;
  /** Next unread byte of `chunk`. Invariant: 0 <= offset <= chunk.length. */
  private offset = 0;

  /** Offset in `chunk` where the current command began (or 0 if it began in an earlier chunk). */
  private commandStart = 0;
  /** Bytes of the current command consumed from earlier chunks. */
  private carriedBytes = 0;

  /** Arguments still to read in the current multibulk; 0 between commands. */
  private argsRemaining = 0;
  /**
   * The command being read, made at its count's size: a write keeps its argv until its
   * entry commits, and an array grown by push() would hold 17 slots for SET's three.
   */
  private args: Buffer[] = NO_ARGS;
  /** Arguments of `args` read so far. */
  private argsRead = 0;
  /** Length of the bulk argument being read, or -1 while its "$" header is still due. */
  private bulkLength = -1;
  /** An argument being collected across chunks. */
  private readonly spanning = new SpanningPayload();
  /** A complete argument waiting for its trailing CRLF. */
  private pendingArg: Buffer | null = null;
  /** CRLF bytes still due after `pendingArg` (2, 1 or 0). */
  private terminatorRemaining = 0;

  /** Kind of the line being read; LINE_NONE when no line is in progress. */
  private lineKind = LINE_NONE;
  /** A line that spans chunks is gathered here; bytes [0, stagedBytes) are valid. */
  private lineStaging: Buffer = EMPTY;
  private stagedBytes = 0;
  /** Where the last line taken lives: source[lineStart, lineEnd), lineEnd at its '\n'. */
  private lineSource: Buffer = EMPTY;
  private lineStart = 0;
  private lineEnd = 0;

  /** Where the header plainHeaderValue() last read ends. */
  private plainHeaderEnd = 0;

  /** Sticky: once the stream is malformed nothing after it can be trusted. */
  private failure: ProtocolError | null = null;

  constructor(limits: Partial<RequestParserLimits> = {}) {
    this.limits = requestParserLimits(limits);
  }

  /** Bytes received but not yet returned as a command (Redis CLIENT LIST qbuf). */
  get bufferedBytes(): number {
    return this.carriedBytes + this.chunk.length - this.commandStart;
  }

  /** True after a protocol error; next() keeps returning it. */
  get failed(): boolean {
    return this.failure !== null;
  }

  /**
   * Takes the next bytes received. `borrowed`: the caller will reuse the chunk's memory after
   * detach(), so nothing taken from it may alias it.
   */
  feed(chunk: Buffer, borrowed = false): void {
    if (this.failure !== null) return;
    this.carriedBytes += this.offset - this.commandStart;
    if (this.offset < this.chunk.length) {
      // The caller fed before draining next(): keep the unread tail. Rare; a copy is fine.
      this.chunk = Buffer.concat([this.chunk.subarray(this.offset), chunk]);
      this.chunkBorrowed = false;
    } else {
      this.chunk = chunk;
      this.chunkBorrowed = borrowed;
    }
    this.offset = 0;
    this.commandStart = 0;
  }

  /**
   * Lets go of a borrowed chunk before its memory is reused: bytes not yet parsed (a caller
   * that stopped calling next() early) are kept as a copy; everything parsed is already owned.
   */
  detach(): void {
    if (!this.chunkBorrowed) return;
    this.carriedBytes += this.offset - this.commandStart;
    this.chunk = this.offset < this.chunk.length ? copyOf(this.chunk, this.offset, this.chunk.length) : EMPTY;
    this.chunkBorrowed = false;
    this.offset = 0;
    this.commandStart = 0;
    this.lineSource = EMPTY;
  }

  /** The next complete command, a protocol error (sticky), or null when more bytes are needed. */
  next(): Buffer[] | ProtocolError | null {
    if (this.failure !== null) return this.failure;
    for (;;) {
      if (this.argsRemaining === 0) {
        if (this.lineKind === LINE_NONE) {
          if (this.offset >= this.chunk.length) return this.needMore();
          this.lineKind = this.chunk[this.offset] === ARRAY ? LINE_COUNT : LINE_INLINE;
        }
        if (this.lineKind === LINE_COUNT && this.stagedBytes === 0) {
          const count = this.plainHeaderValue();
          if (count > 0 && count <= this.limits.maxMultibulkLength) {
            this.offset = this.plainHeaderEnd;
            this.lineKind = LINE_NONE;
            this.startArgs(count);
            continue;
          }
        }
        const taken = this.takeLine();
        if (taken === LINE_NEED_MORE) return this.needMore();
        if (this.lineKind === LINE_COUNT) {
          if (taken === LINE_TOO_LONG) return this.fail('too-big-mbulk-count', 'Protocol error: too big mbulk count string');
          this.lineKind = LINE_NONE;
          const count = this.headerValue();
          if (Number.isNaN(count) || count > this.limits.maxMultibulkLength) {
            return this.fail('invalid-multibulk-length', 'Protocol error: invalid multibulk length');
          }
          if (count <= 0) {
            this.commandDone(); // "*0" and "*-1" are empty requests: Redis skips them.
            continue;
          }
          this.startArgs(count);
          continue;
        }
        if (taken === LINE_TOO_LONG) return this.fail('too-big-inline-request', 'Protocol error: too big inline request');
        this.lineKind = LINE_NONE;
        const argv = this.inlineArgs();
        if (argv === null) return this.fail('unbalanced-quotes', 'Protocol error: unbalanced quotes in request');
        if (argv.length === 0) {
          this.commandDone(); // Empty lines are ignored, as in Redis.
          continue;
        }
        return this.complete(argv);
      }

      if (this.bulkLength < 0) {
        if (this.lineKind === LINE_NONE) {
          if (this.offset >= this.chunk.length) return this.needMore();
          const prefix = this.chunk[this.offset] ?? 0;
          if (prefix !== BULK_STRING) {
            return this.fail('expected-bulk-prefix', `Protocol error: expected '$', got '${String.fromCharCode(prefix)}'`);
          }
          const length = this.plainHeaderValue();
          if (length >= 0 && length <= this.limits.protoMaxBulkLen) {
            this.offset = this.plainHeaderEnd;
            this.bulkLength = length;
            continue;
          }
          this.lineKind = LINE_BULK_HEADER;
        }
        const taken = this.takeLine();
        if (taken === LINE_NEED_MORE) return this.needMore();
        if (taken === LINE_TOO_LONG) return this.fail('too-big-bulk-count', 'Protocol error: too big bulk count string');
        this.lineKind = LINE_NONE;
        const length = this.headerValue();
        if (Number.isNaN(length) || length < 0 || length > this.limits.protoMaxBulkLen) {
          return this.fail('invalid-bulk-length', 'Protocol error: invalid bulk length');
        }
        this.bulkLength = length;
      }

      if (this.pendingArg === null && !this.readPayload()) return this.needMore();
      if (!this.readTerminator()) return this.failure ?? this.needMore();
      const arg = this.pendingArg;
      if (arg === null) throw new Error('request parser: argument complete but pendingArg is null');
      this.args[this.argsRead++] = arg;
      this.pendingArg = null;
      this.bulkLength = -1;
      this.argsRemaining--;
      if (this.argsRemaining === 0) {
        const argv = this.args;
        this.args = NO_ARGS;
        return this.complete(argv);
      }
    }
  }

  /**
   * Moves the payload of the current bulk argument into pendingArg when all of it is here.
   * Zero-copy when the payload lies in the current chunk (a copy if the chunk is borrowed);
   * otherwise collects it.
   */
  private readPayload(): boolean {
    const length = this.bulkLength;
    if (!this.spanning.active && this.chunk.length - this.offset >= length) {
      const end = this.offset + length;
      this.pendingArg = this.chunkBorrowed ? copyOf(this.chunk, this.offset, end) : this.chunk.subarray(this.offset, end);
      this.offset += length;
      this.terminatorRemaining = 2;
      return true;
    }
    this.offset += this.spanning.take(this.chunk, this.offset, length);
    const payload = this.spanning.complete(length);
    if (payload === null) return false;
    this.pendingArg = payload;
    this.terminatorRemaining = 2;
    return true;
  }

  /** Consumes the CRLF after a payload; false if it has not all arrived or is wrong (then failure is set). */
  private readTerminator(): boolean {
    while (this.terminatorRemaining > 0) {
      if (this.offset >= this.chunk.length) return false;
      const expected = this.terminatorRemaining === 2 ? CR : LF;
      if (this.chunk[this.offset] !== expected) {
        // Redis skips these two bytes unchecked; a wrong byte here means the client's
        // length and payload disagree, and everything after it would be misread.
        this.fail('missing-bulk-terminator', 'Protocol error: expected CRLF after bulk argument');
        return false;
      }
      this.offset++;
      this.terminatorRemaining--;
    }
    return true;
  }

  /**
   * Takes the line at the cursor through its '\n' into lineSource/lineStart/lineEnd,
   * gathering it in lineStaging if it spans chunks. Too long when the bytes before the
   * '\n' exceed inlineMaxBytes, however the line was split.
   */
  private takeLine(): number {
    const chunk = this.chunk;
    const newline = chunk.indexOf(LF, this.offset);
    const max = this.limits.inlineMaxBytes;
    if (this.stagedBytes === 0) {
      if (newline !== -1) {
        if (newline - this.offset > max) return LINE_TOO_LONG;
        this.lineSource = chunk;
        this.lineStart = this.offset;
        this.lineEnd = newline;
        this.offset = newline + 1;
        return LINE_READY;
      }
    }
    const end = newline === -1 ? chunk.length : newline;
    const total = this.stagedBytes + (end - this.offset);
    if (total > max) return LINE_TOO_LONG;
    this.stage(chunk, this.offset, end);
    if (newline === -1) {
      this.offset = chunk.length;
      return LINE_NEED_MORE;
    }
    this.lineSource = this.lineStaging;
    this.lineStart = 0;
    this.lineEnd = this.stagedBytes;
    this.stagedBytes = 0;
    this.offset = newline + 1;
    return LINE_READY;
  }

  private stage(source: Buffer, start: number, end: number): void {
    const needed = this.stagedBytes + (end - start);
    if (needed > this.lineStaging.length) {
      const grown = Buffer.allocUnsafe(Math.max(LINE_STAGING_INITIAL_BYTES, needed, this.lineStaging.length * 2));
      this.lineStaging.copy(grown, 0, 0, this.stagedBytes);
      this.lineStaging = grown;
    }
    source.copy(this.lineStaging, this.stagedBytes, start, end);
    this.stagedBytes = needed;
  }

  /**
   * Fast path for the common header: prefix, 1 to 15 digits without a leading zero (or a
   * lone "0"), CRLF, all in the current chunk. Returns the number (the caller that accepts
   * it moves the cursor to plainHeaderEnd), or -1, leaving anything else (split, negative,
   * malformed, huge) to the general path, which decides with the same rules.
   */
  private plainHeaderValue(): number {
    const chunk = this.chunk;
    const start = this.offset + 1;
    const end = Math.min(chunk.length, start + PLAIN_HEADER_DIGITS_MAX);
    let value = 0;
    let index = start;
    for (; index < end; index++) {
      const byte = chunk[index] ?? 0;
      if (byte < DIGIT_ZERO || byte > DIGIT_NINE) break;
      value = value * 10 + (byte - DIGIT_ZERO);
    }
    const digits = index - start;
    if (digits === 0 || (digits > 1 && chunk[start] === DIGIT_ZERO)) return -1;
    if (index + 1 >= chunk.length || chunk[index] !== CR || chunk[index + 1] !== LF) return -1;
    this.plainHeaderEnd = index + 2;
    return value;
  }

  /** The number of a "*<n>\r" or "$<n>\r" line; NaN if malformed (including no '\r' before '\n'). */
  private headerValue(): number {
    const source = this.lineSource;
    const carriageReturn = this.lineEnd - 1;
    if (carriageReturn <= this.lineStart || source[carriageReturn] !== CR) return Number.NaN;
    return parseInteger(source, this.lineStart + 1, carriageReturn);
  }

  private inlineArgs(): Buffer[] | null {
    let end = this.lineEnd;
    if (end > this.lineStart && this.lineSource[end - 1] === CR) end--;
    return splitInlineArgs(this.lineSource, this.lineStart, end);
  }

  private complete(argv: Buffer[]): Buffer[] | ProtocolError {
    const commandBytes = this.carriedBytes + this.offset - this.commandStart;
    if (commandBytes > this.limits.queryBufferMaxBytes) return this.queryBufferFailure();
    this.commandDone();
    return argv;
  }

  private commandDone(): void {
    this.commandStart = this.offset;
    this.carriedBytes = 0;
  }

  private needMore(): ProtocolError | null {
    if (this.offset !== this.chunk.length) {
      throw new Error(`request parser: needs more bytes with ${this.chunk.length - this.offset} unread`);
    }
    const commandBytes = this.carriedBytes + this.offset - this.commandStart;
    if (commandBytes > this.limits.queryBufferMaxBytes) return this.queryBufferFailure();
    if (commandBytes === 0) {
      // Between commands: let go of the read, so an idle client pins none of its memory (the
      // commands taken from it hold their own views while they need them).
      this.chunk = EMPTY;
      this.chunkBorrowed = false;
      this.offset = 0;
      this.commandStart = 0;
    }
    return null;
  }

  /** Redis closes such a client without a word; we say why. */
  private queryBufferFailure(): ProtocolError {
    return this.fail('query-buffer-limit', 'Protocol error: query buffer limit exceeded');
  }

  private startArgs(count: number): void {
    this.argsRemaining = count;
    // At most ARGS_PREALLOCATED_MAX slots up front (Redis too): a count alone costs no more
    // than that, however large; a longer command grows as its arguments arrive.
    this.args = new Array<Buffer>(Math.min(count, ARGS_PREALLOCATED_MAX));
    this.argsRead = 0;
  }

  private fail(code: ProtocolError['code'], message: string): ProtocolError {
    this.failure = protocolError(code, message);
    // Drop everything buffered: nothing after a malformed frame is used.
    this.chunk = EMPTY;
    this.chunkBorrowed = false;
    this.offset = 0;
    this.commandStart = 0;
    this.carriedBytes = 0;
    this.args = NO_ARGS;
    this.spanning.reset();
    this.pendingArg = null;
    this.lineStaging = EMPTY;
    this.lineSource = EMPTY;
    this.stagedBytes = 0;
    return this.failure;
  }
}
