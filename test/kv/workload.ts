// Random command workloads for property tests: a small key set so commands collide, values
// that exercise counters, floats and ranges, expiries short enough to fire.

import fc from 'fast-check';

const keys = ['a', 'b', 'c', 'd', 'e', 'k\x00bin', '\xff'];
const values = ['1', 'x', '10.5', '', '-3', 'hello world', '9223372036854775807'];
const integers = ['1', '-1', '0', '100', '2500', 'abc', '-100'];

const key = fc.constantFrom(...keys);
const value = fc.constantFrom(...values);
const integer = fc.constantFrom(...integers);

export const commandArbitrary: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(fc.constant('SET'), key, value).map((t) => [...t]),
  fc.tuple(fc.constant('SET'), key, value, fc.constantFrom('PX', 'EX'), integer).map((t) => [...t]),
  fc.tuple(fc.constant('SET'), key, value, fc.constantFrom('NX', 'XX', 'GET', 'KEEPTTL')).map((t) => [...t]),
  fc.tuple(fc.constant('SET'), key, value, fc.constant('IFEQ'), value).map((t) => [...t]),
  fc.tuple(fc.constantFrom('GET', 'INCR', 'DECR', 'DEL', 'PERSIST', 'GETDEL', 'TTL', 'PTTL', 'STRLEN', 'EXISTS', 'TYPE'), key).map((t) => [...t]),
  fc.tuple(fc.constantFrom('INCRBY', 'DECRBY', 'EXPIRE', 'PEXPIRE', 'SETNX', 'APPEND', 'GETSET'), key, integer).map((t) => [...t]),
  fc.tuple(fc.constant('INCRBYFLOAT'), key, fc.constantFrom('0.1', '-2.5', '1e3', 'x')).map((t) => [...t]),
  fc.tuple(fc.constant('GETEX'), key, fc.constantFrom('PX', 'EX'), integer).map((t) => [...t]),
  fc.tuple(fc.constant('SETRANGE'), key, fc.constantFrom('0', '3', '-1'), value).map((t) => [...t]),
  fc.tuple(fc.constantFrom('RENAME', 'RENAMENX'), key, key).map((t) => [...t]),
  fc.tuple(fc.constant('MSET'), key, value, key, value).map((t) => [...t]),
  fc.tuple(fc.constant('RAFTIS.EXPIRE'), key, key).map((t) => [...t]),
  fc.constant<string[]>(['FLUSHDB']),
);

export interface TimedCommand {
  readonly advanceMs: number;
  readonly args: readonly string[];
}

export const workloadArbitrary: fc.Arbitrary<TimedCommand[]> = fc.array(
  fc.record({ advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })), args: commandArbitrary }),
  { maxLength: 120 },
);
