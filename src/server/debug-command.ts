// DEBUG: the subcommands clients and Redis's test suite use, with Redis 7.0's replies, gated
// as Redis 7.0 gates it (enable-debug-command: no by default, yes, or local for loopback
// clients). Nothing here changes replicated state: reads go through a read point like any
// read, and the rest is this node's own (its active-expiry proposals, a snapshot, a sleep).
//
// DEBUG SLEEP holds the calling connection (its reply and the commands it sent after), not
// the node: Redis blocks its whole event loop, but blocking Node's would stop this node's Raft
// heartbeats, and any sleep past the election timeout would elect another leader.

import type { Reply } from '../kv/reply.js';
import { objectEncodingCommandName, type EncodingThresholds } from '../kv/object-encoding.js';
import { debugDigestValueCommandName, debugObjectCommandName } from '../kv/debug-commands.js';
import { globMatch } from '../kv/glob.js';
import { parseMemory } from '../kv/replicated-settings.js';
import type { DebugPermission } from './config.js';
import { errorReply } from './errors.js';
import { serverCommand, type ServerCall, type ServerCommand } from './command-registry.js';

export interface DebugDeps {
  readonly permission: DebugPermission;
  readonly thresholds: () => EncodingThresholds;
  /** Runs a read-only state machine command against this node's state, judging expiry at `clusterTime`. */
  readonly read: (argv: readonly Uint8Array[], clusterTime: number) => Reply;
  /** The state machine's digest (16 hex digits). */
  readonly digest: () => string;
  /** Whether this node, as leader, proposes the deletion of expired keys. */
  readonly setActiveExpire: (on: boolean) => void;
  readonly snapshot: () => Promise<unknown>;
  /** Writes DEBUG LOG's message to the node's log. */
  readonly log: (message: string) => void;
}

const OK: Reply = { kind: 'simple', value: 'OK' };
const simple = (value: string): Reply => ({ kind: 'simple', value });
const bulk = (text: string): Reply => ({ kind: 'bulk', value: Buffer.from(text) });
const integer = (value: number): Reply => ({ kind: 'integer', value });

const NOT_ALLOWED = 'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';

/** Redis 7.0's help lines of the subcommands raftis has, in its order. */
const DEBUG_HELP = [
  'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANGE-REPL-ID', '    Change the replication IDs of the instance.', '    Dangerous: should be used only for testing the replication subsystem.',
  'DIGEST', '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]', '    Output a hex signature of the values of all the specified keys.',
  'ERROR <string>', '    Return a Redis protocol error with <string> as message. Useful for clients', '    unit tests to simulate Redis errors.',
  'LOG <message>', '    Write <message> to the server log.',
  'LOADAOF', '    Flush the AOF buffers on disk and reload the AOF in memory. In raftis: the', '    log is always synced and the state is its replay; nothing to do.',
  'OBJECT <key>', '    Show low level info about `key` and associated value.',
  'PROTOCOL <type>', '    Reply with a test value of the specified type. <type> can be: string,',
  '    integer, double, bignum, null, array, set, map, attrib, push, verbatim,', '    true, false.',
  'RELOAD [option ...]', '    Save the RDB on disk and reload it back to memory. In raftis: take a', '    snapshot now; the state machine is not reloaded.',
  'SET-ACTIVE-EXPIRE <0|1>', '    Setting it to 0 disables expiring keys in background when they are not', '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the', '    default.',
  'QUICKLIST-PACKED-THRESHOLD <size>', '    Sets the threshold for elements to be inserted as plain vs packed nodes',
  '    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.',
  'SLEEP <seconds>', '    Stop the server for <seconds>. Decimals allowed. In raftis: this', '    connection only.',
  'STRINGMATCH-TEST', '    Run a fuzz tester against the stringmatchlen() function.',
  'HELP', '    Prints this help.',
];

/** Whether a client address ("ip:port") is on this host, as Redis's "local" setting judges it. */
function isLocalAddress(address: string): boolean {
  return address.startsWith('127.') || address.startsWith('::1:') || address.startsWith('::ffff:127.');
}

export function debugCommand(deps: DebugDeps): ServerCommand {
  return serverCommand('debug', -2, ['admin', 'noscript', 'loading', 'stale'], (call) => {
    const { conn, argv, done } = call;
    if (deps.permission === 'no' || (deps.permission === 'local' && !isLocalAddress(conn.address))) return done(errorReply(NOT_ALLOWED));
    const sub = (argv[1] as Buffer).toString('latin1').toLowerCase();
    const text = (i: number): string => argv[i]?.toString('latin1') ?? '';
    if (sub === 'help' && argv.length === 2) return done({ kind: 'array', value: DEBUG_HELP.map(simple) });
    if (sub === 'sleep' && argv.length === 3) return sleep(text(2), call);
    if (sub === 'object' && argv.length === 3) return debugObject(call, deps);
    if (sub === 'digest' && argv.length === 2) return call.read(() => simple(deps.digest().padStart(40, '0')), done);
    if (sub === 'digest-value' && argv.length >= 2) return call.read((time) => deps.read([Buffer.from(debugDigestValueCommandName), ...argv.slice(2)], time), done);
    if (sub === 'protocol' && argv.length === 3) return done(protocolReply(text(2).toLowerCase(), conn));
    if (sub === 'set-active-expire' && argv.length === 3) {
      deps.setActiveExpire(Number.parseInt(text(2), 10) !== 0); // Redis's atoi
      return done(OK);
    }
    if (sub === 'change-repl-id' && argv.length === 2) return done(OK); // raftis has no replication ids
    // The log is its append-only file, synced before every acknowledgement: the state is what
    // replaying it gives, so there is nothing to flush or load again.
    if (sub === 'loadaof' && argv.length === 2) return done(OK);
    if (sub === 'quicklist-packed-threshold' && argv.length === 3) return done(packedThreshold(text(2)));
    if (sub === 'reload') return void deps.snapshot().then(() => done(OK), (error: unknown) => done(errorReply(`ERR Error trying to save the DB: ${String(error)}`)));
    if (sub === 'stringmatch-test' && argv.length === 2) return done(stringMatchFuzz());
    if (sub === 'error' && argv.length === 3) return done(errorReply(text(2)));
    if (sub === 'log' && argv.length === 3) {
      deps.log(text(2));
      return done(OK);
    }
    done(errorReply(`ERR unknown subcommand or wrong number of arguments for '${text(1).slice(0, 128)}'. Try DEBUG HELP.`));
  });
}

/** Redis reads the seconds with strtod: what does not parse sleeps 0. The sleep counts as the command's execution, as Redis's does. */
function sleep(seconds: string, { done, spent }: ServerCall): void {
  const ms = Number.parseFloat(seconds) * 1000;
  if (!(ms > 0)) return done(OK);
  const started = performance.now();
  setTimeout(() => {
    spent(Math.max(ms, performance.now() - started) * 1000); // a timer may fire a fraction of a millisecond early
    done(OK);
  }, ms);
}

/** Redis's line: the address is an identifier, the lru fields this node's own (OBJECT IDLETIME's clock). */
function debugObject({ argv, done, read }: ServerCall, deps: DebugDeps): void {
  const key = argv[2] as Buffer;
  const limits = deps.thresholds();
  const numbers = [limits.hashEntries, limits.hashValue, limits.zsetEntries, limits.zsetValue, limits.intsetEntries].map((n) => Buffer.from(String(n)));
  read((time) => {
    const encoding = deps.read([Buffer.from(objectEncodingCommandName), key, ...numbers], time);
    const details = deps.read([Buffer.from(debugObjectCommandName), key], time);
    if (encoding.kind === 'error') return encoding;
    if (encoding.kind !== 'array' || encoding.value === null || details.kind !== 'array' || details.value === null) return errorReply('ERR no such key');
    const [name, refcount] = encoding.value;
    const [length, lru, idle] = details.value.map((reply) => (reply.kind === 'integer' ? reply.value : 0));
    const encodingName = name?.kind === 'bulk' && name.value !== null ? Buffer.from(name.value).toString('latin1') : '';
    const references = refcount?.kind === 'integer' ? refcount.value : 1;
    return simple(`Value at:0x${addressOf(key)} refcount:${references} encoding:${encodingName} serializedlength:${length} lru:${lru} lru_seconds_idle:${idle}`);
  }, done);
}

/** A stable stand-in for the value's address (Node does not expose one): a hash of the key. */
function addressOf(key: Buffer): string {
  let hash = 0x811c9dc5;
  for (const byte of key) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return `7f${hash.toString(16).padStart(8, '0')}`;
}

/** DEBUG PROTOCOL's values (Redis's debug.c); over RESP2, ATTRIB answers the real reply alone, as Redis does. */
function protocolReply(type: string, conn: ServerCall['conn']): Reply {
  switch (type) {
    case 'string': return bulk('Hello World');
    case 'integer': return integer(12345);
    case 'double': return { kind: 'double', value: 3.141, text: '3.141' };
    case 'bignum': return { kind: 'bignum', value: 1234567999999999999999999999999999999n };
    case 'null': return { kind: 'null' };
    case 'array': return { kind: 'array', value: [integer(0), integer(1), integer(2)] };
    case 'set': return { kind: 'set', value: [integer(0), integer(1), integer(2)] };
    case 'map': return { kind: 'map', value: [0, 1, 2].map((j) => [integer(j), { kind: 'boolean', value: j === 1 }] as const) };
    case 'attrib': return { kind: 'attributed', attributes: [[bulk('key-popularity'), { kind: 'array', value: [bulk('key:123'), integer(90)] }]], value: bulk('Some real reply following the attribute') };
    case 'push':
      if (conn.protocol < 3) return errorReply('ERR RESP2 is not supported by this command');
      conn.push({ kind: 'push', value: [bulk('server-cpu-usage'), integer(42)] });
      return bulk('Some real reply following the push reply');
    case 'true': return { kind: 'boolean', value: true };
    case 'false': return { kind: 'boolean', value: false };
    case 'verbatim': return { kind: 'verbatim', format: 'txt', value: 'This is a verbatim\nstring' };
    default: return errorReply('ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false');
  }
}

/** Redis checks the size and answers OK; raftis's lists have no quicklist nodes, so it changes nothing. */
function packedThreshold(text: string): Reply {
  const bytes = parseMemory(text);
  return bytes === null || bytes > 4 * 1024 ** 3 ? errorReply('ERR argument must be a memory value bigger than 1 and smaller than 4gb') : OK;
}

/**
 * Patterns and strings the fuzz run tries. Redis's stringmatchlen_fuzz_test does a million;
 * this many keep the run (it holds the event loop) far below a Raft heartbeat interval.
 */
const STRINGMATCH_FUZZ_CYCLES = 10_000;
const STRINGMATCH_FUZZ_BYTES_MAX = 32;

/** Random patterns against random strings: the glob matcher must return, whatever it is given. */
function stringMatchFuzz(): Reply {
  const alphabet = Buffer.from('*?[]^-\\abc');
  const randomBytes = (): Buffer => Buffer.from(Array.from({ length: Math.floor(Math.random() * STRINGMATCH_FUZZ_BYTES_MAX) }, () => alphabet[Math.floor(Math.random() * alphabet.length)] ?? 0));
  for (let cycle = 0; cycle < STRINGMATCH_FUZZ_CYCLES; cycle++) globMatch(randomBytes(), randomBytes());
  return simple('Apparently Redis did not crash: test passed');
}
