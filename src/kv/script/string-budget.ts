// A deterministic bound on the memory a script can take: the bytes of the strings it creates,
// counted as they are made. fengari has no allocator to count (its memory is the JavaScript
// heap's), but every Lua string is one object of its TString class, whose constructor stores
// the bytes; an accessor on the class's prototype sees each store. The count depends only on
// what the script does, so every replica stops the same script at the same string, and
// strings are what a runaway script grows (tables grow one instruction per element, which the
// instruction budget bounds).

import lstring from 'fengari/src/lstring.js';

/** Thrown from inside fengari when a run's strings pass its budget; the VM turns it into the run's error. */
export class StringBudgetExceeded extends Error {
  constructor(readonly limitBytes: number) {
    super(`script used more than ${limitBytes} bytes of strings`);
  }
}

export interface Budget {
  readonly limitBytes: number;
  remainingBytes: number;
}

let active: Budget | null = null;
/** Host code (the VM's error handlers) making strings while a run's budget is spent: not counted. */
let suspended = false;
let installed = false;

/** Starts counting against `limitBytes` (a run begins) or stops (null: between runs, all strings are free). */
export function setStringBudget(limitBytes: number | null): void {
  active = limitBytes === null ? null : { limitBytes, remainingBytes: limitBytes };
}

/** Takes the current run's budget off (its run pauses between slices): what resumeStringBudget puts back. */
export function pauseStringBudget(): Budget | null {
  const paused = active;
  active = null;
  return paused;
}

/** Puts a paused run's budget back, with what it has left. */
export function resumeStringBudget(paused: Budget | null): void {
  active = paused;
}

/** Bytes of strings the current run has made so far (0 between runs). */
export function stringBytesUsed(): number {
  return active === null ? 0 : active.limitBytes - active.remainingBytes;
}

/** True when the current run's strings went past its budget. */
export function stringBudgetSpent(): boolean {
  return active !== null && active.remainingBytes < 0;
}

/** Runs `fn` with the budget not counting: the VM's own error handling must make strings even after the run's are spent. */
export function outsideStringBudget<T>(fn: () => T): T {
  const outer = suspended;
  suspended = true;
  try {
    return fn();
  } finally {
    suspended = outer;
  }
}

/** Throws if a string of `bytes` would not fit what the run has left (checked before building a big one). */
export function checkStringBudget(bytes: number): void {
  const budget = active;
  if (budget !== null && !suspended && bytes > budget.remainingBytes) throw new StringBudgetExceeded(budget.limitBytes);
}

/** Puts the counting accessor on fengari's TString once per process. */
export function installStringBudget(): void {
  if (installed) return;
  installed = true;
  const stored = Symbol('bytes');
  type Counted = { [stored]: Uint8Array };
  Object.defineProperty(lstring.TString.prototype, 'realstring', {
    configurable: false,
    get(this: Counted): Uint8Array {
      return this[stored];
    },
    set(this: Counted, bytes: Uint8Array) {
      const budget = active;
      if (budget !== null && !suspended) {
        budget.remainingBytes -= bytes.length;
        if (budget.remainingBytes < 0) throw new StringBudgetExceeded(budget.limitBytes);
      }
      this[stored] = bytes;
    },
  });
}
