// How much memory the Lua VM holds, for INFO's used_memory_lua / used_memory_vm_* fields.
// fengari's objects live in the JavaScript heap, which has no per-VM count (Redis asks Lua's
// allocator, lua_gc(LUA_GCCOUNT)), so this walks every object the VM can reach from its
// registry and adds what each would take in C Lua 5.1, the Lua Redis runs (its structure
// sizes on a 64-bit build: lobject.h, lstate.h): the figures read like Redis's, and they
// grow with what the VM holds (compiled scripts, loaded libraries), not with the host's
// garbage. Node-local and read-only: nothing replicated depends on it.

import type { LuaState } from 'fengari';

/** C Lua 5.1's structure sizes on a 64-bit build, in bytes. */
const SIZE = {
  /** TString header (CommonHeader, hash, length) plus the terminating NUL. */
  string: 25,
  /** Table header, and one hash Node (key and value TValues, next pointer). */
  table: 64,
  tableNode: 40,
  /** LClosure/CClosure header, one upvalue pointer or TValue, one UpVal object. */
  closure: 40,
  closureUpvalue: 8,
  upvalue: 40,
  cClosureUpvalue: 16,
  /** Proto header; per instruction (code and line info), constant, nested proto pointer, local variable, upvalue name. */
  proto: 120,
  instruction: 8,
  constant: 16,
  protoPointer: 8,
  localVariable: 16,
  upvalueName: 8,
  /** Udata header; a thread (lua_State and its initial stack). */
  userdata: 40,
  thread: 1376,
} as const;

/** fengari's value tags (defs.js constant_types). */
const TAG = { table: 5, userdata: 7, thread: 8, shortString: 4, longString: 20, luaClosure: 6, cClosure: 38 } as const;

export interface TValue {
  readonly type: number;
  readonly value: unknown;
}
interface TableEntry {
  readonly key: TValue;
  readonly value: TValue;
  readonly n: TableEntry | undefined;
}
interface Table {
  readonly f: TableEntry | undefined;
  readonly strong: Map<unknown, TableEntry>;
  readonly metatable: Table | null;
}
interface Proto {
  readonly k: readonly TValue[];
  readonly p: readonly Proto[];
  readonly code: readonly unknown[];
  readonly locvars: readonly unknown[];
  readonly upvalues: readonly unknown[];
}
interface LClosure {
  readonly p: Proto | null;
  readonly upvals: readonly (TValue | undefined)[];
}
interface CClosure {
  readonly upvalue: readonly TValue[];
}
interface Udata {
  readonly len: number;
  readonly metatable: Table | null;
  readonly uservalue: TValue;
}
interface GlobalState {
  readonly l_registry: TValue;
  readonly mt: readonly (Table | null)[];
}

/** Adds up the objects reachable from some roots, each once across calls on the same counter. */
export class LuaMemoryCounter {
  private readonly seen = new Set<unknown>();
  private pending: TValue[] = [];

  /** Leaves `value`'s object out of the counts until unskip (it will be counted apart). */
  skip(value: TValue): void {
    this.seen.add(value.value);
  }

  unskip(value: TValue): void {
    this.seen.delete(value.value);
  }

  /** Bytes of everything reachable from `roots` not counted by an earlier call. */
  count(roots: readonly TValue[]): number {
    let bytes = 0;
    this.pending = [...roots];
    for (let value = this.pending.pop(); value !== undefined; value = this.pending.pop()) bytes += this.visit(value);
    return bytes;
  }

  private visit(value: TValue): number {
    const object = value.value;
    if (object === null || typeof object !== 'object' || this.seen.has(object)) return 0;
    this.seen.add(object);
    switch (value.type) {
      case TAG.shortString:
      case TAG.longString:
        return SIZE.string + ((object as { realstring: Uint8Array }).realstring.length);
      case TAG.table:
        return this.table(object as Table);
      case TAG.luaClosure:
        return this.luaClosure(object as LClosure);
      case TAG.cClosure: {
        const upvalues = (object as CClosure).upvalue;
        this.pending.push(...upvalues);
        return SIZE.closure + upvalues.length * SIZE.cClosureUpvalue;
      }
      case TAG.userdata: {
        const data = object as Udata;
        this.pending.push(data.uservalue);
        if (data.metatable !== null) this.pending.push({ type: TAG.table, value: data.metatable });
        return SIZE.userdata + data.len;
      }
      case TAG.thread:
        return SIZE.thread;
      default:
        return 0;
    }
  }

  private table(table: Table): number {
    if (table.metatable !== null) this.pending.push({ type: TAG.table, value: table.metatable });
    for (let entry = table.f; entry !== undefined; entry = entry.n) this.pending.push(entry.key, entry.value);
    return SIZE.table + table.strong.size * SIZE.tableNode;
  }

  private luaClosure(closure: LClosure): number {
    let bytes = SIZE.closure + closure.upvals.length * (SIZE.closureUpvalue + SIZE.upvalue);
    for (const upvalue of closure.upvals) if (upvalue !== undefined) this.pending.push(upvalue);
    if (closure.p !== null && !this.seen.has(closure.p)) bytes += this.proto(closure.p);
    return bytes;
  }

  private proto(proto: Proto): number {
    this.seen.add(proto);
    let bytes = SIZE.proto + proto.code.length * SIZE.instruction + proto.k.length * SIZE.constant + proto.p.length * SIZE.protoPointer
      + proto.locvars.length * SIZE.localVariable + proto.upvalues.length * SIZE.upvalueName;
    this.pending.push(...proto.k);
    for (const nested of proto.p) if (!this.seen.has(nested)) bytes += this.proto(nested);
    return bytes;
  }
}

/** The registry of `L` and the metatables of basic types (the string metatable): everything the VM keeps. */
export function vmRoots(L: LuaState): TValue[] {
  const global = (L as unknown as { l_G: GlobalState }).l_G;
  const metatables = global.mt.filter((table): table is Table => table !== null && table !== undefined).map((table) => ({ type: TAG.table, value: table }));
  return [global.l_registry, ...metatables];
}
