// A raw RESP connection for protocol-level tests: sends bytes exactly as given, splits the
// reply stream into whole frames (kept as raw bytes and as a plain decoded tree), and reports
// when the server closes the connection. Independent of src/resp/ on purpose, so the server's
// writer is checked by a reader it does not share code with.

import { connect, type Socket } from 'node:net';
import { waitFor } from './wait.js';

/** A decoded reply: errors are { error }, maps are arrays of [key, value] pairs. */
export type Resp =
  | string
  | number
  | bigint
  | boolean
  | null
  | Resp[]
  | { readonly error: string }
  | { readonly map: [Resp, Resp][] }
  | { readonly verbatim: string; readonly format: string }
  | { readonly double: string };

export interface Frame {
  readonly raw: Buffer;
  readonly value: Resp;
}

/** Largest reply the tests expect; beyond it the reader gives up instead of buffering forever. */
const REPLY_BUFFER_MAX_BYTES = 64 * 1024 * 1024;

export function encode(argv: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`)];
  for (const arg of argv) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Parses one frame at `offset`; returns null when the buffer holds only part of it. */
export function parseFrame(buffer: Buffer, offset: number): { value: Resp; end: number } | null {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return null;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('latin1', offset + 1, lineEnd);
  const next = lineEnd + 2;
  const aggregate = (count: number): { value: Resp[]; end: number } | null => {
    const items: Resp[] = [];
    let at = next;
    for (let i = 0; i < count; i++) {
      const item = parseFrame(buffer, at);
      if (item === null) return null;
      items.push(item.value);
      at = item.end;
    }
    return { value: items, end: at };
  };
  const blob = (): { text: Buffer; end: number } | null => {
    const length = Number(line);
    if (buffer.length < next + length + 2) return null;
    return { text: buffer.subarray(next, next + length), end: next + length + 2 };
  };
  switch (type) {
    case '+': return { value: line, end: next };
    case '-': return { value: { error: line }, end: next };
    case ':': {
      const n = BigInt(line);
      return { value: n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n, end: next };
    }
    case '_': return { value: null, end: next };
    case '#': return { value: line === 't', end: next };
    case ',': return { value: { double: line }, end: next };
    case '(': return { value: BigInt(line), end: next };
    case '$': {
      if (line === '-1') return { value: null, end: next };
      const b = blob();
      return b === null ? null : { value: b.text.toString('latin1'), end: b.end };
    }
    case '!': {
      const b = blob();
      return b === null ? null : { value: { error: b.text.toString('latin1') }, end: b.end };
    }
    case '=': {
      const b = blob();
      if (b === null) return null;
      const text = b.text.toString('latin1');
      return { value: { format: text.slice(0, 3), verbatim: text.slice(4) }, end: b.end };
    }
    case '*': case '~': case '>': {
      if (line === '-1') return { value: null, end: next };
      return aggregate(Number(line));
    }
    case '%': {
      const items = aggregate(Number(line) * 2);
      if (items === null) return null;
      const pairs: [Resp, Resp][] = [];
      for (let i = 0; i < items.value.length; i += 2) pairs.push([items.value[i] ?? null, items.value[i + 1] ?? null]);
      return { value: { map: pairs }, end: items.end };
    }
    case '|': { // attributes, then the reply they describe: the frame's value is that reply
      const attributes = aggregate(Number(line) * 2);
      return attributes === null ? null : parseFrame(buffer, attributes.end);
    }
    default:
      throw new Error(`unexpected reply type byte ${JSON.stringify(type)} at offset ${offset}: ${JSON.stringify(buffer.toString('latin1', offset, offset + 80))}`);
  }
}

export class RawConnection {
  private readonly socket: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private offset = 0;
  closed = false;
  private readonly waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.offset === this.buffer.length ? chunk : Buffer.concat([this.buffer.subarray(this.offset), chunk]);
      this.offset = 0;
      if (this.buffer.length > REPLY_BUFFER_MAX_BYTES) socket.destroy(new Error('reply buffer over limit'));
      this.wake();
    });
    // 'end' is the server's close of its side (our side may still be open: allowHalfOpen).
    for (const event of ['end', 'close']) {
      socket.on(event, () => {
        this.closed = true;
        this.wake();
      });
    }
    socket.on('error', () => {}); // a reset shows up as `closed`
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, allowHalfOpen: true });
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  write(bytes: Buffer | string): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Sends one command and reads its reply. */
  async call(...argv: (string | Buffer)[]): Promise<Resp> {
    this.write(encode(argv));
    return (await this.read()).value;
  }

  /** The next whole reply frame; rejects on close or after timeoutMs. */
  async read(timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseFrame(this.buffer, this.offset);
      if (parsed !== null) {
        const raw = Buffer.from(this.buffer.subarray(this.offset, parsed.end));
        this.offset = parsed.end;
        return { raw, value: parsed.value };
      }
      if (this.closed) throw new Error(`connection closed with ${this.buffer.length - this.offset} unparsed bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no whole reply within ${timeoutMs} ms (have ${JSON.stringify(this.buffer.toString('latin1', this.offset, this.offset + 200))})`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.changed(), new Promise<void>((resolve) => { timer = setTimeout(resolve, left); })]);
      clearTimeout(timer);
    }
  }

  /** Whatever bytes are buffered and not yet read as frames. */
  pending(): string {
    return this.buffer.toString('latin1', this.offset);
  }

  /** Resolves once the server has closed the connection; rejects after timeoutMs. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    await waitFor('the server to close the connection', () => this.closed, { timeoutMs, intervalMs: 20 });
  }

  /** Shuts our write side: the server answers what it has and then closes. */
  end(): void {
    this.socket.end();
  }

  close(): void {
    this.socket.destroy();
  }
}
