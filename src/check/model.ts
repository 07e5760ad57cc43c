// The sequential specification the linearizability search checks a history against, in
// the shape Porcupine uses: an initial state, a step function that either accepts an
// operation with its observed result or rejects it, and state equality plus a hash so
// the search can memoize (linearized set, state) pairs.

/** Returned by Model.step when the operation cannot have produced that result in that state. */
export const REJECTED: unique symbol = Symbol('rejected');
export type Rejected = typeof REJECTED;

export interface Model<State, Op, Result> {
  readonly name: string;
  init(): State;
  /**
   * The state after applying `op` to `state`, given it returned `result`, or REJECTED.
   * `result` is undefined when the outcome is unknown: then any effect the operation
   * could have is accepted. Must be pure: the search calls it many times per operation.
   */
  step(state: State, op: Op, result: Result | undefined): State | Rejected;
  equal(a: State, b: State): boolean;
  /** A 32-bit hash consistent with `equal`. */
  hash(state: State): number;
  describeState(state: State): string;
}

/** FNV-1a over the UTF-16 code units of a string: cheap and good enough for a memo table. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

/** Hash of a nullable string value, distinct for null and "". */
export function hashValue(value: string | null): number {
  return value === null ? 0x5bd1e995 : hashString(value);
}

/** How values appear in reports: nil, or a JSON-quoted string. */
export function describeValue(value: string | null): string {
  return value === null ? 'nil' : JSON.stringify(value);
}
