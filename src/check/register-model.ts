// A single read / write / compare-and-set register, initially nil: the model of the
// Jepsen etcd histories, for harnesses that test one register.
import { REJECTED, describeValue, hashValue } from './model.js';
import type { Model, Rejected } from './model.js';

export type RegisterOp =
  | { readonly f: 'read' }
  | { readonly f: 'write'; readonly value: string }
  | { readonly f: 'cas'; readonly expected: string | null; readonly value: string };

/** read: the value (null = never written); cas: whether it swapped; write: 'ok'. */
export type RegisterResult = string | null | boolean;

export const registerModel: Model<string | null, RegisterOp, RegisterResult> = {
  name: 'register',
  init: () => null,
  step(state: string | null, op: RegisterOp, result: RegisterResult | undefined): string | null | Rejected {
    switch (op.f) {
      case 'read':
        return result === undefined || result === state ? state : REJECTED;
      case 'write':
        return op.value;
      case 'cas': {
        const swaps = state === op.expected;
        if (result === undefined) return swaps ? op.value : state;
        if (result !== swaps) return REJECTED;
        return swaps ? op.value : state;
      }
    }
  },
  equal: (a, b) => a === b,
  hash: hashValue,
  describeState: describeValue,
};
