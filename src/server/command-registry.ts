// One registry for every command a client can send: the state machine's data commands (the
// rows of kv/commands.ts) and the server's own (connection, transaction, introspection,
// membership). Lookup and the unknown-command error are here once (the arity check is
// kv/commands.ts's, which the state machine applies too), and
// COMMAND describes every row the same way, as Redis 7 does.

import type { CommandFlag, CommandSpec } from '../kv/command-spec.js';
import type { Reply } from '../kv/reply.js';
import { arityError } from '../kv/replies.js';
import { checkArity } from '../kv/commands.js';
import { commandCategories, isAclCategory, subcommandCategories } from '../kv/acl/command-categories.js';
import { globMatch } from '../kv/glob.js';
import type { ScriptCall } from '../kv/script/call-stats.js';
import { commandHasKeys, commandKeys, hasMandatoryKeys, keyedSubcommandArityOf, keySpecsOf, KEY_SPEC_FLAGS, type KeySpec, type KeySpecFlag } from '../kv/key-specs.js';
import type { ClientConnection } from '../resp/server.js';
import { errorReply } from './errors.js';
import { CommandCounters, ErrorCounters } from './command-stats.js';

/** Flags only server commands have, spelled as Redis's COMMAND prints them. */
export type ServerFlag = CommandFlag | 'no_multi' | 'stale' | 'loading' | 'no_auth' | 'allow_busy' | 'skip_slowlog' | 'pubsub';

/** A server command's request: the connection, its arguments (arity already checked), and where its one reply goes. */
export interface ServerCall {
  readonly conn: ClientConnection;
  readonly argv: Buffer[];
  readonly done: (reply: Reply) => void;
  /**
   * Answers `serve(clusterTime)` at a read point of the connection's consistency, in order with
   * the connection's commands (inside EXEC: after the transaction's entry): replicated state
   * (users, settings, what INFO counts) then holds every write the client has seen
   * acknowledged, on a follower too. When no read point can be had (no leader known, a
   * timeout), `failed` says what to answer: its error (TRYAGAIN, ...), or this node's
   * applied state as it is (introspection, which must answer during an election).
   */
  readonly read: (serve: (clusterTime: number) => Reply, done: (reply: Reply) => void, failed?: ReadFailure) => void;
  /** Proposes `argv` as the connection's next write, in order with its other commands; `done` gets the applied reply. */
  readonly write: (argv: readonly Uint8Array[], done: (reply: Reply) => void) => void;
  /**
   * Counts `usec` more as the command's execution (the slow log, LATENCY, commandstats):
   * DEBUG SLEEP's wait stands for a server busy that long, as Redis's is.
   */
  readonly spent: (usec: number) => void;
}

/**
 * What a server command's read answers when no read point can be had (ServerCall.read):
 * the error, or this node's state; `local` takes no read point at all and answers this
 * node's state in the command's turn (INFO: a node's own status, which clients ask of every
 * node they connect to, ioredis at connect time, and which must answer on a lagging or sick
 * node too, as a Redis replica's does).
 */
export type ReadFailure = 'refuse' | 'serve-local' | 'local';

/** A command the server answers itself, described like a data command's row. */
export interface ServerCommand {
  readonly name: string;
  readonly arity: number;
  readonly flags: readonly ServerFlag[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  readonly run: (call: ServerCall) => void;
  /** For a container command (CLIENT, CONFIG, ...): its subcommands by lowercase name, each with its own arity (counting the container's name). */
  readonly subcommands?: Readonly<Record<string, number>>;
}

/**
 * A command as registered: its row and this node's counters of it (INFO commandstats). A
 * container command (CLIENT, CONFIG, ...) counts each subcommand on its own, as Redis 7 does
 * (`cmdstat_config|resetstat`): `subcommandStats` holds those, made on a subcommand's first
 * call and only for the subcommands the command has; `stats` counts calls with none.
 */
export type RegisteredCommand =
  | { readonly kind: 'data'; readonly row: CommandSpec; readonly stats: CommandCounters; readonly subcommandStats: Map<string, CommandCounters> | null }
  | { readonly kind: 'server'; readonly row: ServerCommand; readonly stats: CommandCounters; readonly subcommandStats: Map<string, CommandCounters> | null };

/** Counters under the name Redis reports them by: a command's, or a subcommand's as `container|sub`. */
export interface NamedCounters {
  readonly name: string;
  readonly stats: CommandCounters;
}

type CommandRow = RegisteredCommand['row'];

/** A server command row; `keys` as Redis's COMMAND: [first, last (-1 = the end), step]. */
export function serverCommand(
  name: string, arity: number, flags: readonly ServerFlag[], run: (call: ServerCall) => void,
  keys: readonly [number, number, number] = [0, 0, 0], subcommands?: Readonly<Record<string, number>>,
): ServerCommand {
  const [firstKey, lastKey, step] = keys;
  return subcommands === undefined ? { name, arity, flags, firstKey, lastKey, step, run } : { name, arity, flags, firstKey, lastKey, step, run, subcommands };
}

export class CommandRegistry {
  private readonly byName = new Map<string, RegisteredCommand>();
  /** The command lookupBytes found last, and its name's bytes as sent. */
  private recent: RegisteredCommand | undefined = undefined;
  private recentBytes: Buffer = Buffer.alloc(0);
  /** Error replies sent by this node, by kind (INFO errorstats). */
  readonly errors = new ErrorCounters();

  /** Internal data commands (RAFTIS.EXPIRE, proposed by raftis itself) are not for clients and not registered. */
  constructor(data: readonly CommandSpec[], server: readonly ServerCommand[]) {
    for (const row of data) if (!row.flags.includes('internal')) this.add({ kind: 'data', row, stats: new CommandCounters(), subcommandStats: subcommandCounters(row) });
    for (const row of server) this.add({ kind: 'server', row, stats: new CommandCounters(), subcommandStats: subcommandCounters(row) });
    const introspection = commandIntrospection(this);
    this.add({ kind: 'server', row: introspection, stats: new CommandCounters(), subcommandStats: subcommandCounters(introspection) });
  }

  /** CONFIG RESETSTAT. */
  resetStats(): void {
    for (const command of this.byName.values()) {
      command.stats.reset();
      for (const stats of command.subcommandStats?.values() ?? []) stats.reset();
    }
    this.errors.reset();
  }

  /** The counters a call of `command` with `argv` counts in: its subcommand's, when it is a container's known one. */
  countersOf(command: RegisteredCommand, argv: readonly Buffer[]): CommandCounters {
    const subcommands = command.subcommandStats;
    if (subcommands === null || argv.length < 2) return command.stats;
    return subcommands.get((argv[1] as Buffer).toString('latin1').toLowerCase()) ?? command.stats;
  }

  /**
   * Counts what a script's calls did, as Redis counts a script's calls: each as a command of
   * its own (refused ones as rejected), and each error in errorstats where it arose.
   */
  countScriptCalls(calls: readonly ScriptCall[]): void {
    for (const call of calls) {
      if (call.error !== null) this.errors.count(call.error);
      const counters = call.command === null ? undefined : this.countersNamed(call.command);
      if (counters === undefined) continue;
      if (call.outcome === 'rejected') counters.rejected++;
      else counters.record(Math.round(call.usec), call.outcome === 'failed');
    }
  }

  /** The counters of `name` as INFO names them: a command's, or `container|sub`'s (the container's own for a subcommand it has not). */
  private countersNamed(name: string): CommandCounters | undefined {
    const bar = name.indexOf('|');
    const command = this.byName.get(bar < 0 ? name : name.slice(0, bar));
    if (command === undefined || bar < 0) return command?.stats;
    return command.subcommandStats?.get(name.slice(bar + 1)) ?? command.stats;
  }

  /** Every command's counters, and after each container's own its subcommands', by the names Redis reports. */
  *counters(): IterableIterator<NamedCounters> {
    for (const { row, stats, subcommandStats } of this.byName.values()) {
      yield { name: row.name, stats };
      for (const [sub, counters] of subcommandStats ?? []) yield { name: `${row.name}|${sub}`, stats: counters };
    }
  }

  private add(command: RegisteredCommand): void {
    if (this.byName.has(command.row.name)) throw new Error(`command '${command.row.name}' is registered twice`);
    this.byName.set(command.row.name, command);
  }

  /** By lowercase name. */
  lookup(name: string): RegisteredCommand | undefined {
    return this.byName.get(name);
  }

  /**
   * By the name's bytes as the client sent them, in any case. Clients send the same command
   * over and over: the last one found is recognized by its bytes, without making its name a
   * string and lowercasing it.
   */
  lookupBytes(name: Buffer): RegisteredCommand | undefined {
    if (this.recent !== undefined && sameBytes(name, this.recentBytes)) return this.recent;
    const command = this.byName.get(name.toString('latin1').toLowerCase());
    if (command !== undefined) {
      this.recent = command;
      this.recentBytes = Buffer.from(name); // a copy: `name` may be a view of a read buffer that is reused
    }
    return command;
  }

  get size(): number {
    return this.byName.size;
  }

  all(): IterableIterator<RegisteredCommand> {
    return this.byName.values();
  }
}

/** Counters for each subcommand of a container command (the server row's own list, or the ACL table's), null for others. */
function subcommandCounters(row: CommandRow): Map<string, CommandCounters> | null {
  const names = 'subcommands' in row && row.subcommands !== undefined ? Object.keys(row.subcommands) : [...(subcommandCategories(row.name)?.keys() ?? [])];
  if (names.length === 0) return null;
  return new Map(names.map((name) => [name, new CommandCounters()]));
}

/**
 * The arity check of a row, and of its subcommand for a container command: an unknown
 * subcommand and a subcommand's own arity are refused before the command runs (inside MULTI
 * at queue time), as in Redis.
 */
export function commandArityError(row: { readonly name: string; readonly arity: number; readonly subcommands?: Readonly<Record<string, number>> }, argv: readonly Buffer[]): Reply | null {
  const error = checkArity(row, argv);
  const subcommands = row.subcommands;
  if (error !== null || subcommands === undefined || argv.length < 2) return error;
  const sub = (argv[1] as Buffer).toString('latin1').toLowerCase();
  const arity = Object.hasOwn(subcommands, sub) ? subcommands[sub] : undefined;
  if (arity === undefined) return unknownSubcommand(row.name, argv[1]);
  return checkArity({ name: `${row.name}|${sub}`, arity }, argv);
}

/** How much of a client's bytes Redis echoes in an error: the `%.128s` of its messages. */
const ECHOED_BYTES_MAX = 128;

/** Bytes as Redis prints them with `%.*s`: up to the first NUL (a C string), at most `max`; latin1 text. */
export function cString(bytes: Buffer, max = ECHOED_BYTES_MAX): string {
  const nul = bytes.indexOf(0);
  return bytes.toString('latin1', 0, Math.min(nul < 0 ? bytes.length : nul, max));
}

/** Redis's text: the name, then arguments while fewer than 128 bytes of them are echoed, cut to fill 128. */
export function unknownCommand(argv: readonly Buffer[]): Reply {
  let args = '';
  for (let i = 1; i < argv.length && args.length < ECHOED_BYTES_MAX; i++) {
    args += `'${cString(argv[i] ?? Buffer.alloc(0), ECHOED_BYTES_MAX - args.length)}' `;
  }
  return errorReply(`ERR unknown command '${cString(argv[0] ?? Buffer.alloc(0))}', with args beginning with: ${args}`);
}

/** Redis's reply to an unknown subcommand of `command` (CLIENT, CONFIG, ...). */
export function unknownSubcommand(command: string, sub: Buffer | undefined): Reply {
  return errorReply(`ERR unknown subcommand '${cString(sub ?? Buffer.alloc(0))}'. Try ${command.toUpperCase()} HELP.`);
}

const bulk = (text: string): Reply => ({ kind: 'bulk', value: Buffer.from(text) });
const simple = (text: string): Reply => ({ kind: 'simple', value: text });

/** Flags COMMAND prints; raftis's own bookkeeping flags are left out ('random' is Redis 7's nondeterministic_output tip). */
function printedFlags(row: CommandRow): string[] {
  return row.flags.filter((flag) => flag !== 'internal' && flag !== 'random');
}

/** The row's ACL categories (kv/acl/command-categories.ts: flags, family, Redis's named exceptions). */
function categories(row: CommandRow): string[] {
  return commandCategories(row).map((category) => `@${category}`);
}

/** A key spec as COMMAND INFO prints it (Redis's addReplyCommandKeySpecs). */
function describeKeySpec(keySpec: KeySpec): Reply {
  const integer = (value: number): Reply => ({ kind: 'integer', value });
  const map = (pairs: readonly (readonly [string, Reply])[]): Reply => ({ kind: 'map', value: pairs.map(([name, value]) => [bulk(name), value] as const) });
  const { begin, find } = keySpec;
  const beginSpec = begin.type === 'index' ? [['index', integer(begin.index)] as const]
    : begin.type === 'keyword' ? [['keyword', bulk(begin.keyword)] as const, ['startfrom', integer(begin.startFrom)] as const] : [];
  const findSpec = find.type === 'range' ? [['lastkey', integer(find.lastKey)] as const, ['keystep', integer(find.keyStep)] as const, ['limit', integer(find.limit)] as const]
    : find.type === 'keynum' ? [['keynumidx', integer(find.keyNumIndex)] as const, ['firstkey', integer(find.firstKey)] as const, ['keystep', integer(find.keyStep)] as const] : [];
  return map([
    ...(keySpec.notes === undefined ? [] : [['notes', bulk(keySpec.notes)] as const]),
    ['flags', keyFlags(keySpec.flags)],
    ['begin_search', map([['type', bulk(begin.type)], ['spec', map(beginSpec)]])],
    ['find_keys', map([['type', bulk(find.type)], ['spec', map(findSpec)]])],
  ]);
}

/** Key spec flags as Redis prints them: a set, in its order. */
function keyFlags(flags: readonly KeySpecFlag[]): Reply {
  return { kind: 'set', value: KEY_SPEC_FLAGS.filter((flag) => flags.includes(flag)).map(simple) };
}

/** One COMMAND INFO entry, Redis 7's ten fields (subcommands left empty). */
function describe(row: CommandRow): Reply {
  return {
    kind: 'array',
    value: [
      bulk(row.name),
      { kind: 'integer', value: row.arity },
      { kind: 'set', value: printedFlags(row).map(simple) },
      { kind: 'integer', value: row.firstKey },
      { kind: 'integer', value: row.lastKey },
      { kind: 'integer', value: row.step },
      { kind: 'set', value: categories(row).map(simple) },
      { kind: 'array', value: row.flags.includes('random') ? [bulk('nondeterministic_output')] : [] },
      { kind: 'array', value: keySpecsOf(row.name).map(describeKeySpec) },
      { kind: 'array', value: [] },
    ],
  };
}

/**
 * COMMAND GETKEYS and GETKEYSANDFLAGS of `argv` (a full command, a container's subcommand
 * included), with Redis's checks in its order: the command, whether it has keys, its arity.
 */
function keysOf(row: CommandRow | undefined, argv: readonly Buffer[], withFlags: boolean): Reply {
  if (row === undefined) return errorReply('ERR Invalid command specified');
  let name = row.name;
  let arity = row.arity;
  const subcommands = subcommandCategories(name);
  if (subcommands !== null && argv.length >= 2) {
    const sub = (argv[1] as Buffer).toString('latin1').toLowerCase();
    if (!subcommands.has(sub)) return errorReply('ERR Invalid command specified');
    name = `${name}|${sub}`;
    arity = keyedSubcommandArityOf(name) ?? arity;
  }
  if (!commandHasKeys(name)) return errorReply('ERR The command has no key arguments');
  if (checkArity({ name, arity }, argv) !== null) return errorReply('ERR Invalid number of arguments specified for command');
  const keys = commandKeys(name, argv);
  if (keys.length === 0 && hasMandatoryKeys(name)) return errorReply('ERR Invalid arguments specified for command');
  return {
    kind: 'array',
    value: keys.map(({ index, flags }): Reply => {
      const key: Reply = { kind: 'bulk', value: argv[index] ?? null };
      return withFlags ? { kind: 'array', value: [key, keyFlags(flags)] } : key;
    }),
  };
}

/** A command or subcommand as COMMAND LIST names it ('client|list'), with its ACL categories. */
interface ListedCommand {
  readonly name: string;
  readonly categories: readonly string[];
}

/** Each row, and after a container its subcommands (Redis's order within a container aside). */
function listedCommands(rows: readonly CommandRow[]): ListedCommand[] {
  const listed: ListedCommand[] = [];
  for (const row of rows) {
    const own = commandCategories(row);
    listed.push({ name: row.name, categories: own });
    const categorized = subcommandCategories(row.name);
    const names = new Set([...(categorized?.keys() ?? []), ...Object.keys('subcommands' in row ? row.subcommands ?? {} : {})]);
    for (const sub of [...names].sort()) listed.push({ name: `${row.name}|${sub}`, categories: categorized?.get(sub) ?? own });
  }
  return listed;
}

/**
 * COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern], as Redis 7.0: one
 * filter at most; a subcommand is judged on its own, whether or not its container passed.
 * raftis has no modules; an unknown category matches nothing.
 */
function commandList(rows: readonly CommandRow[], argv: readonly Buffer[]): Reply {
  let keep: (command: ListedCommand) => boolean = () => true;
  if (argv.length === 5 && argv[2]?.toString('latin1').toLowerCase() === 'filterby') {
    const value = (argv[4] as Buffer).toString('latin1');
    switch (argv[3]?.toString('latin1').toLowerCase()) {
      case 'module':
        keep = () => false;
        break;
      case 'aclcat': {
        const category = value.toLowerCase();
        keep = (command) => isAclCategory(category) && command.categories.includes(category);
        break;
      }
      case 'pattern': {
        // Redis matches without case; names are lowercase.
        const pattern = Buffer.from(value.toLowerCase(), 'latin1');
        keep = (command) => globMatch(pattern, Buffer.from(command.name, 'latin1'));
        break;
      }
      default:
        return errorReply('ERR syntax error');
    }
  } else if (argv.length !== 2) return errorReply('ERR syntax error');
  return { kind: 'array', value: listedCommands(rows).filter(keep).map((command) => bulk(command.name)) };
}

const COMMAND_HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)', '    Return details about all Redis commands.',
  'COUNT', '    Return the total number of commands in this Redis server.',
  'LIST', '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]', '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all', '    commands are returned.',
  'DOCS [<command-name> ...]', '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all', '    commands are returned.',
  'GETKEYS <full-command>', '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>', '    Return the keys and the access flags from a full Redis command.',
  'HELP', '    Prints this help.',
];

/** COMMAND, COMMAND COUNT / LIST / INFO / DOCS / GETKEYS / GETKEYSANDFLAGS / HELP over every registered command. */
function commandIntrospection(registry: CommandRegistry): ServerCommand {
  const rows = (): CommandRow[] => [...registry.all()].map((command) => command.row);
  const named = (argv: readonly Buffer[]): (CommandRow | undefined)[] => argv.map((name) => registry.lookup(name.toString('latin1').toLowerCase())?.row);
  return serverCommand('command', -1, ['loading', 'stale'], ({ argv, done }) => {
    const sub = argv[1]?.toString('latin1').toLowerCase();
    switch (sub) {
      case undefined:
        return done({ kind: 'array', value: rows().map(describe) });
      case 'count':
        return done(argv.length === 2 ? { kind: 'integer', value: registry.size } : arityError('command|count'));
      case 'list':
        return done(commandList(rows(), argv));
      case 'info':
        return done({ kind: 'array', value: (argv.length > 2 ? named(argv.slice(2)) : rows()).map((row) => (row === undefined ? { kind: 'array', value: null } : describe(row))) });
      case 'docs': {
        // Enough for redis-cli's hints: an empty doc map per known command.
        const known = (argv.length > 2 ? named(argv.slice(2)) : rows()).filter((row) => row !== undefined);
        return done({ kind: 'map', value: known.map((row) => [bulk(row.name), { kind: 'map', value: [] }] as const) });
      }
      case 'getkeys':
      case 'getkeysandflags':
        if (argv.length < 4) return done(arityError(`command|${sub}`));
        return done(keysOf(named(argv.slice(2, 3))[0], argv.slice(2), sub === 'getkeysandflags'));
      case 'help':
        return done({ kind: 'array', value: COMMAND_HELP.map(simple) });
      default:
        return done(unknownSubcommand('command', argv[1]));
    }
  }, [0, 0, 0], { count: 2, docs: -2, getkeys: -4, getkeysandflags: -4, info: -2, list: -2, help: 2 });
}

export { checkArity };

/** Whether two short byte strings (command names) are equal; a loop beats a native call at this size. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
