// The history model shared by everything that records client histories (the simulator,
// the chaos suite, the checker's parsers): one entry per operation, with its process,
// call time, return time and result. The checker in this folder consumes it.

/** One key-value operation as a client issued it. */
export type KvOp =
  | { readonly f: 'get'; readonly key: string }
  | { readonly f: 'put'; readonly key: string; readonly value: string }
  | { readonly f: 'append'; readonly key: string; readonly value: string }
  | { readonly f: 'del'; readonly key: string }
  | { readonly f: 'incr'; readonly key: string; readonly by: number }
  | { readonly f: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string }
  /** RPUSH of one element; elements are one character each, so a list reads as their concatenation. */
  | { readonly f: 'rpush'; readonly key: string; readonly value: string }
  /** LRANGE key 0 -1, read as the elements concatenated ('' for an absent key). */
  | { readonly f: 'lrange'; readonly key: string }
  /** ZADD key score member. */
  | { readonly f: 'zadd'; readonly key: string; readonly member: string; readonly score: number }
  /** ZRANGE key 0 -1 WITHSCORES, read as `member:score` pairs joined by ',' in rank order ('' for an absent key). */
  | { readonly f: 'zrange'; readonly key: string };

export type KvFunction = KvOp['f'];

/**
 * What a completed operation returned:
 * get: the value, null when the key is absent; cas: whether it swapped;
 * incr: the value after incrementing; put / append / del: the string 'ok';
 * rpush: the list's length after; zadd: members added (0 or 1); lrange / zrange: the text above.
 */
export type KvResult = string | null | boolean | number;

/** The result every put, append and del returns. */
export const OK = 'ok';

/**
 * One operation of a history. Times are in any unit that only has to be ordered
 * (milliseconds, virtual ticks, line numbers); an operation whose call time is later
 * than another's return time happened after it in real time.
 *
 * `ret === null` means the outcome is unknown (timed out, crashed, never answered): the
 * operation may have taken effect at any point after its call, or never. Such an entry
 * carries no `result`. Operations that definitely did not happen (a `fail`) are not
 * part of a history at all.
 */
export interface HistoryOp {
  readonly process: number;
  readonly call: number;
  readonly ret: number | null;
  readonly op: KvOp;
  /** Present exactly when `ret !== null`. */
  readonly result?: KvResult;
}

/** Why a result does not fit its operation, or null when it fits. */
export function resultMismatch(op: KvOp, result: KvResult): string | null {
  switch (op.f) {
    case 'get':
      return result === null || typeof result === 'string' ? null : 'get returns a string or null';
    case 'cas':
      return typeof result === 'boolean' ? null : 'cas returns a boolean';
    case 'incr':
    case 'rpush':
    case 'zadd':
      return typeof result === 'number' && Number.isSafeInteger(result) ? null : `${op.f} returns an integer`;
    case 'lrange':
    case 'zrange':
      return typeof result === 'string' ? null : `${op.f} returns a string`;
    case 'put':
    case 'append':
    case 'del':
      return result === OK ? null : `${op.f} returns "ok"`;
    default:
      return exhaustive(op);
  }
}

export function exhaustive(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
