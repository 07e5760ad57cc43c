// Keyspace notifications (Redis's notify-keyspace-events): which classes of key events are
// on (a replicated setting, replicated-settings.ts: every replica applies it at the same
// index, and snapshots carry it), and the events of each applied write, reported to a node-local sink that the
// server delivers as `__keyspace@0__:` / `__keyevent@0__:` messages. Every replica emits the
// same events in log order, expirations and evictions included (they are log decisions).
//
// Most commands' events come from one place: the keys a write changed (their versions
// moved), named by the command's row in EVENTS, with `new` for a key the write created,
// `del` for a collection it emptied and `expired` for a key found expired on the way, as
// Redis emits them. Commands whose events depend on their own work (streams' consumer
// groups) emit through CommandContext.events themselves.

import type { CommandSpec } from './command-spec.js';
import type { Keyspace } from './keyspace.js';

/** Redis's NOTIFY_* bits (server.h). */
export const NotifyClass = Object.freeze({
  keyspace: 1 << 0, // K
  keyevent: 1 << 1, // E
  generic: 1 << 2, // g
  string: 1 << 3, // $
  list: 1 << 4, // l
  set: 1 << 5, // s
  hash: 1 << 6, // h
  zset: 1 << 7, // z
  expired: 1 << 8, // x
  evicted: 1 << 9, // e
  stream: 1 << 10, // t
  keyMiss: 1 << 11, // m
  module: 1 << 13, // d
  newKey: 1 << 14, // n
});

/** 'A': every class but key misses and new keys, as in Redis. */
const NOTIFY_ALL = NotifyClass.generic | NotifyClass.string | NotifyClass.list | NotifyClass.set | NotifyClass.hash | NotifyClass.zset |
  NotifyClass.expired | NotifyClass.evicted | NotifyClass.stream | NotifyClass.module;

const CLASS_LETTERS: readonly (readonly [string, number])[] = [
  ['g', NotifyClass.generic], ['$', NotifyClass.string], ['l', NotifyClass.list], ['s', NotifyClass.set], ['h', NotifyClass.hash],
  ['z', NotifyClass.zset], ['x', NotifyClass.expired], ['e', NotifyClass.evicted], ['t', NotifyClass.stream], ['d', NotifyClass.module],
];

/** notify-keyspace-events text to bits (keyspaceEventsStringToFlags), or null for an unknown letter. */
export function parseNotifyFlags(text: string): number | null {
  let flags = 0;
  for (const letter of text) {
    const bit = letter === 'A' ? NOTIFY_ALL : letter === 'K' ? NotifyClass.keyspace : letter === 'E' ? NotifyClass.keyevent
      : letter === 'm' ? NotifyClass.keyMiss : letter === 'n' ? NotifyClass.newKey : CLASS_LETTERS.find(([l]) => l === letter)?.[1];
    if (bit === undefined) return null;
    flags |= bit;
  }
  return flags;
}

/** Bits to the text CONFIG GET shows (keyspaceEventsFlagsToString). */
export function formatNotifyFlags(flags: number): string {
  let text = (flags & NOTIFY_ALL) === NOTIFY_ALL ? 'A' : CLASS_LETTERS.filter(([, bit]) => (flags & bit) !== 0).map(([letter]) => letter).join('');
  if ((flags & NotifyClass.keyspace) !== 0) text += 'K';
  if ((flags & NotifyClass.keyevent) !== 0) text += 'E';
  if ((flags & NotifyClass.keyMiss) !== 0) text += 'm';
  if ((flags & NotifyClass.newKey) !== 0) text += 'n';
  return text;
}

/** One message to deliver: the channel and its payload. */
export type KeyEventSink = (channel: Uint8Array, payload: Uint8Array) => void;

/** A command's events for one changed key: class and name; argv and the key's argument index pick variants. */
type KeyEvent = readonly [number, string];
type EventOf = (argv: readonly Uint8Array[], keyIndex: number) => readonly KeyEvent[];

const word = (argv: readonly Uint8Array[], index: number): string => Buffer.from(argv[index] ?? new Uint8Array(0)).toString('latin1').toLowerCase();
const fixed = (cls: number, name: string): EventOf => () => [[cls, name]];
/** A move between two keys: the source's event, then the destination's. */
const move = (cls: number, from: (argv: readonly Uint8Array[]) => string, to: (argv: readonly Uint8Array[]) => string): EventOf =>
  (argv, keyIndex) => [[cls, keyIndex === 1 ? from(argv) : to(argv)]];
/** LMPOP/ZMPOP-like: the direction word follows the numkeys keys. */
const byDirection = (cls: number, names: Readonly<Record<string, string>>, numkeysIndex: number): EventOf => (argv) => {
  const count = Number(word(argv, numkeysIndex));
  return [[cls, names[word(argv, numkeysIndex + 1 + count)] ?? '']];
};

const { generic: G, string: S, list: L, set: SET, hash: H, zset: Z } = NotifyClass;

const EVENTS: ReadonlyMap<string, EventOf> = new Map<string, EventOf>([
  ...['setnx', 'getset', 'mset', 'msetnx'].map((name) => [name, fixed(S, 'set')] as const),
  ['setex', () => [[S, 'set'], [G, 'expire']]], ['psetex', () => [[S, 'set'], [G, 'expire']]],
  ['set', (argv) => (argv.slice(3).some((_, i) => ['ex', 'px', 'exat', 'pxat'].includes(word(argv, i + 3))) ? [[S, 'set'], [G, 'expire']] : [[S, 'set']])],
  ['append', fixed(S, 'append')], ['setrange', fixed(S, 'setrange')], ['incrbyfloat', fixed(S, 'incrbyfloat')],
  ...['incr', 'decr', 'incrby', 'decrby'].map((name) => [name, fixed(S, 'incrby')] as const),
  ['setbit', fixed(S, 'setbit')], ['bitfield', fixed(S, 'setbit')], ['bitop', fixed(S, 'set')], ['pfadd', fixed(S, 'pfadd')], ['pfmerge', fixed(S, 'pfadd')],
  ['getdel', fixed(G, 'del')], ['del', fixed(G, 'del')], ['unlink', fixed(G, 'del')], ['persist', fixed(G, 'persist')],
  ...['expire', 'pexpire', 'expireat', 'pexpireat'].map((name) => [name, fixed(G, 'expire')] as const),
  ['getex', (argv) => (argv.length > 2 ? [[G, word(argv, 2) === 'persist' ? 'persist' : 'expire']] : [])],
  ['rename', move(G, () => 'rename_from', () => 'rename_to')], ['renamenx', move(G, () => 'rename_from', () => 'rename_to')],
  ['copy', (argv, keyIndex) => (keyIndex === 2 ? [[G, 'copy_to']] : [])], ['restore', fixed(G, 'restore')], ['sort', fixed(L, 'sortstore')],
  ['lpush', fixed(L, 'lpush')], ['lpushx', fixed(L, 'lpush')], ['rpush', fixed(L, 'rpush')], ['rpushx', fixed(L, 'rpush')],
  ['linsert', fixed(L, 'linsert')], ['lset', fixed(L, 'lset')], ['lrem', fixed(L, 'lrem')], ['ltrim', fixed(L, 'ltrim')],
  ['lpop', fixed(L, 'lpop')], ['blpop', fixed(L, 'lpop')], ['rpop', fixed(L, 'rpop')], ['brpop', fixed(L, 'rpop')],
  ['rpoplpush', move(L, () => 'rpop', () => 'lpush')], ['brpoplpush', move(L, () => 'rpop', () => 'lpush')],
  ['lmove', move(L, (argv) => `${word(argv, 3) === 'left' ? 'l' : 'r'}pop`, (argv) => `${word(argv, 4) === 'left' ? 'l' : 'r'}push`)],
  ['blmove', move(L, (argv) => `${word(argv, 3) === 'left' ? 'l' : 'r'}pop`, (argv) => `${word(argv, 4) === 'left' ? 'l' : 'r'}push`)],
  ['lmpop', byDirection(L, { left: 'lpop', right: 'rpop' }, 1)], ['blmpop', byDirection(L, { left: 'lpop', right: 'rpop' }, 2)],
  ['sadd', fixed(SET, 'sadd')], ['srem', fixed(SET, 'srem')], ['spop', fixed(SET, 'spop')], ['smove', move(SET, () => 'srem', () => 'sadd')],
  ['sinterstore', fixed(SET, 'sinterstore')], ['sunionstore', fixed(SET, 'sunionstore')], ['sdiffstore', fixed(SET, 'sdiffstore')],
  ['hset', fixed(H, 'hset')], ['hmset', fixed(H, 'hset')], ['hsetnx', fixed(H, 'hset')], ['hdel', fixed(H, 'hdel')],
  ['hincrby', fixed(H, 'hincrby')], ['hincrbyfloat', fixed(H, 'hincrbyfloat')],
  ['zadd', (argv) => [[Z, argv.some((_, i) => i > 1 && word(argv, i) === 'incr') ? 'zincr' : 'zadd']]], ['zincrby', fixed(Z, 'zincr')],
  ['zrem', fixed(Z, 'zrem')], ['zremrangebyscore', fixed(Z, 'zremrangebyscore')], ['zremrangebyrank', fixed(Z, 'zremrangebyrank')],
  ['zremrangebylex', fixed(Z, 'zremrangebylex')], ['zpopmin', fixed(Z, 'zpopmin')], ['bzpopmin', fixed(Z, 'zpopmin')],
  ['zpopmax', fixed(Z, 'zpopmax')], ['bzpopmax', fixed(Z, 'zpopmax')],
  ['zmpop', byDirection(Z, { min: 'zpopmin', max: 'zpopmax' }, 1)], ['bzmpop', byDirection(Z, { min: 'zpopmin', max: 'zpopmax' }, 2)],
  ['zunionstore', fixed(Z, 'zunionstore')], ['zinterstore', fixed(Z, 'zinterstore')], ['zdiffstore', fixed(Z, 'zdiffstore')],
  ['zrangestore', fixed(Z, 'zrangestore')], ['geoadd', fixed(Z, 'zadd')],
  ['georadius', fixed(Z, 'georadiusstore')], ['georadiusbymember', fixed(Z, 'georadiusstore')], ['geosearchstore', fixed(Z, 'geosearchstore')],
]);

/** A key's state before a write: the stored entry (expired or not) and its version. */
interface Before {
  readonly key: Uint8Array;
  readonly index: number;
  /** The key's creation stamp before the write (undefined: absent); lookups hand out a new handle each time, so the stamp tells the same key. */
  readonly createdStamp: number | undefined;
  readonly due: boolean;
  readonly live: boolean;
  readonly version: number;
}

/** A write being watched for its events: its command, its keys before it ran, and whether it is the outermost one. */
export interface WriteWatch {
  readonly spec: CommandSpec;
  readonly argv: readonly Uint8Array[];
  readonly nowMs: number;
  readonly outermost: boolean;
  readonly before: readonly Before[];
}

/** Moves whose destination Redis fills before it pops the source: the destination's events come first. */
const DESTINATION_FIRST: ReadonlySet<string> = new Set(['rpoplpush', 'brpoplpush', 'lmove', 'blmove']);
/** Commands that create their destination (Redis's dbAdd, which reports `new`) before they report anything else. */
const NEW_FIRST: ReadonlySet<string> = new Set(['rename', 'renamenx']);

const KEYSPACE_PREFIX = '__keyspace@0__:';
const KEYEVENT_PREFIX = '__keyevent@0__:';

export class KeyspaceEvents {
  /** Node-local: where this node's events go (the server's pub/sub), or null. */
  sink: KeyEventSink | null = null;
  /**
   * Node-local: told of every key a write changed, expired or evicted, and of a flush (null),
   * while a client of this node tracks keys (CLIENT TRACKING, server/tracking.ts); or null.
   */
  keyChanged: ((key: Uint8Array | null) => void) | null = null;
  /** Writes being worked out, nested ones included (a script's commands inside its EVAL). */
  private depth = 0;
  /** Whether a nested write reported events inside the outermost one. */
  private nestedRan = false;
  /** Keys whose `new` event the running write already reported (created). */
  private readonly announced = new Set<string>();

  /** `flagsOf` reads the classes on: the replicated setting notify-keyspace-events (replicated-settings.ts). */
  constructor(private readonly flagsOf: () => number) {}

  get flags(): number {
    return this.flagsOf();
  }

  /** True when an event of class `cls` would be delivered. */
  wants(cls: number): boolean {
    return this.sink !== null && (this.flags & cls) !== 0 && (this.flags & (NotifyClass.keyspace | NotifyClass.keyevent)) !== 0;
  }

  /** True when class `cls` is on in the replicated setting, whether or not anyone listens on this node. */
  classOn(cls: number): boolean {
    const flags = this.flags;
    return (flags & cls) !== 0 && (flags & (NotifyClass.keyspace | NotifyClass.keyevent)) !== 0;
  }

  /** Redis's notifyKeyspaceEvent. */
  emit(cls: number, event: string, key: Uint8Array): void {
    const sink = this.sink;
    if (sink === null || !this.wants(cls)) return;
    if ((this.flags & NotifyClass.keyspace) !== 0) sink(Buffer.concat([Buffer.from(KEYSPACE_PREFIX), key]), Buffer.from(event));
    if ((this.flags & NotifyClass.keyevent) !== 0) sink(Buffer.from(KEYEVENT_PREFIX + event), key);
  }

  /**
   * Reports `key` new at once, where Redis's dbAdd would: for commands that report their own
   * events (XADD, XGROUP CREATE … MKSTREAM), so `new` comes before them, as in Redis.
   */
  created(key: Uint8Array): void {
    if (!this.active) return;
    this.emit(NotifyClass.newKey, 'new', key);
    this.announced.add(Buffer.from(key).toString('latin1'));
  }

  /** True when a write's changes must be worked out (a sink listens and some class is on, or a tracker listens). */
  get active(): boolean {
    if (this.keyChanged !== null) return true;
    return this.sink !== null && (this.flags & (NotifyClass.keyspace | NotifyClass.keyevent)) !== 0 && (this.flags & ~(NotifyClass.keyspace | NotifyClass.keyevent)) !== 0;
  }

  /** A key eviction removed: its event, and the tracker told. */
  evicted(key: Uint8Array): void {
    this.emit(NotifyClass.evicted, 'evicted', key);
    this.keyChanged?.(key);
  }

  /** FLUSHDB / FLUSHALL emptied the keyspace (Redis sends no key event, only tracking's invalidation). */
  flushed(): void {
    this.keyChanged?.(null);
  }

  /** Runs a write and emits the events of the keys it changed, in argument order. */
  around<T>(spec: CommandSpec, argv: readonly Uint8Array[], keyspace: Keyspace, nowMs: number, run: () => T): T {
    const watch = this.begin(spec, argv, keyspace, nowMs);
    let result: T;
    try {
      result = run();
    } finally {
      this.leave();
    }
    this.end(watch, keyspace);
    return result;
  }

  /**
   * Before a write runs: what its keys are (end() compares). Between begin and leave the write
   * is running; a write paused in the middle (a script between slices) leaves, and reenters
   * before it goes on.
   */
  begin(spec: CommandSpec, argv: readonly Uint8Array[], keyspace: Keyspace, nowMs: number): WriteWatch {
    const outermost = this.depth === 0;
    if (outermost) this.nestedRan = false;
    else this.nestedRan = true;
    const before = candidateKeys(spec, argv).map((index): Before => {
      const key = argv[index] as Uint8Array;
      const entry = keyspace.raw(key);
      const due = entry !== undefined && entry.expireAtMs <= nowMs;
      return { key, index, createdStamp: entry?.createdStamp, due, live: entry !== undefined && !due, version: keyspace.version(key, nowMs) };
    });
    this.announced.clear();
    this.depth++;
    return { spec, argv, nowMs, outermost, before };
  }

  leave(): void {
    this.depth--;
  }

  reenter(): void {
    this.depth++;
  }

  /** After the write ended (and left): emits its keys' events. */
  end(watch: WriteWatch, keyspace: Keyspace): void {
    // A script's commands reported their own events: the script itself reports none again.
    if (watch.outermost && this.nestedRan) return;
    this.emitChanges(watch.spec, watch.argv, keyspace, watch.nowMs, watch.before);
  }

  private emitChanges(spec: CommandSpec, argv: readonly Uint8Array[], keyspace: Keyspace, nowMs: number, before: readonly Before[]): void {
    const eventOf = EVENTS.get(spec.name);
    const created = (was: Before): boolean => {
      const entry = keyspace.raw(was.key);
      return entry !== undefined && entry.expireAtMs > nowMs && !was.live && !this.announced.has(Buffer.from(was.key).toString('latin1'));
    };
    if (NEW_FIRST.has(spec.name)) for (const was of before) if (created(was)) this.created(was.key);
    for (const was of DESTINATION_FIRST.has(spec.name) ? [...before].reverse() : before) {
      const entry = keyspace.raw(was.key);
      const expired = was.due && entry?.createdStamp !== was.createdStamp;
      if (expired) this.emit(NotifyClass.expired, 'expired', was.key);
      if (keyspace.version(was.key, nowMs) === was.version) {
        if (expired) this.keyChanged?.(was.key);
        continue;
      }
      this.keyChanged?.(was.key);
      const live = entry !== undefined && entry.expireAtMs > nowMs;
      if (created(was)) this.emit(NotifyClass.newKey, 'new', was.key);
      const events = eventOf?.(argv, was.index) ?? [];
      // A key an expiry removed at once is reported deleted, as Redis does for EXPIRE in the past.
      for (const [cls, name] of events) if (live || name !== 'expire') this.emit(cls, name, was.key);
      if (was.live && !live && !events.some(([, name]) => name === 'del' || name === 'rename_from')) this.emit(NotifyClass.generic, 'del', was.key);
    }
  }
}

/** The arguments that may be keys the write changes: its key positions, or every argument when they move. */
function candidateKeys(spec: CommandSpec, argv: readonly Uint8Array[]): number[] {
  const indexes: number[] = [];
  const seen = new Set<string>();
  const add = (index: number): void => {
    const text = Buffer.from(argv[index] ?? new Uint8Array(0)).toString('latin1');
    if (seen.has(text)) return;
    seen.add(text);
    indexes.push(index);
  };
  if (spec.firstKey <= 0 || spec.flags.includes('movablekeys')) {
    for (let i = 1; i < argv.length; i++) add(i);
    return indexes;
  }
  const last = spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey;
  for (let i = spec.firstKey; i <= last && i < argv.length; i += Math.max(1, spec.step)) add(i);
  return indexes;
}

