// Shorthands for writing small histories by hand in the check tests.
import type { HistoryOp, KvOp, KvResult } from '../../src/check/history.js';

/** A completed operation. */
export function done(process: number, call: number, ret: number, op: KvOp, result: KvResult): HistoryOp {
  return { process, call, ret, op, result };
}

/** An operation with unknown outcome. */
export function unknown(process: number, call: number, op: KvOp): HistoryOp {
  return { process, call, ret: null, op };
}

export const get = (key: string): KvOp => ({ f: 'get', key });
export const put = (key: string, value: string): KvOp => ({ f: 'put', key, value });
export const append = (key: string, value: string): KvOp => ({ f: 'append', key, value });
export const del = (key: string): KvOp => ({ f: 'del', key });
export const incr = (key: string, by = 1): KvOp => ({ f: 'incr', key, by });
export const cas = (key: string, expected: string | null, value: string): KvOp => ({ f: 'cas', key, expected, value });
export const rpush = (key: string, value: string): KvOp => ({ f: 'rpush', key, value });
export const lrange = (key: string): KvOp => ({ f: 'lrange', key });
export const zadd = (key: string, score: number, member: string): KvOp => ({ f: 'zadd', key, member, score });
export const zrange = (key: string): KvOp => ({ f: 'zrange', key });
