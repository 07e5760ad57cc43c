// Host work in a script's instruction budget (script-instructions-max). Library functions
// written in JavaScript can do, within one Lua instruction, what a loop of thousands would:
// cjson and cmsgpack walk whole tables, table.concat/sort/insert/remove and unpack run over
// every element, a string pattern backtracks, strings are built byte by byte. Counted only in
// Lua instructions, one such call would run unbounded in apply, on every node at once. So each
// counts the instructions it is worth (calibrated below), and the budget bounds a script's
// time whatever it calls, as Redis's lua-time-limit does by the clock. Every count is a
// function of the script's values alone (elements, bytes, match steps), the same on every
// replica, so every replica stops the same script at the same point.
//

import fengari, { type LuaState } from 'fengari';

const { lua } = fengari;

/**
 * Instructions per unit of host work, measured as the unit's time over an empty loop's
 * instruction (docs/internals/scripting.md, "Host work"), rounded. Per element for the
 * codecs (a value or a key) and the table functions; per byte where code goes byte by byte.
 */
export const HOST_COST = {
  msgpackPack: 18,
  msgpackUnpack: 55,
  jsonEncode: 27,
  jsonDecode: 100,
  /** JSON text read or written, per byte. */
  jsonByte: 2,
  /** struct's format options (per character) and packed bytes. */
  structOption: 20,
  structByte: 2,
  sha1Byte: 3,
  /** table.concat per element joined (numbers are formatted on the way). */
  concat: 75,
  /** unpack and string.byte per value pushed. */
  pushValue: 8,
  /** table.insert and table.remove per element moved. */
  move: 16,
  /** table.sort per comparison (n·log2 n of them). */
  compare: 10,
  /** A string pattern's matcher per step. */
  matchStep: 1,
} as const;
/** Bytes of a string made (any string: a result, a concatenation, a reply) per instruction. */
export const STRING_BYTES_PER_INSTRUCTION = 256;
/** Units counted before they are charged: a charge per element would cost more than the element. */
const TALLY_BATCH = 256;

/** Adds instructions to the running script's count; stops the script (a Lua error) past its budget. */
export type ChargeWork = (L: LuaState, instructions: number) => void;

let meter: ChargeWork | null = null;

/** The running script's meter while it runs (null between runs: host work is then free). */
export function setWorkMeter(charge: ChargeWork | null): void {
  meter = charge;
  matchSteps.reset();
}

/** The running script's meter and its uncharged units, kept while the run is paused between slices (another VM in this process may run meanwhile). */
export interface PausedWorkMeter {
  readonly meter: ChargeWork | null;
  readonly matchUnits: number;
}

/** Takes the running script's meter off (its run pauses): what resumeWorkMeter puts back. */
export function pauseWorkMeter(): PausedWorkMeter {
  const paused = { meter, matchUnits: matchSteps.pending };
  setWorkMeter(null);
  return paused;
}

/** Puts a paused run's meter back, with the units it had not yet charged: its count is the one it would have had unpaused. */
export function resumeWorkMeter(paused: PausedWorkMeter): void {
  setWorkMeter(paused.meter);
  matchSteps.pending = paused.matchUnits;
}

export function chargeWork(L: LuaState, instructions: number): void {
  if (meter !== null && instructions > 0) meter(L, instructions);
}

/** Counts units of one kind and charges them in batches (and what is left, on flush). */
export class WorkTally {
  private units = 0;

  constructor(private readonly instructionsPerUnit: number) {}

  add(L: LuaState, units = 1): void {
    this.units += units;
    if (this.units >= TALLY_BATCH) this.flush(L);
  }

  flush(L: LuaState): void {
    const units = this.units;
    this.units = 0;
    chargeWork(L, Math.ceil(units * this.instructionsPerUnit));
  }

  reset(): void {
    this.units = 0;
  }

  /** Units counted and not yet charged. */
  get pending(): number {
    return this.units;
  }

  set pending(units: number) {
    this.units = units;
  }
}

const matchSteps = new WorkTally(HOST_COST.matchStep);
let installed = false;

/**
 * Counts the string library's pattern matcher's steps. fengari's matcher (lstrlib.js, not
 * exported) lowers `matchdepth` on its MatchState at every step (each try at a position,
 * each backtrack of `-`, `*`, `?`): an accessor on the class's prototype sees each one. The
 * prototype is reached through the state a gmatch iterator keeps as its third upvalue.
 */
export function installMatchCounter(L: LuaState): void {
  if (installed) return;
  lua.lua_getglobal(L, 'string');
  lua.lua_getfield(L, -1, 'gmatch');
  lua.lua_pushliteral(L, '');
  lua.lua_pushliteral(L, '');
  lua.lua_call(L, 2, 1);
  lua.lua_getupvalue(L, -1, 3);
  const state = lua.lua_touserdata(L, -1) as { ms?: object } | null;
  lua.lua_pop(L, 3);
  const prototype = state?.ms === undefined ? null : Object.getPrototypeOf(state.ms) as object;
  if (prototype === null || !('matchdepth' in state!.ms!)) throw new Error('kv: fengari\'s pattern matcher is not where this build expects it');
  installed = true;
  const depth = Symbol('matchdepth');
  type Counted = { [depth]: number; L: LuaState };
  Object.defineProperty(prototype, 'matchdepth', {
    configurable: false,
    get(this: Counted): number {
      return this[depth];
    },
    set(this: Counted, value: number) {
      // A step lowers the depth by one; raising it back (a step returning) and the reset
      // before each match are not steps.
      const stepped = value === this[depth] - 1;
      this[depth] = value;
      if (stepped) matchSteps.add(this.L);
    },
  });
}

/** A table's raw length (no __len: the count must not run Lua), or 0 when `index` is not a table. */
function rawLength(L: LuaState, index: number): number {
  return lua.lua_type(L, index) === lua.LUA_TTABLE ? lua.lua_rawlen(L, index) : 0;
}

/** An optional integer argument, or `fallback` when absent or not a number (the original function reports bad ones). */
function optionalInteger(L: LuaState, index: number, fallback: number): number {
  return lua.lua_type(L, index) === lua.LUA_TNUMBER ? Math.trunc(lua.lua_tonumber(L, index)) : fallback;
}

/** Instructions each table function is about to spend, from its arguments (charged before it runs). */
const tableWork: Record<string, (L: LuaState) => number> = {
  concat: (L) => HOST_COST.concat * (optionalInteger(L, 4, rawLength(L, 1)) - optionalInteger(L, 3, 1) + 1),
  insert: (L) => HOST_COST.move * (lua.lua_gettop(L) === 3 ? rawLength(L, 1) - optionalInteger(L, 2, 0) + 1 : 1),
  remove: (L) => HOST_COST.move * (rawLength(L, 1) - optionalInteger(L, 2, rawLength(L, 1)) + 1),
  sort: (L) => {
    const n = rawLength(L, 1);
    return HOST_COST.compare * n * Math.ceil(Math.log2(n + 1));
  },
  unpack: (L) => HOST_COST.pushValue * (optionalInteger(L, 3, rawLength(L, 1)) - optionalInteger(L, 2, 1) + 1),
};

/** string.byte pushes one number per byte of its range. */
const stringWork: Record<string, (L: LuaState) => number> = {
  byte: (L) => {
    const length = lua.lua_type(L, 1) === lua.LUA_TSTRING ? (lua.lua_tolstring(L, 1)?.length ?? 0) : 0;
    // Lua's positions: negative ones count from the end.
    const position = (at: number): number => (at >= 0 ? at : Math.max(0, length + at + 1));
    const first = position(optionalInteger(L, 2, 1));
    return HOST_COST.pushValue * (Math.min(length, position(optionalInteger(L, 3, first))) - Math.max(1, first) + 1);
  },
};

/**
 * Replaces the functions of library `name` (already opened) that go over many elements with
 * ones that charge that work first, then do it. The originals are called directly, in the
 * same frame: they see the same arguments.
 */
function chargeLibrary(L: LuaState, name: string, work: Record<string, (L: LuaState) => number>): void {
  lua.lua_getglobal(L, name);
  for (const [field, count] of Object.entries(work)) {
    lua.lua_getfield(L, -1, field);
    const original = lua.lua_tocfunction(L, -1);
    lua.lua_pop(L, 1);
    if (original === null) throw new Error(`kv: ${name}.${field} is not a host function`);
    lua.lua_pushcfunction(L, (state) => {
      chargeWork(state, Math.min(count(state), 2 ** 40));
      return original(state);
    });
    lua.lua_setfield(L, -2, field);
  }
  lua.lua_pop(L, 1);
}

/** Makes the standard libraries' element-wise functions count their work (before the sandbox copies them). */
export function chargeStandardLibraries(L: LuaState): void {
  chargeLibrary(L, 'table', tableWork);
  chargeLibrary(L, 'string', stringWork);
  installMatchCounter(L);
}
