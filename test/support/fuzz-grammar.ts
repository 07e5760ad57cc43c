// The command grammar of the differential fuzzer (test/server/differential-fuzz.test.ts):
// one table of rows per command family, each row a command name, a fast-check arbitrary for
// its arguments drawn from edge-heavy pools, how its reply is compared with Redis's, and
// what it does inside MULTI. A new family (hashes, lists, sets, sorted sets) is a new table
// appended to FAMILIES; nothing else needs to change.
//
// Arguments are latin1 strings: one character per byte, so binary bytes and their exact
// wire form are both plain strings (the runner sends Buffer.from(arg, 'latin1')).
//
// Timing: every relative expiry is either <= 0 (the key goes at once) or >= 1000 s, and
// every absolute one is in the past or after 2100, so no key expires while a sequence runs
// and Redis's clock and the cluster's agree on everything but the TTL countdown itself.

import fc from 'fast-check';

export type Argv = readonly string[];

/**
 * How a reply is compared with Redis's (errors are always compared exactly):
 * - exact: equal replies;
 * - unordered: an array compared as a sorted list (KEYS: hash-table order);
 * - scan: a SCAN from cursor 0 is followed to the end on each side and the key sets are
 *   compared; cursors are never compared (each side numbers its own table);
 * - random-key: nil on both sides, or a key on both (which one is random);
 * - random-members: HRANDFIELD, SRANDMEMBER: the same shape and length on both sides (which
 *   members is random);
 * - unordered-pairs: a map or flat field/value array compared as a set of pairs (HGETALL:
 *   Redis's order is its encoding's);
 * - dbsize: Redis counts keys that expired and are not yet reclaimed (SET … EXAT in the past
 *   leaves one until its active expiry runs, a matter of timing), raftis does not: ours must
 *   be the number of keys Redis lists (KEYS *) and at most Redis's DBSIZE;
 * - ttl-seconds / ttl-ms: equal when negative (-1, -2), otherwise within a tolerance, since
 *   the two servers received the command at slightly different times;
 * - text: both are text (INFO, CLIENT LIST: contents are per server);
 * - time: an array of two decimal strings on both sides;
 * - integer: an integer on both sides (CLIENT ID: numbering is per server);
 * - client-info: the name=, db= and resp= fields of CLIENT INFO agree;
 * - hello: HELLO's map has the same fields, with the same server, proto and mode.
 */
export type ReplyCheck =
  | 'exact' | 'unordered' | 'unordered-pairs' | 'scan' | 'random-key' | 'random-members' | 'dbsize' | 'ttl-seconds' | 'ttl-ms'
  | 'text' | 'time' | 'integer' | 'client-info' | 'hello';

/**
 * What the command does between MULTI and EXEC:
 * - queued: Redis queues it (QUEUED) and runs it in EXEC;
 * - runs: it runs at once (MULTI, EXEC, DISCARD, WATCH, RESET, QUIT);
 */
export type InTransaction = 'queued' | 'runs';

export interface CommandRow {
  /** Upper case, as documented. */
  readonly name: string;
  /** For container commands (CLIENT ID): the subcommand, drawn in odd case like the name. */
  readonly subcommand?: string;
  /** The arguments after the name (and subcommand). */
  readonly args: fc.Arbitrary<Argv>;
  /** Relative frequency within the family (default 1). */
  readonly weight?: number;
  readonly check?: ReplyCheck | ((argv: Argv) => ReplyCheck);
  readonly inTransaction?: InTransaction;
  /** True for commands whose arity is not worth mangling (the row draws its own arity). */
  readonly noArityNoise?: boolean;
}

export interface CommandFamily {
  readonly name: string;
  /** Relative frequency of the family among all (default 1). */
  readonly weight?: number;
  readonly rows: readonly CommandRow[];
  /**
   * Multi-command blocks run on one connection (MULTI … EXEC), given the arbitrary of any
   * single command of all families.
   */
  readonly blocks?: (command: fc.Arbitrary<Argv>) => fc.Arbitrary<Argv[]>;
}

// ---------------------------------------------------------------------------------------
// Pools

const INT64_MAX = '9223372036854775807';
const INT64_MIN = '-9223372036854775808';

/** Few keys, so commands collide; the empty key, NUL, CR LF, a high byte and a glob character included. */
export const KEYS = ['a', 'b', 'c', '', 'k\x00\r\n', '\xff', 'a*'] as const;

/** Integers at the edges of int64 and of a double's exact range, and near-integers Redis refuses. */
export const INTEGERS = [
  '0', '1', '-1', '2', '5', '100',
  INT64_MAX, INT64_MIN, '9223372036854775806', '-9223372036854775807', '9223372036854775808', '-9223372036854775809',
  '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740993',
  '1.5', ' 1', '1 ', '', 'x', '0x10', '+1', '-0', '01', '1e3',
] as const;

/** Float texts: specials, extremes, hex, signs, spaces, and the empty string. */
export const FLOATS = [
  '1.5', '-0', '0', 'inf', '-inf', '+inf', 'nan', '1e308', '-1e308', '1.7976931348623157e308', '5e-324', '1e-320',
  '0x10', ' 1', '1 ', '', '.5', '5.', '1e', '+1.5', '0.1', '3', '-3.5', INT64_MAX, '1e400', 'x',
] as const;

/** Values: numbers of both kinds, text, binary bytes, the empty string. */
export const VALUES = [...new Set<string>([
  '', 'x', 'hello', 'a b', '\x00\x01\xff', '\r\n', 'v\x00',
  '0', '1', '-1', '10', '007', INT64_MAX, INT64_MIN, '9223372036854775806', '9223372036854775808', '-9223372036854775809',
  '9007199254740993', '1.5', '-0', 'inf', '1e308', 'nan', '0x10', ' 1', '3.0', '1e3',
  // Longer than Redis's small encodings (64-byte listpack entries), and than one TCP segment.
  'v'.repeat(100), 'w'.repeat(70_000),
])];

/**
 * Offsets for SETRANGE: small ones and ones past proto-max-bulk-len (refused), but none in
 * between, which would make both servers allocate hundreds of megabytes.
 */
const OFFSETS = ['0', '1', '3', '10', '-1', '536870912', '9007199254740993', INT64_MAX, INT64_MIN, 'x', '1.5', ' 1', ''] as const;

/**
 * Relative expiries in seconds: <= 0 (gone at once) or >= 1000 s, and invalid ones. Every
 * positive duration here differs from every one in RELATIVE_MS (as milliseconds) by far more
 * than a sequence takes, so comparing two expiries never depends on when they were set
 * (except for the same duration twice; the runner knows).
 */
export const RELATIVE_SECONDS = [
  '0', '-1', '-100', INT64_MIN, '-9223372036854775807',
  '1000', '5000', '86400', '100000000', '9007199254740993', '9223372036854775', INT64_MAX,
  'x', '1.5', ' 1000', '', '1e3',
] as const;

/** Relative expiries in milliseconds, same rules. */
export const RELATIVE_MS = [
  '0', '-1', INT64_MIN,
  '2000000', '7000000', '9007199254740993', '9223370000000000000', INT64_MAX,
  'x', '1.5', '',
] as const;

/** Absolute expiries in seconds: in the past (before 2002) or after 2100, and invalid ones. */
const ABSOLUTE_SECONDS = ['0', '1', '-1', '100', '1000000000', '4102444800', '32503680000', '9223372036854775', INT64_MAX, INT64_MIN, 'x'] as const;

/** Absolute expiries in milliseconds, same rules. */
const ABSOLUTE_MS = ['0', '1', '-1', '1000000000000', '4102444800000', '9223372036854775806', INT64_MAX, INT64_MIN, 'x'] as const;

const GLOBS = ['*', 'a', 'a*', '?', '[ab]', '[^a]', '[a-c]', '\\*', 'a\\*', '*\xff*', '[', '', '\x00*', 'k*', '*\n'] as const;
const TYPES = ['string', 'STRING', 'list', 'hash', 'none', 'bogus', ''] as const;
const CLIENT_NAMES = ['fuzz', '', 'a b', 'x\n', '\xff', 'name-1'] as const;

/** The same word in lower, upper and mixed case: Redis matches keywords case-insensitively. */
export function oddCase(word: string): fc.Arbitrary<string> {
  const mixed = [...word].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c.toLowerCase())).join('');
  return fc.constantFrom(word.toUpperCase(), word.toLowerCase(), mixed);
}

const key = fc.constantFrom(...KEYS);
const value = fc.constantFrom(...VALUES);
const integer = fc.constantFrom(...INTEGERS);
const anyArg = fc.oneof(key, value, integer, fc.constantFrom(...FLOATS));

function keys(minLength: number, maxLength: number): fc.Arbitrary<string[]> {
  return fc.array(key, { minLength, maxLength });
}

/** A keyword with its argument, e.g. ['ex', '1000']. */
function withValue(word: string, values: fc.Arbitrary<string>): fc.Arbitrary<string[]> {
  return fc.tuple(oddCase(word), values).map(([w, v]) => [w, v]);
}

/** Options in any order, with repeats and conflicting pairs, flattened. */
function options(choices: fc.Arbitrary<readonly string[]>, maxLength: number): fc.Arbitrary<string[]> {
  return fc.array(choices, { maxLength }).map((groups) => groups.flat());
}

function tuple(...parts: fc.Arbitrary<string | string[]>[]): fc.Arbitrary<Argv> {
  return fc.tuple(...parts).map((items) => items.flat());
}

const none: fc.Arbitrary<Argv> = fc.constant([]);

// ---------------------------------------------------------------------------------------
// Families

const expiryOption = fc.oneof(
  withValue('EX', fc.constantFrom(...RELATIVE_SECONDS)),
  withValue('PX', fc.constantFrom(...RELATIVE_MS)),
  withValue('EXAT', fc.constantFrom(...ABSOLUTE_SECONDS)),
  withValue('PXAT', fc.constantFrom(...ABSOLUTE_MS)),
);

const setOption = fc.oneof(
  { weight: 3, arbitrary: expiryOption },
  { weight: 4, arbitrary: fc.oneof(oddCase('NX'), oddCase('XX'), oddCase('GET'), oddCase('KEEPTTL')).map((w) => [w]) },
  { weight: 1, arbitrary: fc.constantFrom(['FOO'], ['EX']) },
);

const getexOption = fc.oneof(
  { weight: 3, arbitrary: expiryOption },
  { weight: 2, arbitrary: oddCase('PERSIST').map((w) => [w]) },
  { weight: 1, arbitrary: fc.constantFrom(['KEEPTTL'], ['NX'], ['GET']) },
);

const pairs = fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 3 }).map((items) => items.flat());

export const STRINGS: CommandFamily = {
  name: 'strings',
  weight: 4,
  rows: [
    { name: 'GET', args: tuple(key), weight: 3 },
    // IFEQ is left out: it is a raftis extension (Redis 7.0 answers it with a syntax error).
    { name: 'SET', args: tuple(key, value, options(setOption, 3)), weight: 4 },
    { name: 'SETNX', args: tuple(key, value) },
    { name: 'SETEX', args: tuple(key, fc.constantFrom(...RELATIVE_SECONDS), value) },
    { name: 'PSETEX', args: tuple(key, fc.constantFrom(...RELATIVE_MS), value) },
    { name: 'GETSET', args: tuple(key, value) },
    { name: 'GETDEL', args: tuple(key) },
    { name: 'GETEX', args: tuple(key, options(getexOption, 2)), weight: 2 },
    { name: 'MGET', args: keys(1, 4) },
    { name: 'MSET', args: pairs },
    { name: 'MSETNX', args: pairs },
    { name: 'APPEND', args: tuple(key, value), weight: 2 },
    { name: 'STRLEN', args: tuple(key) },
    { name: 'GETRANGE', args: tuple(key, integer, integer), weight: 2 },
    { name: 'SETRANGE', args: tuple(key, fc.constantFrom(...OFFSETS), value), weight: 2 },
    { name: 'INCR', args: tuple(key), weight: 2 },
    { name: 'DECR', args: tuple(key) },
    { name: 'INCRBY', args: tuple(key, integer), weight: 2 },
    { name: 'DECRBY', args: tuple(key, integer) },
    { name: 'INCRBYFLOAT', args: tuple(key, fc.constantFrom(...FLOATS)), weight: 2 },
  ],
};

const scanOption = fc.oneof(
  withValue('MATCH', fc.constantFrom(...GLOBS)),
  withValue('COUNT', fc.constantFrom('1', '2', '10', '1000', '0', '-1', 'x', INT64_MAX)),
  withValue('TYPE', fc.constantFrom(...TYPES)),
);

export const KEYSPACE: CommandFamily = {
  name: 'keys',
  weight: 2,
  rows: [
    { name: 'DEL', args: keys(1, 3), weight: 2 },
    { name: 'UNLINK', args: keys(1, 3) },
    { name: 'EXISTS', args: keys(1, 3), weight: 2 },
    { name: 'TYPE', args: tuple(key) },
    { name: 'RENAME', args: tuple(key, key), weight: 2 },
    { name: 'RENAMENX', args: tuple(key, key) },
    { name: 'KEYS', args: tuple(fc.constantFrom(...GLOBS)), check: 'unordered' },
    // Cursor 0 mostly (a whole scan is compared); others only for their errors and shape.
    { name: 'SCAN', args: tuple(fc.constantFrom('0', '0', '0', '1', '-1', 'x', ' 0', '18446744073709551615', '18446744073709551616'), options(scanOption, 3)), check: 'scan' },
    { name: 'RANDOMKEY', args: none, check: 'random-key' },
    { name: 'DBSIZE', args: none, check: 'dbsize' },
    { name: 'FLUSHDB', args: options(fc.oneof(oddCase('ASYNC'), oddCase('SYNC'), fc.constant('FOO')).map((w) => [w]), 2), weight: 0.3 },
    { name: 'FLUSHALL', args: options(fc.oneof(oddCase('ASYNC'), oddCase('SYNC'), fc.constant('FOO')).map((w) => [w]), 2), weight: 0.3 },
  ],
};

const expireOption = fc.oneof(oddCase('NX'), oddCase('XX'), oddCase('GT'), oddCase('LT'), fc.constant('FOO')).map((w) => [w]);

export const EXPIRY: CommandFamily = {
  name: 'expiry',
  weight: 2,
  rows: [
    { name: 'EXPIRE', args: tuple(key, fc.constantFrom(...RELATIVE_SECONDS), options(expireOption, 2)), weight: 2 },
    { name: 'PEXPIRE', args: tuple(key, fc.constantFrom(...RELATIVE_MS), options(expireOption, 2)), weight: 2 },
    { name: 'EXPIREAT', args: tuple(key, fc.constantFrom(...ABSOLUTE_SECONDS), options(expireOption, 2)) },
    { name: 'PEXPIREAT', args: tuple(key, fc.constantFrom(...ABSOLUTE_MS), options(expireOption, 2)) },
    { name: 'TTL', args: tuple(key), check: 'ttl-seconds', weight: 2 },
    { name: 'PTTL', args: tuple(key), check: 'ttl-ms' },
    { name: 'EXPIRETIME', args: tuple(key), check: 'ttl-seconds' },
    { name: 'PEXPIRETIME', args: tuple(key), check: 'ttl-ms' },
    { name: 'PERSIST', args: tuple(key) },
  ],
};

export const TRANSACTIONS: CommandFamily = {
  name: 'transactions',
  weight: 0.5,
  rows: [
    { name: 'MULTI', args: none, inTransaction: 'runs' },
    { name: 'EXEC', args: none, inTransaction: 'runs' },
    { name: 'DISCARD', args: none, inTransaction: 'runs', weight: 0.5 },
    { name: 'WATCH', args: keys(1, 2), inTransaction: 'runs' },
    // Redis queues UNWATCH like a data command (only EXEC, DISCARD, MULTI, WATCH, QUIT and RESET run at once).
    { name: 'UNWATCH', args: none, inTransaction: 'queued', weight: 0.5 },
  ],
  blocks: (command) => fc.tuple(
    fc.option(keys(1, 2).map((k) => ['WATCH', ...k]), { nil: null }),
    fc.array(command, { minLength: 0, maxLength: 4 }),
    fc.array(command, { minLength: 1, maxLength: 4 }),
    fc.constantFrom(['EXEC'], ['EXEC'], ['EXEC'], ['DISCARD']),
  ).map(([watch, before, queued, end]) => [...(watch === null ? [] : [watch]), ...before, ['MULTI'], ...queued, end]),
};

export const CONNECTION: CommandFamily = {
  name: 'connection',
  rows: [
    { name: 'PING', args: fc.array(value, { maxLength: 1 }) },
    { name: 'ECHO', args: tuple(value) },
    { name: 'SELECT', args: tuple(fc.constantFrom('0', '1', '-1', '16', 'x', '00', '-0', ' 0', INT64_MAX, '9223372036854775808', '2147483647', '2147483648', '-2147483649')) },
    { name: 'CLIENT', subcommand: 'GETNAME', args: none },
    { name: 'CLIENT', subcommand: 'SETNAME', args: tuple(fc.constantFrom(...CLIENT_NAMES)) },
    { name: 'CLIENT', subcommand: 'ID', args: none, check: 'integer' },
    { name: 'CLIENT', subcommand: 'INFO', args: none, check: 'client-info' },
    { name: 'CLIENT', subcommand: 'LIST', args: none, check: 'text', weight: 0.3 },
    // CLIENT SETINFO is left out: Redis 7.0 does not have it (7.2 does; raftis accepts it for clients that send it).
    { name: 'CLIENT', subcommand: 'BOGUS', args: none, weight: 0.2 },
    { name: 'CLIENT', args: none, weight: 0.1, noArityNoise: true },
    {
      name: 'HELLO',
      args: tuple(fc.constantFrom('2', '3', '3', '1', '4', 'x', '-1', INT64_MAX), fc.constantFrom([], [], ['SETNAME', 'fuzz'], ['SETNAME', 'a b'], ['FOO'], ['SETNAME'])),
      check: 'hello', noArityNoise: true,
    },
    { name: 'INFO', args: fc.array(fc.constantFrom('server', 'keyspace', 'bogus', 'all', 'default', 'everything', 'stats'), { maxLength: 2 }), check: 'text', weight: 0.3 },
    { name: 'TIME', args: none, check: 'time', weight: 0.3 },
    { name: 'RESET', args: none, inTransaction: 'runs', weight: 0.3 },
    { name: 'QUIT', args: none, inTransaction: 'runs', weight: 0.2, noArityNoise: true },
  ],
};

const field = fc.constantFrom('f', 'g', '', 'f\x00', '\xff', '1');
const fieldValues = fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 3 }).map((items) => items.flat());
const fields = (minLength: number): fc.Arbitrary<string[]> => fc.array(field, { minLength, maxLength: 3 });
/**
 * Counts for HRANDFIELD and SRANDMEMBER: small ones of both signs, and no huge negative one:
 * Redis would build a reply that big (and stall), raftis refuses below -1,000,000 on purpose
 * (src/kv/random-picks.ts). Their rows draw their own arity for the same reason (the noise
 * could append such a count).
 */
const randomCount = fc.constantFrom('1', '2', '3', '-1', '-3', '0', '10', '9223372036854775807', 'x', '1.5');
const scanOptions = options(fc.oneof(withValue('MATCH', fc.constantFrom(...GLOBS)), withValue('COUNT', fc.constantFrom('1', '10', '0', 'x'))), 2);
const scanCursor = fc.constantFrom('0', '0', '0', '1', 'x', '-1');

export const HASHES: CommandFamily = {
  name: 'hashes',
  weight: 1.5,
  rows: [
    { name: 'HSET', args: tuple(key, fieldValues), weight: 3 },
    { name: 'HSETNX', args: tuple(key, field, value) },
    { name: 'HMSET', args: tuple(key, fieldValues) },
    { name: 'HGET', args: tuple(key, field), weight: 2 },
    { name: 'HMGET', args: tuple(key, fields(1)) },
    { name: 'HDEL', args: tuple(key, fields(1)), weight: 2 },
    { name: 'HLEN', args: tuple(key) },
    { name: 'HSTRLEN', args: tuple(key, field) },
    { name: 'HEXISTS', args: tuple(key, field) },
    { name: 'HKEYS', args: tuple(key), check: 'unordered' },
    { name: 'HVALS', args: tuple(key), check: 'unordered' },
    { name: 'HGETALL', args: tuple(key), check: 'unordered-pairs' },
    { name: 'HINCRBY', args: tuple(key, field, integer), weight: 2 },
    { name: 'HINCRBYFLOAT', args: tuple(key, field, fc.constantFrom(...FLOATS)), weight: 2 },
    {
      name: 'HRANDFIELD',
      args: fc.oneof(
        tuple(key, fc.option(fc.tuple(randomCount, fc.constantFrom<string[]>([], ['WITHVALUES'], ['withvalues'], ['FOO'], ['WITHVALUES', 'x'])).map(([c, w]) => [c, ...w]), { nil: null }).map((o) => o ?? [])),
        fc.constant([]),
      ),
      check: 'random-members',
      noArityNoise: true,
    },
    { name: 'HSCAN', args: tuple(key, scanCursor, scanOptions), check: 'scan' },
  ],
};

const member = fc.constantFrom('m', 'n', '', '\xff', '1', '2', '-1', '10', '9223372036854775808');
const members = (minLength: number): fc.Arbitrary<string[]> => fc.array(member, { minLength, maxLength: 3 });

export const SETS: CommandFamily = {
  name: 'sets',
  weight: 1.5,
  rows: [
    { name: 'SADD', args: tuple(key, members(1)), weight: 3 },
    { name: 'SREM', args: tuple(key, members(1)), weight: 2 },
    { name: 'SMEMBERS', args: tuple(key), check: 'unordered' },
    { name: 'SISMEMBER', args: tuple(key, member) },
    { name: 'SMISMEMBER', args: tuple(key, members(1)) },
    { name: 'SCARD', args: tuple(key) },
    // SPOP is left out: Redis pops a random member and raftis another, and the keyspaces part.
    {
      name: 'SRANDMEMBER',
      args: fc.oneof(tuple(key, fc.constantFrom<string[]>([], ['x']), fc.option(randomCount, { nil: null }).map((c) => (c === null ? [] : [c]))), fc.constant([])),
      check: 'random-members',
      noArityNoise: true,
    },
    { name: 'SMOVE', args: tuple(key, key, member) },
    { name: 'SINTER', args: keys(1, 3), check: 'unordered' },
    { name: 'SUNION', args: keys(1, 3), check: 'unordered' },
    { name: 'SDIFF', args: keys(1, 3), check: 'unordered' },
    { name: 'SINTERCARD', args: tuple(fc.constantFrom('1', '2', '3', '0', '-1', 'x'), keys(1, 3), options(withValue('LIMIT', fc.constantFrom('0', '1', '-1', 'x')), 1)) },
    { name: 'SINTERSTORE', args: tuple(key, keys(1, 3)) },
    { name: 'SUNIONSTORE', args: tuple(key, keys(1, 3)) },
    { name: 'SDIFFSTORE', args: tuple(key, keys(1, 3)) },
    { name: 'SSCAN', args: tuple(key, scanCursor, scanOptions), check: 'scan' },
  ],
};

const elements = (minLength: number): fc.Arbitrary<string[]> => fc.array(value, { minLength, maxLength: 4 });
const listIndex = fc.constantFrom('0', '1', '-1', '2', '-2', '10', '-10', INT64_MAX, INT64_MIN, 'x', '1.5');
const side = fc.constantFrom('LEFT', 'RIGHT', 'left', 'UP');
const popCount = fc.constantFrom<string[]>([], ['1'], ['2'], ['0'], ['-1'], ['x'], ['10']);

/** Lists, without the blocking forms (a blocked connection would stall the sequence; test/server/blocking*.ts cover them). */
export const LISTS: CommandFamily = {
  name: 'lists',
  weight: 1.5,
  rows: [
    { name: 'LPUSH', args: tuple(key, elements(1)), weight: 3 },
    { name: 'RPUSH', args: tuple(key, elements(1)), weight: 3 },
    { name: 'LPUSHX', args: tuple(key, elements(1)) },
    { name: 'RPUSHX', args: tuple(key, elements(1)) },
    { name: 'LPOP', args: tuple(key, popCount), noArityNoise: true },
    { name: 'RPOP', args: tuple(key, popCount), noArityNoise: true },
    { name: 'LLEN', args: tuple(key) },
    { name: 'LRANGE', args: tuple(key, listIndex, listIndex), weight: 2 },
    { name: 'LINDEX', args: tuple(key, listIndex) },
    { name: 'LSET', args: tuple(key, listIndex, value) },
    { name: 'LINSERT', args: tuple(key, fc.constantFrom('BEFORE', 'after', 'MIDDLE'), value, value) },
    { name: 'LREM', args: tuple(key, fc.constantFrom('0', '1', '-1', '2', 'x'), value) },
    { name: 'LTRIM', args: tuple(key, listIndex, listIndex) },
    { name: 'LPOS', args: tuple(key, value, options(fc.oneof(withValue('RANK', fc.constantFrom('1', '-1', '2', '0', 'x')), withValue('COUNT', fc.constantFrom('0', '1', '2', '-1')), withValue('MAXLEN', fc.constantFrom('0', '1', '-1'))), 2)) },
    { name: 'LMOVE', args: tuple(key, key, side, side) },
    { name: 'RPOPLPUSH', args: tuple(key, key) },
    { name: 'LMPOP', args: tuple(fc.constantFrom('1', '2', '0', 'x'), keys(1, 2), side, options(withValue('COUNT', fc.constantFrom('1', '3', '0', 'x')), 1)), noArityNoise: true },
  ],
};

const score = fc.constantFrom('0', '1', '-1', '1.5', '-inf', '+inf', 'inf', '1e308', 'nan', 'x', '0x10', '-0');
const scoreBound = fc.constantFrom('-inf', '+inf', '0', '(0', '1', '(1', '1.5', 'x', '(');
const lexBound = fc.constantFrom('-', '+', '[m', '(m', '[', 'm', '[\xff');
const scoreMembers = fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 3 }).map((items) => items.flat());
const zaddOption = fc.constantFrom<readonly string[]>(['NX'], ['XX'], ['GT'], ['LT'], ['CH'], ['INCR'], ['nx'], ['BOGUS']);
const rangeOptions = options(fc.constantFrom<readonly string[]>(['BYSCORE'], ['BYLEX'], ['REV'], ['WITHSCORES'], ['LIMIT', '0', '1'], ['LIMIT', '1', '-1'], ['LIMIT', 'x', '1']), 3);

export const SORTED_SETS: CommandFamily = {
  name: 'sorted sets',
  weight: 1.5,
  rows: [
    { name: 'ZADD', args: tuple(key, options(zaddOption, 2), scoreMembers), weight: 3 },
    { name: 'ZINCRBY', args: tuple(key, score, member) },
    { name: 'ZREM', args: tuple(key, members(1)), weight: 2 },
    { name: 'ZCARD', args: tuple(key) },
    { name: 'ZCOUNT', args: tuple(key, scoreBound, scoreBound) },
    { name: 'ZLEXCOUNT', args: tuple(key, lexBound, lexBound) },
    { name: 'ZSCORE', args: tuple(key, member) },
    { name: 'ZMSCORE', args: tuple(key, members(1)) },
    { name: 'ZRANK', args: tuple(key, member) },
    { name: 'ZREVRANK', args: tuple(key, member) },
    { name: 'ZRANGE', args: tuple(key, fc.oneof(listIndex, scoreBound, lexBound), fc.oneof(listIndex, scoreBound, lexBound), rangeOptions), weight: 2 },
    { name: 'ZRANGEBYSCORE', args: tuple(key, scoreBound, scoreBound, options(fc.constantFrom<readonly string[]>(['WITHSCORES'], ['LIMIT', '0', '2']), 1)) },
    { name: 'ZREVRANGEBYSCORE', args: tuple(key, scoreBound, scoreBound) },
    { name: 'ZRANGEBYLEX', args: tuple(key, lexBound, lexBound) },
    { name: 'ZPOPMIN', args: tuple(key, popCount), noArityNoise: true },
    { name: 'ZPOPMAX', args: tuple(key, popCount), noArityNoise: true },
    { name: 'ZREMRANGEBYRANK', args: tuple(key, listIndex, listIndex) },
    { name: 'ZREMRANGEBYSCORE', args: tuple(key, scoreBound, scoreBound) },
    { name: 'ZREMRANGEBYLEX', args: tuple(key, lexBound, lexBound) },
    { name: 'ZUNIONSTORE', args: tuple(key, fc.constantFrom('1', '2', '0', 'x'), keys(1, 2), options(fc.constantFrom<readonly string[]>(['AGGREGATE', 'MAX'], ['AGGREGATE', 'sum'], ['WEIGHTS', '2']), 1)) },
    { name: 'ZINTERSTORE', args: tuple(key, fc.constantFrom('1', '2', '0'), keys(1, 2)) },
    { name: 'ZDIFF', args: tuple(fc.constantFrom('1', '2', '0'), keys(1, 2), options(fc.constant<readonly string[]>(['WITHSCORES']), 1)) },
    { name: 'ZRANGESTORE', args: tuple(key, key, listIndex, listIndex) },
    { name: 'ZSCAN', args: tuple(key, scanCursor, scanOptions), check: 'scan' },
  ],
};

/**
 * Bit offsets: small ones, and ones whose byte is past proto-max-bulk-len (refused), none in
 * between (a string of hundreds of megabytes on both servers); `#n` is BITFIELD's n-th field.
 */
const BIT_OFFSETS = ['0', '1', '7', '8', '63', '100', '-1', '4294967296', INT64_MAX, 'x', ' 1', '1.5', '#1', '#9'] as const;
const bitOffset = fc.constantFrom(...BIT_OFFSETS);
const rangeIndex = fc.constantFrom('0', '1', '2', '-1', '-2', '-100', '100', INT64_MAX, INT64_MIN, 'x', '');
const bitUnit = fc.constantFrom<string[]>([], ['BIT'], ['BYTE'], ['bit'], ['FOO']);
const fieldType = fc.constantFrom('i1', 'u1', 'i5', 'u8', 'i8', 'i16', 'u32', 'i63', 'u63', 'i64', 'u64', 'i65', 'i0', 'x8', 'I8', '');
const bitfieldOp = fc.oneof(
  { weight: 3, arbitrary: tuple(oddCase('GET'), fieldType, bitOffset) },
  { weight: 3, arbitrary: tuple(fc.oneof(oddCase('SET'), oddCase('INCRBY')), fieldType, bitOffset, integer) },
  // No OVERFLOW FAIL: a BITFIELD whose every write fails still creates or grows the key, which
  // Redis does without touching WATCH and raftis cannot (docs/compatibility.md); FAIL is
  // compared with Redis in test/kv/redis-compare-bits.test.ts.
  { weight: 1, arbitrary: tuple(oddCase('OVERFLOW'), fc.oneof(oddCase('WRAP'), oddCase('SAT'), fc.constant('FOO'))) },
);

export const BITMAPS: CommandFamily = {
  name: 'bitmaps',
  rows: [
    { name: 'SETBIT', args: tuple(key, bitOffset, fc.constantFrom('0', '1', '2', '-1', 'x')), weight: 3 },
    { name: 'GETBIT', args: tuple(key, bitOffset), weight: 2 },
    { name: 'BITCOUNT', args: fc.oneof(tuple(key), tuple(key, rangeIndex, rangeIndex, bitUnit)), weight: 2 },
    {
      name: 'BITPOS',
      args: fc.oneof(tuple(key, fc.constantFrom('0', '1', '2', 'x')), tuple(key, fc.constantFrom('0', '1'), rangeIndex, fc.oneof(fc.constant<string[]>([]), tuple(rangeIndex, bitUnit).map((a) => [...a])))),
      weight: 2,
    },
    { name: 'BITOP', args: tuple(fc.oneof(oddCase('AND'), oddCase('OR'), oddCase('XOR'), oddCase('NOT'), fc.constant('NAND')), key, keys(1, 3)), weight: 2 },
    { name: 'BITFIELD', args: tuple(key, fc.array(bitfieldOp, { maxLength: 4 }).map((ops) => ops.flat())), weight: 3 },
    { name: 'BITFIELD_RO', args: tuple(key, fc.array(bitfieldOp, { maxLength: 3 }).map((ops) => ops.flat())) },
    {
      name: 'LCS',
      args: tuple(key, key, fc.constantFrom<string[]>([], ['LEN'], ['IDX'], ['IDX', 'WITHMATCHLEN'], ['IDX', 'MINMATCHLEN', '2'], ['LEN', 'IDX'], ['MINMATCHLEN', 'x'], ['FOO'])),
    },
  ],
};

/**
 * PFCOUNT takes two or more keys here (no arity noise, which could leave one): Redis's PFCOUNT
 * of one key writes the count into the value's header cache and raftis's (a read) does not
 * (docs/compatibility.md), so a later GET of that key would differ in those bytes by design.
 */
export const HYPERLOGLOG: CommandFamily = {
  name: 'hyperloglog',
  rows: [
    { name: 'PFADD', args: tuple(key, fc.array(fc.oneof(value, integer), { maxLength: 5 })), weight: 3 },
    { name: 'PFCOUNT', args: keys(2, 3), weight: 2, noArityNoise: true },
    { name: 'PFMERGE', args: tuple(key, keys(0, 3)) },
    // Not TODENSE or GETREG: they store a sparse value as dense, which Redis does without touching WATCH.
    { name: 'PFDEBUG', args: tuple(fc.oneof(oddCase('ENCODING'), oddCase('DECODE'), fc.constant('FOO')), key), weight: 0.5 },
  ],
};

/** Names no Redis has (nor will), in odd forms: the error text must still match Redis's. */
export const UNKNOWN: CommandFamily = {
  name: 'unknown',
  weight: 0.3,
  rows: [
    {
      name: 'NOSUCHCOMMAND',
      args: fc.array(anyArg, { maxLength: 25 }),
      noArityNoise: true,
    },
  ],
};

/** Every family the fuzzer draws from; a new data-type family is one more entry. */
export const FAMILIES: readonly CommandFamily[] = [STRINGS, KEYSPACE, EXPIRY, TRANSACTIONS, CONNECTION, HASHES, SETS, LISTS, SORTED_SETS, BITMAPS, HYPERLOGLOG, UNKNOWN];

const UNKNOWN_NAMES = ['NOSUCHCOMMAND', 'gett', '', '\xff\x00', 'x'.repeat(200), 'SET\r\n', 'get x'] as const;

// ---------------------------------------------------------------------------------------
// Commands and sequences

/** Too few or too many arguments, sometimes: every command's arity check is exercised. */
function arityNoise(args: fc.Arbitrary<Argv>): fc.Arbitrary<Argv> {
  return fc.oneof(
    { weight: 12, arbitrary: args },
    { weight: 1, arbitrary: fc.tuple(args, fc.nat()).map(([a, n]) => a.slice(0, a.length === 0 ? 0 : n % a.length)) },
    { weight: 1, arbitrary: fc.tuple(args, fc.array(anyArg, { minLength: 1, maxLength: 3 })).map(([a, extra]) => [...a, ...extra]) },
  );
}

function rowCommand(row: CommandRow): fc.Arbitrary<Argv> {
  const withSubcommand = row.subcommand === undefined ? row.args : fc.tuple(oddCase(row.subcommand), row.args).map(([s, a]) => [s, ...a]);
  const args = row.noArityNoise === true ? withSubcommand : arityNoise(withSubcommand);
  const name = row.name === 'NOSUCHCOMMAND' ? fc.constantFrom(...UNKNOWN_NAMES) : oddCase(row.name);
  return fc.tuple(name, args).map(([n, a]) => [n, ...a]);
}

/** One command of the given families, weighted by family and row. */
export function commandArbitrary(families: readonly CommandFamily[]): fc.Arbitrary<Argv> {
  return fc.oneof(...families.map((family) => ({
    weight: weightOf(family.weight),
    arbitrary: fc.oneof(...family.rows.map((row) => ({ weight: weightOf(row.weight), arbitrary: rowCommand(row) }))),
  })));
}

/** fc.oneof wants integer weights: tenths of the table's weights. */
function weightOf(weight: number | undefined): number {
  return Math.max(1, Math.round((weight ?? 1) * 10));
}

export interface Step {
  /** Which client (connection) sends it. */
  readonly client: number;
  readonly argv: Argv;
  /**
   * Consecutive steps with the same batch are pipelined on raftis: written together before
   * any reply is read (Redis answers the same either way).
   */
  readonly batch?: number;
}

export interface FuzzSequence {
  /** The node each client is connected to on the raftis side (index into the cluster's nodes). */
  readonly nodeOfClient: readonly number[];
  /** Clients that start with HELLO 3: every reply of theirs is RESP3. */
  readonly resp3OfClient: readonly boolean[];
  readonly steps: readonly Step[];
}

export interface SequenceOptions {
  readonly clients: number;
  readonly nodes: number;
  readonly maxSteps: number;
}

/**
 * A sequence of chunks, each on a random client: single commands mostly, then the families'
 * blocks (MULTI … EXEC), sent one by one or pipelined, and pipelines of random commands.
 */
export function sequenceArbitrary(families: readonly CommandFamily[], options: SequenceOptions): fc.Arbitrary<FuzzSequence> {
  const command = commandArbitrary(families);
  const blocks = families.flatMap((family) => (family.blocks === undefined ? [] : [family.blocks(command)]));
  const single = command.map((c) => ({ argvs: [c], pipelined: false }));
  const pipeline = fc.array(command, { minLength: 2, maxLength: 6 }).map((argvs) => ({ argvs, pipelined: true }));
  const block = blocks.length === 0 ? pipeline : fc.tuple(fc.oneof(...blocks), fc.boolean()).map(([argvs, pipelined]) => ({ argvs, pipelined }));
  const chunk = fc.tuple(
    fc.integer({ min: 0, max: options.clients - 1 }),
    fc.oneof({ weight: 20, arbitrary: single }, { weight: 1, arbitrary: block }, { weight: 1, arbitrary: pipeline }),
  );
  return fc.record({
    nodeOfClient: fc.array(fc.integer({ min: 0, max: options.nodes - 1 }), { minLength: options.clients, maxLength: options.clients }),
    resp3OfClient: fc.array(fc.boolean(), { minLength: options.clients, maxLength: options.clients }),
    // size 'max': lengths spread over the whole range, not fast-check's default small sizes.
    steps: fc.array(chunk, { minLength: 1, maxLength: options.maxSteps, size: 'max' }).map((chunks) => chunks
      .flatMap(([client, { argvs, pipelined }], batch): Step[] => argvs.map((argv) => (pipelined ? { client, argv, batch } : { client, argv })))
      .slice(0, options.maxSteps * 2)),
  });
}

const rowsByName = new Map<string, CommandRow[]>();
for (const family of FAMILIES) {
  for (const row of family.rows) rowsByName.set(row.name.toLowerCase(), [...(rowsByName.get(row.name.toLowerCase()) ?? []), row]);
}

/** The row a command was drawn from: by name, then (CLIENT) by subcommand. */
export function rowOf(argv: Argv): CommandRow | undefined {
  const rows = rowsByName.get((argv[0] ?? '').toLowerCase());
  if (rows === undefined) return undefined;
  const sub = (argv[1] ?? '').toLowerCase();
  return rows.find((row) => row.subcommand === undefined || row.subcommand.toLowerCase() === sub);
}

export function checkOf(argv: Argv): ReplyCheck {
  const check = rowOf(argv)?.check ?? 'exact';
  return typeof check === 'function' ? check(argv) : check;
}

export function inTransactionOf(argv: Argv): InTransaction {
  return rowOf(argv)?.inTransaction ?? 'queued';
}

/** A command as redis-cli would show it, bytes escaped: for failure messages. */
export function showArgv(argv: Argv): string {
  const showArg = (arg: string): string => (/^[\x21-\x7e]+$/.test(arg) && !arg.includes('"') ? arg : JSON.stringify(arg));
  return argv.map((arg) => (arg.length > SHOWN_ARG_MAX ? `${showArg(arg.slice(0, 20))}…(${arg.length} bytes)` : showArg(arg))).join(' ');
}

/** Longer arguments are shown by their start and length. */
const SHOWN_ARG_MAX = 200;
