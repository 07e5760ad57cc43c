// Faster equivalents of a few of fengari's functions, installed once per process, each
// computing exactly what the original does (what a script computes does not change). They
// replace the functions on fengari's module objects, through which the interpreter
// (lvm.js), the API (lapi.js), metamethods (ltm.js) and raftis's own code call them;
// fengari's calls inside one module keep the originals. Kept to fengari 0.1.5's code: an
// upgrade of fengari must compare them with its sources again (test/kv/script-commands.test.ts
// and the redis-server comparison run every path).
//
// The stack. fengari keeps a Lua state's stack as a JavaScript array of TValue objects and
// empties a slot with `delete stack[i]`, which V8 runs through its generic property-deletion
// path, several times an assignment's cost. Every call moves the stack's top by a frame:
// after a call returns into a Lua function, the top goes back to the end of the caller's
// frame (its registers made again as nil values) and the next call cuts it back to its
// arguments. A function with many registers pays that per call: BullMQ's scripts, whose main
// chunks hold 36 to 76 registers (their included helpers' locals), spent a third of their
// interpreter time there. adjust_top, luaD_poscall (with moveresults), luaD_precall and the
// luaD_call and luaD_callnoyield that reach it are ldo.js's, line for line, except that a
// slot is emptied by storing `undefined`. A slot above the top is never read before it is
// written again (fengari makes a new TValue for every slot the top grows over), so the two
// are the same to every reader. The rare paths (a value called through __call, a vararg
// function's frame, the call depth limit) are left to the originals.
//
// The API's raw sets (lua_rawset, lua_rawseti) pop with delete too; raftis fills every table
// it makes for a script with them, so they get the same treatment.
//
// Table reads. Every global a script reads (`redis`, `KEYS`) and every field (`redis.call`)
// goes through ltable.luaH_get, two or three times per name: the script's globals and the
// library tables are read-only proxies (sandbox-lua.ts), an empty table whose __index is the
// real one. fengari's luaH_get checks the key for nil and NaN, then finds its map key through
// a type switch and, for a string, luaS_hashlongstr; below, a string key (the common case: a
// constant name) and a number key (KEYS[1]; raftis's numerals are floats, as Lua 5.1's) go
// straight to the map with the key fengari computes (the string's `hash`, string-hash.ts; the
// number itself), anything else to fengari's own; luaH_getstr, which finds each proxy's
// __index, likewise.
//
// Strings. lua_pushstring copies its bytes with Uint8Array.from, which walks them through the
// iteration protocol (~400 ns for a 40-byte key, microseconds for a job's data); the copy
// below is the typed-array copy (~70 ns). Every reply string, KEYS and ARGV element and
// decoded MessagePack string is pushed this way.

import fengari, { type LuaApi } from 'fengari';
import defs from 'fengari/src/defs.js';
import ldo from 'fengari/src/ldo.js';
import lobject from 'fengari/src/lobject.js';
import lstring from 'fengari/src/lstring.js';
import ltable from 'fengari/src/ltable.js';
import lvm from 'fengari/src/lvm.js';
import llimits from 'fengari/src/llimits.js';
import lopcodes from 'fengari/src/lopcodes.js';
import lstate, { type CallInfo, type FengariState, type StackValue } from 'fengari/src/lstate.js';

const { LUA_MULTRET, LUA_MINSTACK, LUA_MASKCALL, LUA_MASKRET, LUA_MASKLINE, LUA_HOOKCALL, LUA_HOOKRET, LUA_HOOKTAILCALL } = defs;
const { LUA_TNIL, LUA_TLCL, LUA_TLCF, LUA_TCCL, LUA_TSHRSTR, LUA_TLNGSTR, LUA_TNUMINT, LUA_TNUMFLT, LUA_TTABLE } = defs.constant_types;
const { CIST_OAH, CIST_LUA, CIST_TAIL } = lstate;
const { OP_TAILCALL } = lopcodes.OpCodesI;
const { LUAI_MAXCCALLS } = llimits;
const { LUA_REGISTRYINDEX } = fengari.lua;

let installed = false;

/** A new nil value (a stack slot's, or one to store: storing nil removes a table's key). */
export function nilValue(): StackValue {
  return new lobject.TValue(LUA_TNIL, null);
}

/** ldo.adjust_top: grows the top over new nil slots, or cuts it back. */
function adjustTop(L: FengariState, newtop: number): void {
  const stack = L.stack;
  let top = L.top;
  if (top < newtop) {
    while (top < newtop) stack[top++] = nilValue();
  } else {
    while (top > newtop) stack[--top] = undefined;
  }
  L.top = top;
}

/** ldo.moveresults: the callee's `nres` results from `firstResult` to `res`, as many as `wanted`. */
function moveResults(L: FengariState, firstResult: number, res: number, nres: number, wanted: number): boolean {
  const stack = L.stack;
  switch (wanted) {
    case 0:
      break;
    case 1:
      if (nres === 0) (stack[res] as StackValue).setnilvalue();
      else (stack[res] as StackValue).setfrom(stack[firstResult] as StackValue);
      break;
    case LUA_MULTRET: {
      for (let i = 0; i < nres; i++) (stack[res + i] as StackValue).setfrom(stack[firstResult + i] as StackValue);
      for (let i = L.top; i >= res + nres; i--) stack[i] = undefined;
      L.top = res + nres;
      return false;
    }
    default: {
      let i;
      if (wanted <= nres) {
        for (i = 0; i < wanted; i++) (stack[res + i] as StackValue).setfrom(stack[firstResult + i] as StackValue);
      } else {
        for (i = 0; i < nres; i++) (stack[res + i] as StackValue).setfrom(stack[firstResult + i] as StackValue);
        for (; i < wanted; i++) {
          if (res + i >= L.top) stack[res + i] = nilValue();
          else (stack[res + i] as StackValue).setnilvalue();
        }
      }
      break;
    }
  }
  const newtop = res + wanted;
  for (let i = L.top; i >= newtop; i--) stack[i] = undefined;
  L.top = newtop;
  return true;
}

/** ldo.luaD_poscall: finishes a call, its results moved where the caller wants them. */
function posCall(L: FengariState, ci: CallInfo, firstResult: number, nres: number): boolean {
  const wanted = ci.nresults;
  if (L.hookmask & (LUA_MASKRET | LUA_MASKLINE)) {
    if (L.hookmask & LUA_MASKRET) ldo.luaD_hook(L, LUA_HOOKRET, -1);
    L.oldpc = (ci.previous as CallInfo).l_savedpc;
  }
  const res = ci.funcOff;
  L.ci = ci.previous as CallInfo;
  L.ci.next = null;
  return moveResults(L, firstResult, res, nres, wanted);
}

/**
 * ldo.luaD_precall: a host function is called here (true), a Lua function's frame is set up
 * for the interpreter to run (false). Vararg Lua functions and values called through __call
 * go to fengari's own.
 */
function makePreCall(original: typeof ldo.luaD_precall): typeof ldo.luaD_precall {
  return (L, off, nresults) => {
    const func = L.stack[off] as StackValue;
    switch (func.type) {
      case LUA_TCCL:
      case LUA_TLCF:
        return callHost(L, off, nresults, func);
      case LUA_TLCL: {
        const p = (func.value as { p: LuaProto }).p;
        if (p.is_vararg) return original(L, off, nresults);
        enterLua(L, off, nresults, func, p);
        return false;
      }
      default:
        return original(L, off, nresults);
    }
  };
}

interface LuaProto {
  readonly is_vararg: boolean;
  readonly numparams: number;
  readonly maxstacksize: number;
  readonly code: readonly { readonly opcode: number }[];
}

function callHost(L: FengariState, off: number, nresults: number, func: StackValue): boolean {
  const f = (func.type === LUA_TCCL ? (func.value as { f: (L: FengariState) => number }).f : func.value) as (L: FengariState) => number;
  ldo.luaD_checkstack(L, LUA_MINSTACK);
  const ci = lstate.luaE_extendCI(L);
  ci.funcOff = off;
  ci.nresults = nresults;
  ci.func = func;
  ci.top = L.top + LUA_MINSTACK;
  ci.callstatus = hostCallStatus(L);
  if (L.hookmask & LUA_MASKCALL) ldo.luaD_hook(L, LUA_HOOKCALL, -1);
  const n = f(L);
  if (typeof n !== 'number' || n < 0 || (n | 0) !== n) throw Error('invalid return value from JS function (expected integer)');
  if (n >= L.top - ci.funcOff) throw Error('not enough elements in the stack');
  posCall(L, ci, L.top - n, n);
  return true;
}

/**
 * A host function's call status: 0, with CIST_OAH while hooks may run. Lua's lua_pcallk saves
 * `allowhook` in CIST_OAH where a yieldable pcall (one in a coroutine) starts, and error
 * recovery puts it back from there; fengari's lua_pcallk only ever clears the bit
 * (`callstatus &= ~CIST_OAH | allowhook`), so a pcall in a coroutine whose frame did not have it
 * set already would recover with hooks off: the instruction budget would stop counting after
 * the first error a pcall caught (the budget's own included), and a runaway loop would run
 * forever. Setting the bit here (what Lua's setoah sets) makes fengari's line keep it.
 */
export function hostCallStatus(L: FengariState): number {
  return L.allowhook ? CIST_OAH : 0;
}

function enterLua(L: FengariState, off: number, nresults: number, func: StackValue, p: LuaProto): void {
  let n = L.top - off - 1;
  const fsize = p.maxstacksize;
  ldo.luaD_checkstack(L, fsize);
  for (; n < p.numparams; n++) L.stack[L.top++] = nilValue();
  const base = off + 1;
  const ci = lstate.luaE_extendCI(L);
  ci.funcOff = off;
  ci.nresults = nresults;
  ci.func = func;
  ci.l_base = base;
  ci.top = base + fsize;
  adjustTop(L, ci.top);
  ci.l_code = p.code;
  ci.l_savedpc = 0;
  ci.callstatus = CIST_LUA;
  if (L.hookmask & LUA_MASKCALL) callHook(L, ci);
}

/** ldo's callhook (not exported): the call hook of a Lua function, run with the next instruction counted. */
function callHook(L: FengariState, ci: CallInfo): void {
  let hook = LUA_HOOKCALL;
  ci.l_savedpc++;
  if ((ci.previous as CallInfo).callstatus & CIST_LUA && (ci.previous as CallInfo).l_code[(ci.previous as CallInfo).l_savedpc - 1]?.opcode === OP_TAILCALL) {
    ci.callstatus |= CIST_TAIL;
    hook = LUA_HOOKTAILCALL;
  }
  ldo.luaD_hook(L, hook, -1);
  ci.l_savedpc--;
}

/**
 * ldo.luaD_call, through the precall above (fengari's own calls its module-local precall):
 * for-in loops call their iterator (next, ipairs' step) this way every iteration, and the API
 * (lua_call) and metamethods too. At the depth limit, fengari's own raises its error.
 */
function makeCall(original: typeof ldo.luaD_call): typeof ldo.luaD_call {
  return (L, off, nresults) => {
    if (L.nCcalls + 1 >= LUAI_MAXCCALLS) return original(L, off, nresults);
    L.nCcalls++;
    if (!ldo.luaD_precall(L, off, nresults)) lvm.luaV_execute(L);
    L.nCcalls--;
  };
}

/** ldo.luaD_callnoyield: luaD_call where the callee may not yield. */
function callNoYield(L: FengariState, off: number, nresults: number): void {
  L.nny++;
  ldo.luaD_call(L, off, nresults);
  L.nny--;
}

/** lapi.lua_pushstring: a copy of `s` (bytes, or a JavaScript string's UTF-8) as a new Lua string; nil for none. */
function pushString(L: FengariState, s: Uint8Array | string | null | undefined): Uint8Array | null | undefined {
  if (s === undefined || s === null) {
    L.stack[L.top++] = nilValue();
  } else {
    const bytes = typeof s === 'string' ? fengari.to_luastring(s) : copyBytes(s);
    lobject.pushsvalue2s(L, lstring.luaS_bless(L, bytes));
    s = bytes;
  }
  if (L.top > L.ci.top) throw Error('stack overflow');
  return s;
}

function copyBytes(s: Uint8Array): Uint8Array {
  if (!(s instanceof Uint8Array)) throw new TypeError('expects an array of bytes or javascript string');
  return new Uint8Array(s);
}

/**
 * A new table of `values` as Lua strings at 1..n, as lua_createtable, lua_pushstring and
 * lua_rawseti make it, without the stack (KEYS and ARGV, for every run).
 */
export function stringArray(L: FengariState, values: readonly Uint8Array[]): StackValue {
  const table = ltable.luaH_new(L);
  for (let i = 0; i < values.length; i++) ltable.luaH_setint(table, i + 1, new lobject.TValue(LUA_TLNGSTR, lstring.luaS_bless(L, copyBytes(values[i] as Uint8Array))));
  return new lobject.TValue(LUA_TTABLE, table);
}

/**
 * Pushes a new table {[key] = text}, `key` a Lua string object and `text` made a new Lua
 * string of its latin1 bytes, as lua_createtable, lua_pushstring and lua_rawset make it:
 * redis.call's status and error replies ({ok = 'OK'}, {err = ...}), the commonest tables a
 * script gets, without the stack and the byte copies in between.
 */
export function pushStringField(L: FengariState, key: unknown, text: string): void {
  const table = ltable.luaH_new(L);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  ltable.luaH_setfrom(L, table, new lobject.TValue(LUA_TLNGSTR, key), new lobject.TValue(LUA_TLNGSTR, lstring.luaS_bless(L, bytes)));
  ltable.invalidateTMcache(table);
  L.stack[L.top++] = new lobject.TValue(LUA_TTABLE, table);
  if (L.top > L.ci.top) throw Error('stack overflow');
}

/** lua_rawset of `key` to `value` in `table` (values, not stack slots), as lapi does it. */
export function rawSet(L: FengariState, table: StackValue, key: StackValue, value: StackValue): void {
  ltable.luaH_setfrom(L, table.value, key, value);
  ltable.invalidateTMcache(table.value);
}

/** A copy of the value in stack slot `idx` (negative: from the top), which the stack may overwrite later. */
export function stackValue(L: FengariState, idx: number): StackValue {
  const slot = L.stack[idx < 0 ? L.top + idx : idx] as StackValue;
  return new lobject.TValue(slot.type, slot.value);
}

/** The table at stack index `idx` (negative: from the top) for lapi's raw sets, as lapi checks it. */
function tableBelowTop(L: FengariState, idx: number, values: number): StackValue {
  if (values >= L.top - L.ci.funcOff) throw Error('not enough elements in the stack');
  if (-idx > L.top) throw Error('invalid index');
  const table = L.stack[L.top + idx] as StackValue;
  if (!table.ttistable()) throw Error('table expected');
  return table;
}

/**
 * lapi.lua_rawseti: t[n] = the value on top, popped; the tables raftis builds for scripts
 * (KEYS, ARGV, array replies, MessagePack and JSON arrays) are filled this way. An index that
 * is not below the top (a pseudo-index) goes to fengari's own.
 */
function makeRawSetI(original: LuaApi['lua_rawseti']): LuaApi['lua_rawseti'] {
  return (state, idx, n) => {
    const L = state as FengariState;
    if (idx >= 0 || idx <= LUA_REGISTRYINDEX) return original(state, idx, n);
    if (typeof n !== 'number' || (n | 0) !== n) throw new TypeError('invalid argument');
    const table = tableBelowTop(L, idx, 1);
    ltable.luaH_setint(table.value, n, L.stack[L.top - 1] as StackValue);
    L.stack[--L.top] = undefined;
  };
}

/** lapi.lua_rawset: t[k] = v with key and value on top, both popped (maps, status tables). */
function makeRawSet(original: LuaApi['lua_rawset']): LuaApi['lua_rawset'] {
  return (state, idx) => {
    const L = state as FengariState;
    if (idx >= 0 || idx <= LUA_REGISTRYINDEX) return original(state, idx);
    const table = tableBelowTop(L, idx, 2);
    ltable.luaH_setfrom(L, table.value, L.stack[L.top - 2] as StackValue, L.stack[L.top - 1] as StackValue);
    ltable.invalidateTMcache(table.value);
    L.stack[--L.top] = undefined;
    L.stack[--L.top] = undefined;
  };
}

interface MapTable {
  readonly strong: Map<unknown, { readonly value: StackValue }>;
}

/** The map key of a Lua string (see makeTableGet). */
function stringHash(ts: unknown): string {
  // A string made before string-hash.ts installed its accessor holds `hash` itself, null
  // until fengari's luaS_hashlongstr fills it.
  return (ts as { hash: string | null }).hash ?? lstring.luaS_hashlongstr(ts);
}

/** ltable.luaH_getstr (metamethod look-ups: every __index a proxy's read goes through): the map, straight. */
function tableGetString(t: unknown, key: unknown): StackValue {
  const entry = (t as MapTable).strong.get(stringHash(key));
  return entry === undefined ? lobject.luaO_nilobject : entry.value;
}

/** ltable.luaH_get for string and integer keys (the map key fengari's table_hash gives them); others to fengari's. */
function makeTableGet(original: typeof ltable.luaH_get): typeof ltable.luaH_get {
  return (L, t, key) => {
    const type = key.type;
    let hash: unknown;
    if (type === LUA_TSHRSTR || type === LUA_TLNGSTR) hash = stringHash(key.value);
    else if (type === LUA_TNUMINT || (type === LUA_TNUMFLT && !Number.isNaN(key.value))) hash = key.value;
    else return original(L, t, key);
    const entry = (t as MapTable).strong.get(hash);
    return entry === undefined ? lobject.luaO_nilobject : entry.value;
  };
}

/** Replaces fengari's functions with the ones above; idempotent. */
export function installFengariFastPaths(): void {
  if (installed) return;
  installed = true;
  ldo.luaD_precall = makePreCall(ldo.luaD_precall);
  ldo.luaD_poscall = posCall;
  ldo.adjust_top = adjustTop;
  ldo.luaD_call = makeCall(ldo.luaD_call);
  ldo.luaD_callnoyield = callNoYield;
  ltable.luaH_get = makeTableGet(ltable.luaH_get);
  ltable.luaH_getstr = tableGetString;
  const api = fengari.lua as unknown as { lua_pushstring: typeof pushString } & Pick<LuaApi, 'lua_rawset' | 'lua_rawseti'>;
  api.lua_pushstring = pushString;
  api.lua_rawseti = makeRawSetI(api.lua_rawseti);
  api.lua_rawset = makeRawSet(api.lua_rawset);
}
