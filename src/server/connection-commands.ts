// The commands about the client's own connection: PING, ECHO, HELLO, RESET, AUTH, SELECT,
// CLIENT and RAFT.CONSISTENCY, with Redis 7's replies. QUIT's row is for COMMAND only: the
// connection answers QUIT itself before dispatch (resp/client-connection.ts).

import { selectReply } from '../kv/database-index.js';
import type { Reply } from '../kv/reply.js';
import { arityError } from '../kv/replies.js';
import type { RaftNode } from '../node/raft-node.js';
import type { ClientConnection } from '../resp/server.js';
import { READ_CONSISTENCIES, type ReadConsistency, type ServerConfig } from './config.js';
import { errorReply } from './errors.js';
import type { PauseMode } from './client-pause.js';
import { cString, serverCommand, unknownSubcommand, type ServerCall, type ServerCommand } from './command-registry.js';
import type { AclGate } from './acl-gate.js';
import { parseTrackingOptions, type Tracking } from './tracking.js';

/** What the connection commands need from the dispatcher, per connection. */
export interface ConnectionCommandsDeps {
  readonly config: ServerConfig;
  readonly node: RaftNode<Reply>;
  /** Who each connection is: AUTH and HELLO AUTH, CLIENT LIST's user. */
  readonly acl: AclGate;
  /** CLIENT TRACKING, CACHING, TRACKINGINFO and GETREDIR. */
  readonly tracking: Tracking;
  /** The connection's read consistency (RAFT.CONSISTENCY). */
  consistency(conn: ClientConnection): ReadConsistency;
  setConsistency(conn: ClientConnection, mode: ReadConsistency): void;
  /** RESET: the connection's server-side state back to a new connection's (transaction, watches, consistency). */
  reset(conn: ClientConnection): void;
  /** CLIENT LIST's server-side fields of a connection: flags, MULTI queue length (-1 outside), last command. */
  clientFields(conn: ClientConnection): { readonly flags: string; readonly multi: number; readonly cmd: string };
  /** CLIENT UNBLOCK: answers a client blocked on this node with `reply`; false if it is not blocked. */
  unblock(clientId: number, reply: Reply): boolean;
  /** CLIENT PAUSE / UNPAUSE of this node's clients. */
  pause(mode: PauseMode, timeoutMs: number): void;
  unpause(): void;
}

const OK: Reply = { kind: 'simple', value: 'OK' };
const PONG: Reply = { kind: 'simple', value: 'PONG' };
const bulk = (value: Buffer | undefined): Reply => ({ kind: 'bulk', value: value ?? null });
const text = (value: string): Reply => ({ kind: 'bulk', value: Buffer.from(value) });

export function connectionCommands(deps: ConnectionCommandsDeps): ServerCommand[] {
  return [
    serverCommand('ping', -1, ['fast', 'stale'], ({ argv, done }) => {
      done(argv.length > 2 ? arityError('ping') : argv.length === 2 ? bulk(argv[1]) : PONG);
    }),
    serverCommand('echo', 2, ['fast', 'loading', 'stale'], ({ argv, done }) => done(bulk(argv[1]))),
    serverCommand('hello', -1, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], (call) => call.done(hello(deps, call))),
    serverCommand('reset', 1, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], ({ conn, done }) => {
      deps.reset(conn);
      conn.setProtocol(2);
      conn.name = '';
      done({ kind: 'simple', value: 'RESET' });
    }),
    serverCommand('quit', -1, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], ({ done }) => done(OK)),
    serverCommand('auth', -2, ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], ({ conn, argv, done }) => done(authReply(deps.acl, conn, argv))),
    serverCommand('select', 2, ['loading', 'stale', 'fast'], ({ argv, done }) => done(selectReply(argv[1]?.toString('latin1') ?? ''))),
    serverCommand('client', -2, ['noscript', 'loading', 'stale'], (call) => {
      // Tracking starts at a read point of the connection: the writes it saw answered are
      // applied here by then (a follower answers a write when the leader does), so none of
      // them is reported as a change after it turned tracking on.
      if (call.argv[1]?.toString('latin1').toLowerCase() === 'tracking') call.read(() => client(deps, call), call.done);
      else call.done(client(deps, call));
    }, [0, 0, 0], CLIENT_SUBCOMMANDS),
    serverCommand('raft.consistency', -1, ['fast', 'stale'], ({ conn, argv, done }) => {
      if (argv.length === 1) return done(text(deps.consistency(conn)));
      if (argv.length !== 2) return done(arityError('raft.consistency'));
      const mode = argv[1]?.toString().toLowerCase() as ReadConsistency;
      if (!READ_CONSISTENCIES.includes(mode)) return done(errorReply(`ERR unknown consistency '${argv[1]?.toString()}': use ${READ_CONSISTENCIES.join(', ')}`));
      deps.setConsistency(conn, mode);
      done(OK);
    }),
  ];
}

function hello(deps: ConnectionCommandsDeps, { argv, conn }: ServerCall): Reply {
  if (argv.length < 2 && deps.acl.needsAuth(conn)) return errorReply(HELLO_NOAUTH);
  if (argv.length >= 2) {
    const given = argv[1]?.toString() ?? '';
    const version = /^-?\d+$/.test(given) ? Number(given) : NaN;
    if (!Number.isInteger(version)) return errorReply('ERR Protocol version is not an integer or out of range');
    if (version !== 2 && version !== 3) return errorReply('NOPROTO unsupported protocol version');
    let auth: { user: string; password: Buffer } | null = null;
    let name: Buffer | null = null;
    for (let i = 2; i < argv.length; i++) {
      const option = argv[i]?.toString().toLowerCase();
      if (option === 'auth' && i + 2 < argv.length) {
        auth = { user: argv[i + 1]?.toString('latin1') ?? '', password: argv[i + 2] ?? Buffer.alloc(0) };
        i += 2;
      } else if (option === 'setname' && i + 1 < argv.length) name = argv[++i] ?? Buffer.alloc(0);
      else return errorReply(`ERR Syntax error in HELLO option '${argv[i]?.toString() ?? ''}'`);
    }
    // As Redis: authenticate first, then refuse an unauthenticated client, then switch.
    const refused = auth === null ? null : deps.acl.authenticate(conn, auth.user, auth.password);
    if (refused !== null) return refused;
    if (deps.acl.needsAuth(conn)) return errorReply(HELLO_NOAUTH);
    if (name !== null && !validClientName(name)) return errorReply(CLIENT_NAME_ERROR);
    if (name !== null) conn.name = name.toString('latin1');
    conn.setProtocol(version);
  }
  return {
    kind: 'map',
    value: [
      [text('server'), text('redis')],
      [text('version'), text('7.0.0')],
      [text('proto'), { kind: 'integer', value: conn.protocol }],
      [text('id'), { kind: 'integer', value: conn.id }],
      [text('mode'), text('standalone')],
      [text('role'), text(deps.node.isLeader ? 'master' : 'replica')],
      [text('modules'), { kind: 'array', value: [] }],
    ],
  };
}

/** Redis 7.0's CLIENT subcommands raftis answers, with their arities (and SETINFO and NO-TOUCH, from 7.2). */
const CLIENT_SUBCOMMANDS = {
  id: 2, info: 2, list: -2, kill: -3, unblock: -3, pause: -3, unpause: 2, setname: 3, getname: 2, setinfo: 4, 'no-evict': 3, 'no-touch': 3, reply: 3, tracking: -3, caching: 3, trackinginfo: 2, getredir: 2, help: 2,
};

const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CACHING (YES|NO)', '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR', '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME', '    Return the name of the current connection.',
  'ID', '    Return the ID of the current connection.',
  'INFO', '    Return information about the current client connection.',
  'KILL <ip:port>', '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]', '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)', '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)', '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)', '      Kill connections by type.',
  '    * ID <client-id>', '      Kill connections by client id.',
  '    * SKIPME (YES|NO)', '      Skip killing current connection (default: yes).',
  'LIST [options ...]', '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)', '      Return clients of specified type.',
  '    * ID <client-id> [<client-id> ...]', '      Return clients of specified IDs only.',
  'SETNAME <name>', '    Assign the name <name> to the current connection.',
  'NO-EVICT (ON|OFF)', '    Protect current client connection from eviction.',
  'NO-TOUCH (ON|OFF)', '    Will not touch LRU/LFU stats when this mode is on.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]', '    Unblock the specified blocked client.',
  'PAUSE <timeout> [WRITE|ALL]', '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'UNPAUSE', '    Stop the current client pause, resuming traffic.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]', '         [OPTIN] [OPTOUT] [NOLOOP]', '    Control server assisted client side caching.',
  'TRACKINGINFO', '    Report tracking status for the current connection.',
  'HELP', '    Prints this help.',
];

function client(deps: ConnectionCommandsDeps, { argv, conn }: ServerCall): Reply {
  const sub = argv[1]?.toString('latin1').toLowerCase() ?? '';
  const arity = (count: number): Reply | null => (argv.length === count ? null : errorReply(`ERR wrong number of arguments for 'client|${sub}' command`));
  switch (sub) {
    case 'id':
      return arity(2) ?? { kind: 'integer', value: conn.id };
    case 'setname': {
      const name = argv[2];
      if (argv.length !== 3 || name === undefined) return arity(3) as Reply;
      if (!validClientName(name)) return errorReply(CLIENT_NAME_ERROR);
      conn.name = name.toString('latin1');
      return OK;
    }
    case 'getname':
      return arity(2) ?? bulk(conn.name === '' ? undefined : Buffer.from(conn.name, 'latin1'));
    case 'setinfo':
      return arity(4) ?? OK;
    case 'no-evict':
      if (argv.length !== 3) return arity(3) as Reply;
      return /^(on|off)$/i.test(argv[2]?.toString() ?? '') ? OK : errorReply('ERR syntax error');
    case 'no-touch': {
      if (argv.length !== 3) return arity(3) as Reply;
      const mode = argv[2]?.toString('latin1').toLowerCase();
      if (mode !== 'on' && mode !== 'off') return errorReply('ERR syntax error');
      conn.noTouch = mode === 'on';
      return OK;
    }
    case 'info':
      return arity(2) ?? { kind: 'verbatim', format: 'txt', value: clientLine(deps, conn) + '\n' };
    case 'list':
      return clientList(deps, conn, argv);
    case 'kill':
      return clientKill(deps, conn, argv);
    case 'unblock':
      return clientUnblock(deps, argv);
    case 'pause':
      return clientPause(deps, argv);
    case 'unpause':
      deps.unpause();
      return OK;
    case 'reply': {
      if (argv.length !== 3) return arity(3) as Reply;
      const mode = argv[2]?.toString('latin1').toLowerCase();
      if (mode !== 'on' && mode !== 'off' && mode !== 'skip') return errorReply('ERR syntax error');
      conn.setReplyMode(mode);
      return OK;
    }
    case 'tracking':
      return clientTracking(deps.tracking, conn, argv);
    case 'caching': {
      if (argv.length !== 3) return arity(3) as Reply;
      const mode = argv[2]?.toString('latin1').toLowerCase();
      if (mode !== 'yes' && mode !== 'no') return errorReply('ERR syntax error');
      const refused = deps.tracking.caching(conn, mode === 'yes');
      return refused === null ? OK : errorReply(refused);
    }
    case 'trackinginfo':
      return arity(2) ?? deps.tracking.info(conn);
    case 'getredir':
      return arity(2) ?? { kind: 'integer', value: deps.tracking.redirect(conn) };
    case 'help':
      return arity(2) ?? { kind: 'array', value: CLIENT_HELP.map((line) => ({ kind: 'simple', value: line })) };
    default:
      return unknownSubcommand('client', argv[1]);
  }
}

/** CLIENT TRACKING ON|OFF [options]: see tracking.ts. */
function clientTracking(tracking: Tracking, conn: ClientConnection, argv: readonly Buffer[]): Reply {
  const mode = argv[2]?.toString('latin1').toLowerCase();
  if (mode === 'off') {
    tracking.disable(conn);
    return OK;
  }
  if (mode !== 'on') return errorReply('ERR syntax error');
  const options = parseTrackingOptions(argv.slice(3), (id) => conn.server.clients().some((other) => other.id === id && !other.closing));
  if (typeof options === 'string') return errorReply(options);
  const refused = tracking.enable(conn, options);
  return refused === null ? OK : errorReply(refused);
}

/** One CLIENT LIST line, in Redis 7's field order (fields raftis has no counterpart for are zero). */
function clientLine(deps: ConnectionCommandsDeps, conn: ClientConnection): string {
  const fields = deps.clientFields(conn);
  return conn.describe({ flags: fields.flags, multi: fields.multi, cmd: fields.cmd, user: deps.acl.userName(conn) });
}

/** CLIENT LIST [TYPE type] [ID id ...]: raftis's clients are all of type normal. */
function clientList(deps: ConnectionCommandsDeps, conn: ClientConnection, argv: readonly Buffer[]): Reply {
  let clients = conn.server.clients();
  const option = argv[2]?.toString().toLowerCase();
  if (argv.length === 4 && option === 'type') {
    const type = argv[3]?.toString().toLowerCase() ?? '';
    if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(type)) return errorReply(`ERR Unknown client type '${cString(argv[3] ?? Buffer.alloc(0))}'`);
    if (type !== 'normal') clients = [];
  } else if (argv.length >= 4 && option === 'id') {
    const ids = new Set<number>();
    for (const arg of argv.slice(3)) {
      const id = clientId(arg);
      if (id === null) return errorReply('ERR Invalid client ID');
      ids.add(id);
    }
    clients = clients.filter((c) => ids.has(c.id));
  } else if (argv.length !== 2) return errorReply('ERR syntax error');
  return { kind: 'verbatim', format: 'txt', value: clients.map((c) => clientLine(deps, c) + '\n').join('') };
}

function clientId(arg: Buffer): number | null {
  const text = arg.toString('latin1');
  return /^[1-9]\d{0,15}$/.test(text) ? Number(text) : null;
}

/** CLIENT KILL addr (old form: OK or an error), or filters (the number of clients killed). */
function clientKill(deps: ConnectionCommandsDeps, conn: ClientConnection, argv: readonly Buffer[]): Reply {
  const clients = conn.server.clients();
  if (argv.length === 3) {
    const addr = argv[2]?.toString('latin1');
    const target = clients.find((c) => c.address === addr);
    if (target === undefined) return errorReply('ERR No such client');
    if (target === conn) target.closeAfterReply();
    else target.kill();
    return OK;
  }
  if (argv.length < 4 || argv.length % 2 !== 0) return errorReply('ERR syntax error');
  const tests: ((c: ClientConnection) => boolean)[] = [];
  let skipMe = true;
  for (let i = 2; i < argv.length; i += 2) {
    const option = argv[i]?.toString().toLowerCase();
    const value = argv[i + 1] ?? Buffer.alloc(0);
    const valueText = value.toString('latin1');
    if (option === 'id') {
      const id = clientId(value);
      if (id === null) return errorReply('ERR client-id should be greater than 0');
      tests.push((c) => c.id === id);
    } else if (option === 'addr') tests.push((c) => c.address === valueText);
    else if (option === 'laddr') tests.push((c) => c.localAddress === valueText);
    else if (option === 'type') {
      const type = valueText.toLowerCase();
      if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(type)) return errorReply(`ERR Unknown client type '${cString(value)}'`);
      tests.push(() => type === 'normal');
    } else if (option === 'user') {
      if (!deps.acl.userExists(valueText)) return errorReply(`ERR No such user '${cString(value)}'`);
      tests.push((c) => deps.acl.userName(c) === valueText);
    }
    else if (option === 'skipme') {
      const answer = valueText.toLowerCase();
      if (answer !== 'yes' && answer !== 'no') return errorReply('ERR syntax error');
      skipMe = answer === 'yes';
    } else if (option === 'maxage') {
      const seconds = /^\d{1,15}$/.test(valueText) ? Number(valueText) : NaN;
      if (Number.isNaN(seconds)) return errorReply('ERR value is not an integer or out of range');
      tests.push((c) => Date.now() - c.createdAtMs >= seconds * 1000);
    } else return errorReply('ERR syntax error');
  }
  let killed = 0;
  for (const c of clients) {
    if (skipMe && c === conn) continue;
    if (!tests.every((test) => test(c))) continue;
    // Its own connection gets this reply first, as in Redis.
    if (c === conn) c.closeAfterReply();
    else c.kill();
    killed++;
  }
  return { kind: 'integer', value: killed };
}

/** CLIENT PAUSE timeout [WRITE|ALL]: this node's clients wait (all commands, or those that write) for `timeout` ms. */
function clientPause(deps: ConnectionCommandsDeps, argv: readonly Buffer[]): Reply {
  if (argv.length > 4) return errorReply('ERR syntax error');
  const text = argv[2]?.toString('latin1') ?? '';
  if (!/^-?\d{1,18}$/.test(text)) return errorReply('ERR timeout is not an integer or out of range');
  const timeoutMs = Number(text);
  if (timeoutMs < 0) return errorReply('ERR timeout is negative');
  const mode = argv.length === 4 ? argv[3]?.toString('latin1').toLowerCase() : 'all';
  if (mode !== 'write' && mode !== 'all') return errorReply('ERR syntax error');
  deps.pause(mode, timeoutMs);
  return OK;
}

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: a client blocked on this node gets a timeout's reply or Redis's UNBLOCKED error. */
function clientUnblock(deps: ConnectionCommandsDeps, argv: readonly Buffer[]): Reply {
  if (argv.length !== 3 && argv.length !== 4) return errorReply("ERR wrong number of arguments for 'client|unblock' command");
  const id = /^-?\d{1,18}$/.test(argv[2]?.toString('latin1') ?? '') ? Number(argv[2]?.toString('latin1')) : null;
  if (id === null) return errorReply('ERR value is not an integer or out of range');
  const how = argv.length === 4 ? argv[3]?.toString().toLowerCase() : 'timeout';
  if (how !== 'timeout' && how !== 'error') return errorReply('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  const reply: Reply = how === 'error' ? errorReply('UNBLOCKED client unblocked via CLIENT UNBLOCK') : { kind: 'array', value: null };
  return { kind: 'integer', value: deps.unblock(id, reply) ? 1 : 0 };
}

const CLIENT_NAME_ERROR = 'ERR Client names cannot contain spaces, newlines or special characters.';

/** Redis accepts client names made of printable ASCII other than space ('!' to '~'). */
function validClientName(name: Buffer): boolean {
  for (const byte of name) if (byte < 0x21 || byte > 0x7e) return false;
  return true;
}

const HELLO_NOAUTH = 'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time';

/** AUTH password (the default user) or AUTH user password, with Redis 7.0's replies. */
function authReply(acl: AclGate, conn: ClientConnection, argv: readonly Buffer[]): Reply {
  if (argv.length > 3) return errorReply('ERR syntax error');
  if (argv.length === 2 && acl.defaultNeedsNoPassword()) {
    return errorReply('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
  }
  const [user, password] = argv.length === 2 ? ['default', argv[1]] : [argv[1]?.toString('latin1') ?? '', argv[2]];
  return acl.authenticate(conn, user, password ?? Buffer.alloc(0)) ?? OK;
}

