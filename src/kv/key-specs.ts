// Redis 7.0's key specs: for every command with keys, where its keys are in the arguments
// and what the command does with each (RO/RW/OW/RM, access/update/insert/delete). COMMAND
// INFO prints them, and COMMAND GETKEYS and GETKEYSANDFLAGS find a call's keys with them
// (Redis's getKeysFromCommandWithSpecs), falling back, as Redis does, to a command's own
// key finder where the specs cannot say (SORT's STORE, SET's GET, BITFIELD's subcommands).
// The specs are Redis's own (its commands/*.json), copied as data.

/** Key spec flags in the order Redis prints them. */
export const KEY_SPEC_FLAGS = ['RO', 'RW', 'OW', 'RM', 'access', 'update', 'insert', 'delete', 'not_key', 'incomplete', 'variable_flags'] as const;
export type KeySpecFlag = (typeof KEY_SPEC_FLAGS)[number];

/** Where a spec's search starts: an argument index, after a keyword (searched from `startFrom`, backwards when negative), or unknown. */
export type BeginSearch =
  | { readonly type: 'index'; readonly index: number }
  | { readonly type: 'keyword'; readonly keyword: string; readonly startFrom: number }
  | { readonly type: 'unknown' };

/**
 * How many keys follow: a range (`lastKey` relative to the start, negative from the end; with
 * `limit`, that part of what is left), a count argument (`keyNumIndex` from the start, keys
 * from `firstKey`), or unknown.
 */
export type FindKeys =
  | { readonly type: 'range'; readonly lastKey: number; readonly keyStep: number; readonly limit: number }
  | { readonly type: 'keynum'; readonly keyNumIndex: number; readonly firstKey: number; readonly keyStep: number }
  | { readonly type: 'unknown' };

export interface KeySpec {
  readonly flags: readonly KeySpecFlag[];
  readonly begin: BeginSearch;
  readonly find: FindKeys;
  readonly notes?: string;
}

/** One key of a call: its argument index and flags. */
export interface KeyRef {
  readonly index: number;
  readonly flags: readonly KeySpecFlag[];
}

const RO: readonly KeySpecFlag[] = ['RO'];
const RO_ACCESS: readonly KeySpecFlag[] = ['RO', 'access'];
const RW_ACCESS: readonly KeySpecFlag[] = ['RW', 'access'];
const RW_UPDATE: readonly KeySpecFlag[] = ['RW', 'update'];
const RW_INSERT: readonly KeySpecFlag[] = ['RW', 'insert'];
const RW_DELETE: readonly KeySpecFlag[] = ['RW', 'delete'];
const RW_ACCESS_UPDATE: readonly KeySpecFlag[] = ['RW', 'access', 'update'];
const RW_ACCESS_INSERT: readonly KeySpecFlag[] = ['RW', 'access', 'insert'];
const RW_ACCESS_DELETE: readonly KeySpecFlag[] = ['RW', 'access', 'delete'];
const RW_ACCESS_UPDATE_VARIABLE: readonly KeySpecFlag[] = ['RW', 'access', 'update', 'variable_flags'];
const OW_UPDATE: readonly KeySpecFlag[] = ['OW', 'update'];
const OW_INSERT: readonly KeySpecFlag[] = ['OW', 'insert'];
const RM_DELETE: readonly KeySpecFlag[] = ['RM', 'delete'];
const NOT_KEY: readonly KeySpecFlag[] = ['not_key'];

const single: FindKeys = { type: 'range', lastKey: 0, keyStep: 1, limit: 0 };
const unknownKeys: FindKeys = { type: 'unknown' };
const range = (lastKey: number, keyStep: number, limit: number): FindKeys => ({ type: 'range', lastKey, keyStep, limit });
const keynum = (keyNumIndex: number, firstKey: number, keyStep: number): FindKeys => ({ type: 'keynum', keyNumIndex, firstKey, keyStep });

function spec(flags: readonly KeySpecFlag[], begin: BeginSearch, find: FindKeys, notes: string | undefined): KeySpec {
  return notes === undefined ? { flags, begin, find } : { flags, begin, find, notes };
}
const at = (index: number, flags: readonly KeySpecFlag[], find: FindKeys = single, notes?: string): KeySpec => spec(flags, { type: 'index', index }, find, notes);
const after = (keyword: string, startFrom: number, flags: readonly KeySpecFlag[], find: FindKeys = single, notes?: string): KeySpec =>
  spec(flags, { type: 'keyword', keyword, startFrom }, find, notes);
const unknownBegin = (flags: readonly KeySpecFlag[], find: FindKeys, notes?: string): KeySpec => spec(flags, { type: 'unknown' }, find, notes);
const named = (specs: readonly KeySpec[], ...names: string[]): [string, readonly KeySpec[]][] => names.map((name) => [name, specs]);

/** By command name, a container's subcommands as 'container|sub'; commands without keys are absent. */
const keySpecTable: ReadonlyMap<string, readonly KeySpec[]> = new Map<string, readonly KeySpec[]>([
  ...named([at(1, RO_ACCESS)], 'bitcount', 'bitfield_ro', 'bitpos', 'dump', 'expiretime', 'geodist', 'geohash', 'geopos', 'georadius_ro', 'georadiusbymember_ro', 'geosearch', 'get', 'getbit', 'getrange', 'hget', 'hgetall', 'hkeys', 'hmget', 'hrandfield', 'hscan', 'hvals', 'lindex', 'lpos', 'lrange', 'pexpiretime', 'pttl', 'smembers', 'smismember', 'srandmember', 'sscan', 'substr', 'ttl', 'xpending', 'xrange', 'xrevrange', 'zcount', 'zlexcount', 'zmscore', 'zrandmember', 'zrange', 'zrangebylex', 'zrangebyscore', 'zrank', 'zrevrange', 'zrevrangebylex', 'zrevrangebyscore', 'zrevrank', 'zscan', 'zscore'),
  ...named([at(1, RW_UPDATE)], 'expire', 'expireat', 'geoadd', 'hmset', 'hset', 'lset', 'persist', 'pexpire', 'pexpireat', 'setrange', 'xack', 'xclaim', 'xsetid', 'zadd'),
  ...named([at(1, RW_DELETE)], 'hdel', 'lrem', 'ltrim', 'srem', 'xautoclaim', 'xdel', 'xtrim', 'zrem', 'zremrangebylex', 'zremrangebyrank', 'zremrangebyscore'),
  ...named([at(1, RO)], 'hexists', 'hlen', 'hstrlen', 'llen', 'scard', 'sismember', 'strlen', 'type', 'xlen', 'zcard'),
  ...named([at(1, RW_ACCESS_UPDATE)], 'decr', 'decrby', 'getset', 'hincrby', 'hincrbyfloat', 'incr', 'incrby', 'incrbyfloat', 'setbit', 'zincrby'),
  ...named([at(1, RW_INSERT)], 'append', 'hsetnx', 'linsert', 'lpush', 'lpushx', 'pfadd', 'rpush', 'rpushx', 'sadd'),
  ...named([at(1, RW_ACCESS_DELETE)], 'getdel', 'lpop', 'rpop', 'spop', 'zpopmax', 'zpopmin'),
  ...named([at(1, RW_ACCESS_DELETE), at(2, RW_INSERT)], 'blmove', 'brpoplpush', 'lmove', 'rpoplpush', 'smove'),
  ...named([at(2, RO)], 'memory|usage', 'object|encoding', 'object|freq', 'object|idletime', 'object|refcount'),
  ...named([at(1, RO_ACCESS, keynum(0, 1, 1))], 'sintercard', 'zdiff', 'zinter', 'zintercard', 'zunion'),
  ...named([at(1, RO_ACCESS, range(-1, 1, 0))], 'mget', 'sdiff', 'sinter', 'sunion'),
  ...named([at(1, RW_ACCESS_DELETE, range(-2, 1, 0))], 'blpop', 'brpop', 'bzpopmax', 'bzpopmin'),
  ...named([at(1, OW_UPDATE), at(2, RO_ACCESS, keynum(0, 1, 1))], 'zdiffstore', 'zinterstore', 'zunionstore'),
  ...named([at(1, RO, range(-1, 1, 0))], 'exists', 'touch', 'watch'),
  ...named([at(2, RO_ACCESS)], 'xinfo|consumers', 'xinfo|groups', 'xinfo|stream'),
  ...named([at(1, OW_UPDATE)], 'psetex', 'restore', 'setex'),
  ...named([at(1, RW_ACCESS_DELETE, keynum(0, 1, 1))], 'lmpop', 'zmpop'),
  ...named([at(1, RM_DELETE, range(-1, 1, 0))], 'del', 'unlink'),
  ...named([at(2, RW_ACCESS_DELETE, keynum(0, 1, 1))], 'blmpop', 'bzmpop'),
  ...named([at(1, NOT_KEY, range(-1, 1, 0))], 'ssubscribe', 'sunsubscribe'),
  ...named([at(1, OW_UPDATE), at(2, RO_ACCESS)], 'geosearchstore', 'zrangestore'),
  ...named([at(1, OW_UPDATE), at(2, RO_ACCESS, range(-1, 1, 0))], 'sdiffstore', 'sunionstore'),
  ...named([at(2, RW_ACCESS_UPDATE, keynum(0, 1, 1), 'We cannot tell how the keys will be used so we assume the worst, RW and UPDATE')], 'eval', 'fcall'),
  ...named([at(2, RW_DELETE)], 'xgroup|delconsumer', 'xgroup|destroy'),
  ...named([at(2, RW_INSERT)], 'xgroup|create', 'xgroup|createconsumer'),
  ...named([at(2, RO_ACCESS, keynum(0, 1, 1), 'We cannot tell how the keys will be used so we assume the worst, RO and ACCESS')], 'eval_ro', 'fcall_ro'),
  ['georadiusbymember', [at(1, RO_ACCESS), after('STORE', 5, OW_UPDATE), after('STOREDIST', 5, OW_UPDATE)]],
  ['xread', [after('STREAMS', 1, RO_ACCESS, range(-1, 1, 2))]],
  ['sort_ro', [at(1, RO_ACCESS), unknownBegin(RO_ACCESS, unknownKeys, 'For the optional BY/GET keyword. It is marked \'unknown\' because the key names derive from the content of the key we sort')]],
  ['mset', [at(1, OW_UPDATE, range(-1, 2, 0))]],
  ['setnx', [at(1, OW_INSERT)]],
  ['xadd', [at(1, RW_UPDATE, single, 'UPDATE instead of INSERT because of the optional trimming feature')]],
  ['renamenx', [at(1, RW_ACCESS_DELETE), at(2, OW_INSERT)]],
  ['lcs', [at(1, RO_ACCESS, range(1, 1, 0))]],
  ['pfmerge', [at(1, RW_ACCESS_INSERT), at(2, RO_ACCESS, range(-1, 1, 0))]],
  ['set', [at(1, RW_ACCESS_UPDATE_VARIABLE, single, 'RW and ACCESS due to the optional `GET` argument')]],
  ['evalsha_ro', [at(2, RO_ACCESS, keynum(0, 1, 1))]],
  ['copy', [at(1, RO_ACCESS), at(2, OW_UPDATE)]],
  ['spublish', [at(1, NOT_KEY)]],
  ['xreadgroup', [after('STREAMS', 4, RO_ACCESS, range(-1, 1, 2))]],
  ['pfcount', [at(1, RW_ACCESS, range(-1, 1, 0), 'RW because it may change the internal representation of the key, and propagate to replicas')]],
  ['evalsha', [at(2, RW_ACCESS_UPDATE, keynum(0, 1, 1))]],
  ['msetnx', [at(1, OW_INSERT, range(-1, 2, 0))]],
  ['sort', [at(1, RO_ACCESS), unknownBegin(RO_ACCESS, unknownKeys, 'For the optional BY/GET keyword. It is marked \'unknown\' because the key names derive from the content of the key we sort'), unknownBegin(OW_UPDATE, unknownKeys, 'For the optional STORE keyword. It is marked \'unknown\' because the keyword can appear anywhere in the argument array')]],
  ['sinterstore', [at(1, RW_UPDATE), at(2, RO_ACCESS, range(-1, 1, 0))]],
  ['bitop', [at(2, OW_UPDATE), at(3, RO_ACCESS, range(-1, 1, 0))]],
  ['xgroup|setid', [at(2, RW_UPDATE)]],
  ['pfdebug', [at(2, RW_ACCESS)]],
  ['rename', [at(1, RW_ACCESS_DELETE), at(2, OW_UPDATE)]],
  ['georadius', [at(1, RO_ACCESS), after('STORE', 6, OW_UPDATE), after('STOREDIST', 6, OW_UPDATE)]],
  ['bitfield', [at(1, RW_ACCESS_UPDATE_VARIABLE, single, 'This command allows both access and modification of the key')]],
  ['getex', [at(1, RW_ACCESS_UPDATE, single, 'RW and UPDATE because it changes the TTL')]],
]);

/** The arity of each container subcommand that has keys (COMMAND GETKEYS checks it as Redis does). */
const keyedSubcommandArity: ReadonlyMap<string, number> = new Map([
  ['object|encoding', 3], ['object|freq', 3], ['object|idletime', 3], ['object|refcount', 3], ['memory|usage', -3],
  ['xinfo|consumers', 4], ['xinfo|groups', 3], ['xinfo|stream', -3],
  ['xgroup|create', -5], ['xgroup|createconsumer', 5], ['xgroup|delconsumer', 5], ['xgroup|destroy', 4], ['xgroup|setid', -5],
]);

/** Commands whose keys are all optional (Redis's no_mandatory_keys): finding none is not an error. */
const NO_MANDATORY_KEYS: ReadonlySet<string> = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

export function keySpecsOf(name: string): readonly KeySpec[] {
  return keySpecTable.get(name) ?? [];
}

export function keyedSubcommandArityOf(name: string): number | undefined {
  return keyedSubcommandArity.get(name);
}

export function hasMandatoryKeys(name: string): boolean {
  return !NO_MANDATORY_KEYS.has(name);
}

/** Redis's doesCommandHaveKeys: some spec names real keys (SPUBLISH's channel is not one). */
export function commandHasKeys(name: string): boolean {
  return keySpecsOf(name).some((keySpec) => !keySpec.flags.includes('not_key'));
}

const textOf = (arg: Uint8Array | undefined): string => (arg === undefined ? '' : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength).toString('latin1'));

/** The index of the argument after `keyword`, searched as Redis's KSPEC_BS_KEYWORD does; 0 when absent. */
function afterKeyword(argv: readonly Uint8Array[], keyword: string, startFrom: number): number {
  const wanted = keyword.toLowerCase();
  const forward = startFrom > 0;
  const start = forward ? startFrom : argv.length + startFrom;
  const end = forward ? argv.length - 1 : 0;
  for (let i = start; i !== end; i += forward ? 1 : -1) {
    if (i >= argv.length || i < 1) break;
    if (textOf(argv[i]).toLowerCase() === wanted) return i + 1;
  }
  return 0;
}

/** Redis's string2ll for a key count: an optional '-' and decimal digits, no leading zeros or '+'. */
function keyCount(arg: Uint8Array | undefined): number | null {
  const text = textOf(arg);
  if (!/^(0|-?[1-9][0-9]{0,17})$/.test(text)) return null;
  return Number(text);
}

/** The first and last argument of one spec's keys, null when the spec cannot find them in `argv`, 'absent' for a missing keyword. */
function specBounds(keySpec: KeySpec, argv: readonly Uint8Array[]): { first: number; last: number; step: number } | 'absent' | null {
  const { begin, find } = keySpec;
  if (begin.type === 'unknown' || find.type === 'unknown') return null;
  let first = begin.type === 'index' ? begin.index : afterKeyword(argv, begin.keyword, begin.startFrom);
  if (first === 0) return 'absent';
  let last: number;
  if (find.type === 'range') {
    if (find.lastKey >= 0) last = first + find.lastKey;
    else if (find.limit === 0) last = argv.length + find.lastKey;
    else last = first + (Math.trunc((argv.length - first) / find.limit) + find.lastKey);
  } else {
    if (first + find.keyNumIndex >= argv.length) return null;
    const count = keyCount(argv[first + find.keyNumIndex]);
    if (count === null || count < 0) return null;
    first += find.firstKey;
    last = first + count - 1;
  }
  if (last >= argv.length || last < first || first >= argv.length) return null;
  return { first, last, step: find.keyStep };
}

/** Redis's getKeysUsingKeySpecs: every spec's keys in spec order, or null when one cannot be followed (or is incomplete). */
export function keysBySpecs(specs: readonly KeySpec[], argv: readonly Uint8Array[]): KeyRef[] | null {
  const keys: KeyRef[] = [];
  for (const keySpec of specs) {
    if (keySpec.flags.includes('not_key')) continue;
    const bounds = specBounds(keySpec, argv);
    if (bounds === 'absent') continue;
    if (bounds === null) return null;
    for (let i = bounds.first; i <= bounds.last; i += bounds.step) keys.push({ index: i, flags: keySpec.flags });
    if (keySpec.flags.includes('incomplete')) return null;
  }
  return keys;
}

const isWord = (arg: Uint8Array | undefined, word: string): boolean => textOf(arg).toLowerCase() === word;

/** setGetKeys: SET with GET reads the old value. */
function setKeys(argv: readonly Uint8Array[]): KeyRef[] {
  return [{ index: 1, flags: argv.slice(3).some((arg) => isWord(arg, 'get')) ? RW_ACCESS_UPDATE : OW_UPDATE }];
}

/** bitfieldGetKeys: read-only while only GETs and OVERFLOWs with their arguments follow. */
function bitfieldKeys(argv: readonly Uint8Array[]): KeyRef[] {
  let readonly = true;
  for (let i = 2; i < argv.length && readonly; i++) {
    const left = argv.length - i - 1;
    if (isWord(argv[i], 'get') && left >= 2) i += 2;
    else if (isWord(argv[i], 'overflow') && left >= 1) i += 1;
    else readonly = false;
  }
  return [{ index: 1, flags: readonly ? RO_ACCESS : RW_ACCESS_UPDATE }];
}

/** sortGetKeys: the sorted key, and the key after the last STORE (LIMIT's, GET's and BY's arguments skipped). */
function sortKeys(argv: readonly Uint8Array[]): KeyRef[] {
  let store = 0;
  for (let i = 2; i < argv.length; i++) {
    if (isWord(argv[i], 'limit')) i += 2;
    else if (isWord(argv[i], 'get') || isWord(argv[i], 'by')) i += 1;
    else if (isWord(argv[i], 'store') && i + 1 < argv.length) store = i + 1;
  }
  const sorted: KeyRef = { index: 1, flags: RO_ACCESS };
  return store === 0 ? [sorted] : [sorted, { index: store, flags: OW_UPDATE }];
}

/** C's atoi: leading blanks, a sign, the digits up to the first other byte; 0 when none. */
function atoi(arg: Uint8Array | undefined): number {
  const match = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(textOf(arg));
  return match === null ? 0 : Number(match[1]);
}

/**
 * genericGetKeys, the numkeys commands' own finder: `count` at `countAt` (read with atoi), the
 * keys from `firstAt`, then the destination at `storeAt` (0: none). Redis gives these keys no
 * flags. It differs from the specs only for counts string2ll refuses ("02", "2x").
 */
const numkeysKeys = (storeAt: number, countAt: number, firstAt: number) => (argv: readonly Uint8Array[]): KeyRef[] => {
  const count = atoi(argv[countAt]);
  if (count < 1 || count > argv.length - firstAt) return [];
  const keys: KeyRef[] = Array.from({ length: count }, (_, i) => ({ index: firstAt + i, flags: [] }));
  return storeAt === 0 ? keys : [...keys, { index: storeAt, flags: [] }];
};

/** xreadGetKeys: the first half of what follows STREAMS, found past XREAD(GROUP)'s options; no flags. */
function streamReadKeys(argv: readonly Uint8Array[]): KeyRef[] {
  let streamsAt = -1;
  for (let i = 1; i < argv.length; i++) {
    if (isWord(argv[i], 'block') || isWord(argv[i], 'count')) i += 1;
    else if (isWord(argv[i], 'group')) i += 2;
    else if (!isWord(argv[i], 'noack')) {
      if (isWord(argv[i], 'streams')) streamsAt = i;
      break;
    }
  }
  const after = argv.length - streamsAt - 1;
  if (streamsAt === -1 || after === 0 || after % 2 !== 0) return [];
  return Array.from({ length: after / 2 }, (_, i) => ({ index: streamsAt + 1 + i, flags: [] }));
}

/**
 * Redis's own key finders, used where the specs cannot say: variable flags (SET's GET,
 * BITFIELD's subcommands), unknown positions (SORT's STORE), or a spec that fails on the
 * arguments (a numkeys count string2ll refuses).
 */
const keyFinders: ReadonlyMap<string, (argv: readonly Uint8Array[]) => KeyRef[]> = new Map([
  ['set', setKeys], ['bitfield', bitfieldKeys], ['sort', sortKeys], ['sort_ro', (): KeyRef[] => [{ index: 1, flags: RO_ACCESS }]],
  ...['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro', 'blmpop', 'bzmpop'].map((name) => [name, numkeysKeys(0, 2, 3)] as const),
  ...['zunion', 'zinter', 'zdiff', 'zintercard', 'sintercard', 'lmpop', 'zmpop'].map((name) => [name, numkeysKeys(0, 1, 2)] as const),
  ...['zunionstore', 'zinterstore', 'zdiffstore'].map((name) => [name, numkeysKeys(1, 2, 3)] as const),
  ['xread', streamReadKeys], ['xreadgroup', streamReadKeys],
]);

/** Redis's getKeysFromCommandWithSpecs: the specs when they are reliable, else the command's own finder; [] when neither finds keys. */
export function commandKeys(name: string, argv: readonly Uint8Array[]): KeyRef[] {
  const specs = keySpecsOf(name);
  const variable = specs.some((keySpec) => keySpec.flags.includes('variable_flags'));
  if (commandHasKeys(name) && !variable) {
    const keys = keysBySpecs(specs, argv);
    if (keys !== null) return keys;
  }
  return keyFinders.get(name)?.(argv) ?? [];
}
