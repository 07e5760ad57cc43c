// The `bit` library Redis loads (LuaBitOp 1.0): 32-bit operations on Lua numbers, results
// as signed 32-bit values. Arguments are rounded to the nearest integer (ties to even) and
// taken modulo 2^32, as LuaBitOp's conversion does.

import fengari, { type LuaState } from 'fengari';
import { registerLibrary } from './lua-library.js';

const { lua, lauxlib } = fengari;

/** A number as LuaBitOp reads it: rounded half to even, then its low 32 bits, signed. */
function toBit(value: number): number {
  if (!Number.isFinite(value)) return 0;
  const floor = Math.floor(value);
  const fraction = value - floor;
  const rounded = fraction > 0.5 || (fraction === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return Number(BigInt.asIntN(32, BigInt(rounded)));
}

const argument = (L: LuaState, index: number): number => toBit(lauxlib.luaL_checknumber(L, index));

function result(L: LuaState, value: number): number {
  lua.lua_pushnumber(L, value | 0);
  return 1;
}

/** band, bor, bxor: every argument folded with `op`. */
function fold(op: (a: number, b: number) => number) {
  return (L: LuaState): number => {
    let value = argument(L, 1);
    for (let i = 2; i <= lua.lua_gettop(L); i++) value = op(value, argument(L, i));
    return result(L, value);
  };
}

function shift(op: (value: number, count: number) => number) {
  return (L: LuaState): number => result(L, op(argument(L, 1), argument(L, 2) & 31));
}

function tohex(L: LuaState): number {
  const value = argument(L, 1);
  let digits = lua.lua_gettop(L) >= 2 ? argument(L, 2) : 8;
  const upper = digits < 0;
  digits = Math.min(Math.abs(digits), 8);
  const text = (value >>> 0).toString(16).padStart(8, '0').slice(8 - digits);
  lua.lua_pushliteral(L, upper ? text.toUpperCase() : text);
  return 1;
}

export function openBit(L: LuaState): void {
  registerLibrary(L, 'bit', {
    tobit: (state) => result(state, argument(state, 1)),
    tohex,
    bnot: (state) => result(state, ~argument(state, 1)),
    band: fold((a, b) => a & b),
    bor: fold((a, b) => a | b),
    bxor: fold((a, b) => a ^ b),
    lshift: shift((value, count) => value << count),
    rshift: shift((value, count) => value >>> count),
    arshift: shift((value, count) => value >> count),
    rol: shift((value, count) => (value << count) | (value >>> ((32 - count) & 31))),
    ror: shift((value, count) => (value >>> count) | (value << ((32 - count) & 31))),
    bswap: (state) => {
      const value = argument(state, 1);
      return result(state, ((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | ((value >>> 24) & 0xff));
    },
  });
}
