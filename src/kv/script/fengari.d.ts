// The part of fengari's API (Lua 5.3 in JavaScript, a C-API mirror) that raftis uses. fengari
// ships no types; these follow its sources (src/lapi.js, src/lauxlib.js, src/ldebug.js).

declare module 'fengari' {
  /** A Lua thread (lua_State). */
  export interface LuaState { readonly __luaState: unique symbol }
  export type LuaString = Uint8Array;
  export type LuaKey = LuaString | string;
  export type CFunction = (L: LuaState) => number;
  export interface DebugRecord { currentline: number; source: LuaString | null; what: LuaString | null }
  export type Hook = (L: LuaState, ar: DebugRecord) => void;
  /** A continuation (lua_KFunction): where a C function goes on after a call it made yielded. */
  export type KFunction = (L: LuaState, status: number, ctx: number) => number;

  export interface LuaApi {
    readonly LUA_OK: 0;
    readonly LUA_YIELD: 1;
    readonly LUA_ERRRUN: 2;
    readonly LUA_ERRSYNTAX: 3;
    readonly LUA_ERRMEM: 4;
    readonly LUA_MULTRET: -1;
    readonly LUA_TNIL: 0;
    readonly LUA_TBOOLEAN: 1;
    readonly LUA_TLIGHTUSERDATA: 2;
    readonly LUA_TNUMBER: 3;
    readonly LUA_TSTRING: 4;
    readonly LUA_TTABLE: 5;
    readonly LUA_TFUNCTION: 6;
    readonly LUA_MASKCOUNT: number;
    readonly LUA_REGISTRYINDEX: number;
    readonly LUA_RIDX_GLOBALS: number;
    lua_absindex(L: LuaState, index: number): number;
    lua_atnativeerror(L: LuaState, handler: CFunction | null): CFunction | null;
    lua_checkstack(L: LuaState, n: number): boolean;
    lua_call(L: LuaState, nargs: number, nresults: number): void;
    lua_close(L: LuaState): void;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_error(L: LuaState): never;
    lua_getfield(L: LuaState, index: number, k: LuaKey): number;
    lua_getglobal(L: LuaState, name: LuaKey): number;
    lua_getinfo(L: LuaState, what: LuaKey, ar: DebugRecord): number;
    lua_getstack(L: LuaState, level: number, ar: DebugRecord): number;
    lua_gettop(L: LuaState): number;
    lua_isinteger(L: LuaState, index: number): boolean;
    lua_next(L: LuaState, index: number): number;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_pcallk(L: LuaState, nargs: number, nresults: number, msgh: number, ctx: number, k: KFunction): number;
    lua_insert(L: LuaState, index: number): void;
    lua_isyieldable(L: LuaState): boolean;
    lua_newthread(L: LuaState): LuaState;
    lua_resume(L: LuaState, from: LuaState | null, nargs: number): number;
    lua_status(L: LuaState): number;
    lua_yield(L: LuaState, nresults: number): number;
    lua_yieldk(L: LuaState, nresults: number, ctx: number, k: KFunction): number;
    lua_pop(L: LuaState, n: number): void;
    lua_pushboolean(L: LuaState, b: boolean): void;
    lua_pushcfunction(L: LuaState, f: CFunction): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushliteral(L: LuaState, s: string): void;
    lua_pushlightuserdata(L: LuaState, p: object): void;
    lua_touserdata(L: LuaState, index: number): unknown;
    /** The object behind a table, function, thread or userdata (fengari gives the object itself). */
    lua_topointer(L: LuaState, index: number): unknown;
    lua_typename(L: LuaState, type: number): LuaString;
    lua_pushnil(L: LuaState): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: LuaString): void;
    lua_pushvalue(L: LuaState, index: number): void;
    lua_rawget(L: LuaState, index: number): number;
    lua_rawgeti(L: LuaState, index: number, n: number): number;
    lua_rawlen(L: LuaState, index: number): number;
    lua_rawset(L: LuaState, index: number): void;
    lua_replace(L: LuaState, index: number): void;
    lua_rawseti(L: LuaState, index: number, n: number): void;
    lua_setfield(L: LuaState, index: number, k: LuaKey): void;
    lua_setglobal(L: LuaState, name: LuaKey): void;
    lua_sethook(L: LuaState, f: Hook | null, mask: number, count: number): void;
    lua_setmetatable(L: LuaState, index: number): void;
    lua_setupvalue(L: LuaState, funcindex: number, n: number): LuaString | null;
    lua_getupvalue(L: LuaState, funcindex: number, n: number): LuaString | null;
    lua_tocfunction(L: LuaState, index: number): CFunction | null;
    lua_isfunction(L: LuaState, index: number): boolean;
    lua_settop(L: LuaState, index: number): void;
    lua_toboolean(L: LuaState, index: number): boolean;
    lua_tojsstring(L: LuaState, index: number): string;
    lua_tolstring(L: LuaState, index: number): LuaString | null;
    lua_tonumber(L: LuaState, index: number): number;
    lua_type(L: LuaState, index: number): number;
    lua_upvalueindex(i: number): number;
  }
  export interface LauxApi {
    /** Pops the value on top into table `t` under a fresh integer key, which it returns (a reference). */
    luaL_ref(L: LuaState, t: number): number;
    luaL_argerror(L: LuaState, arg: number, message: LuaKey): never;
    luaL_checkinteger(L: LuaState, arg: number): number;
    luaL_checklstring(L: LuaState, arg: number): LuaString;
    luaL_checknumber(L: LuaState, arg: number): number;
    luaL_error(L: LuaState, fmt: LuaKey, ...args: unknown[]): never;
    luaL_loadbuffer(L: LuaState, buff: LuaString, size: number | null, name: LuaKey): number;
    luaL_newstate(): LuaState;
    luaL_optinteger(L: LuaState, arg: number, def: number): number;
    luaL_requiref(L: LuaState, name: LuaKey, open: CFunction, global: number): void;
    luaL_traceback(L: LuaState, L1: LuaState, msg: LuaKey | null, level: number): void;
  }
  export interface LuaLibs {
    luaopen_base: CFunction;
    luaopen_math: CFunction;
    luaopen_string: CFunction;
    luaopen_table: CFunction;
  }
  export interface Fengari {
    readonly lua: LuaApi;
    readonly lauxlib: LauxApi;
    readonly lualib: LuaLibs;
    to_luastring(s: string): LuaString;
    to_jsstring(s: LuaString): string;
  }
  const fengari: Fengari;
  export default fengari;
}

declare module 'fengari/src/lobject.js' {
  import type { LuaState } from 'fengari';
  /** A stack value: only what the number patches touch. */
  export interface TValue {
    value: number;
    ttisinteger(): boolean;
    ttisfloat(): boolean;
    setfltvalue(value: number): void;
    setsvalue(value: unknown): void;
  }
  export interface LObject {
    readonly TValue: new (type: number, value: unknown) => import('fengari/src/lstate.js').StackValue;
    /** The shared nil value table reads answer for an absent key. */
    readonly luaO_nilobject: import('fengari/src/lstate.js').StackValue;
    luaO_str2num(s: Uint8Array, o: TValue): number;
    luaO_tostring(L: LuaState, o: TValue): void;
    luaO_pushvfstring(L: LuaState, format: Uint8Array, args: readonly unknown[]): unknown;
    /** Pushes the Lua string `ts` (a TString) on the stack, unchecked. */
    pushsvalue2s(L: LuaState, ts: unknown): void;
  }
  const lobject: LObject;
  export default lobject;
}

declare module 'fengari/src/lstring.js' {
  import type { LuaState } from 'fengari';
  export interface LString {
    luaS_bless(L: LuaState, s: Uint8Array): unknown;
    luaS_hashlongstr(ts: unknown): string;
    readonly TString: { readonly prototype: object };
  }
  const lstring: LString;
  export default lstring;
}

declare module 'fengari/src/lstate.js' {
  import type { LuaState } from 'fengari';
  /** A stack slot's value object (lobject.js TValue): what the stack functions use. */
  export interface StackValue {
    type: number;
    value: unknown;
    ttistable(): boolean;
    setnilvalue(): void;
    setfrom(other: StackValue): void;
  }
  /** One call's record (lstate.js CallInfo). */
  export interface CallInfo {
    funcOff: number;
    func: StackValue;
    top: number;
    nresults: number;
    callstatus: number;
    l_base: number;
    l_code: readonly { readonly opcode: number }[];
    l_savedpc: number;
    previous: CallInfo | null;
    next: CallInfo | null;
  }
  /** The inside of a lua_State: its stack array (slots above `top` are empty), top and calls. */
  export interface FengariState extends LuaState {
    stack: (StackValue | undefined)[];
    top: number;
    ci: CallInfo;
    hookmask: number;
    oldpc: number;
    /** Nested calls from JavaScript (the depth limit counts them), and those that may not yield. */
    nCcalls: number;
    nny: number;
    /** 1 while hooks may run (0 inside a hook). */
    allowhook: number;
  }
  export interface LState {
    readonly CIST_OAH: number;
    readonly CIST_LUA: number;
    readonly CIST_TAIL: number;
    luaE_extendCI(L: FengariState): CallInfo;
  }
  const lstate: LState;
  export default lstate;
}

declare module 'fengari/src/ldo.js' {
  import type { FengariState } from 'fengari/src/lstate.js';
  /** The call machinery's exports that the interpreter and the API call through the module object. */
  export interface LDo {
    adjust_top(L: FengariState, newtop: number): void;
    luaD_checkstack(L: FengariState, n: number): void;
    luaD_hook(L: FengariState, event: number, line: number): void;
    luaD_poscall(L: FengariState, ci: import('fengari/src/lstate.js').CallInfo, firstResult: number, nres: number): boolean;
    luaD_precall(L: FengariState, off: number, nresults: number): boolean;
    luaD_call(L: FengariState, off: number, nresults: number): void;
    luaD_callnoyield(L: FengariState, off: number, nresults: number): void;
  }
  const ldo: LDo;
  export default ldo;
}

declare module 'fengari/src/defs.js' {
  export interface Defs {
    readonly LUA_MULTRET: number;
    readonly LUA_MINSTACK: number;
    readonly LUA_MASKCALL: number;
    readonly LUA_MASKRET: number;
    readonly LUA_MASKLINE: number;
    readonly LUA_HOOKCALL: number;
    readonly LUA_HOOKRET: number;
    readonly LUA_HOOKTAILCALL: number;
    readonly constant_types: { readonly LUA_TNIL: number; readonly LUA_TLCL: number; readonly LUA_TLCF: number; readonly LUA_TCCL: number; readonly LUA_TLNGSTR: number; readonly LUA_TSHRSTR: number; readonly LUA_TNUMINT: number; readonly LUA_TNUMFLT: number; readonly LUA_TTABLE: number };
  }
  const defs: Defs;
  export default defs;
}

declare module 'fengari/src/lopcodes.js' {
  export interface LOpcodes {
    readonly OpCodesI: { readonly OP_TAILCALL: number };
  }
  const lopcodes: LOpcodes;
  export default lopcodes;
}

declare module 'fengari/src/llimits.js' {
  const llimits: { readonly LUAI_MAXCCALLS: number };
  export default llimits;
}

declare module 'fengari/src/lvm.js' {
  import type { FengariState } from 'fengari/src/lstate.js';
  const lvm: { luaV_execute(L: FengariState): void };
  export default lvm;
}

declare module 'fengari/src/ltable.js' {
  import type { FengariState, StackValue } from 'fengari/src/lstate.js';
  /** Table writes (ltable.js), on the table object a table value holds. */
  const ltable: {
    luaH_new(L: FengariState): unknown;
    luaH_get(L: FengariState, t: unknown, key: StackValue): StackValue;
    luaH_getstr(t: unknown, key: unknown): StackValue;
    luaH_setint(t: unknown, key: number, value: StackValue): void;
    luaH_setfrom(L: FengariState, t: unknown, key: StackValue, value: StackValue): void;
    invalidateTMcache(t: unknown): void;
  };
  export default ltable;
}
