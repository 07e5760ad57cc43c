// Test helpers: drive a KvStateMachine with text commands at chosen cluster times.

import { encodeCommand } from '../../src/kv/command-codec.js';
import { KvStateMachine, type KvOptions } from '../../src/kv/state-machine.js';
import type { Reply } from '../../src/kv/reply.js';
import { formatRedisDouble } from '../../src/base/double-format.js';

export const baseTimeMs = 1_700_000_000_000;

export function argvOf(args: readonly (string | Uint8Array)[]): Uint8Array[] {
  return args.map((arg) => (typeof arg === 'string' ? Buffer.from(arg, 'latin1') : arg));
}

export class Harness {
  readonly kv: KvStateMachine;
  index = 0;
  time = baseTimeMs;

  constructor(options: KvOptions = {}) {
    this.kv = new KvStateMachine(options);
  }

  /** Applies a command as the next log entry at the current time (seq 0: no dedup). */
  apply(...args: (string | Uint8Array)[]): Reply {
    this.index++;
    return this.kv.apply(this.index, encodeCommand({ origin: 'n1', client: 0, seq: 0, firstUnanswered: 0, time: this.time, argv: argvOf(args) }));
  }

  read(...args: (string | Uint8Array)[]): Reply {
    return this.kv.read(argvOf(args), this.time);
  }

  advance(ms: number): void {
    this.time += ms;
  }
}

/** A reply in a compact comparable form: strings for bulk/simple, numbers, arrays, {err}. */
export type Plain = string | number | null | { err: string } | Plain[];

export function plain(reply: Reply): Plain {
  switch (reply.kind) {
    case 'simple': return reply.value;
    case 'error': return { err: reply.message };
    case 'integer': return Number(reply.value); // ioredis reads 64-bit integers as (rounded) numbers too
    case 'bulk': return reply.value === null ? null : Buffer.from(reply.value).toString('latin1');
    case 'array': return reply.value === null ? null : reply.value.map(plain);
    case 'double': return reply.text ?? formatRedisDouble(reply.value);
    case 'map':
    case 'pairs': return reply.value.flatMap(([k, v]) => [plain(k), plain(v)]);
    case 'set':
    case 'push': return reply.value.map(plain);
    case 'boolean': return reply.value ? 1 : 0;
    case 'bignum': return reply.value.toString();
    case 'verbatim': return reply.value;
    case 'null': return null;
    case 'attributed': return plain(reply.value);
  }
}
