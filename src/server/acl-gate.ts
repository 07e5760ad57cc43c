// Who each client connection is, and whether it may run what it sends: AUTH and HELLO AUTH
// against the replicated users (kv/acl), NOAUTH before authentication when the default user
// needs a password, the permission check of every command (the dispatcher asks once per
// command, inside MULTI at queue time as Redis does), the node-local ACL LOG, and the
// connections of a deleted user closed when this node applies the deletion. The check costs
// one map lookup for an unrestricted user (the default user of a cluster without ACLs).

import type { AclUser } from '../kv/acl/acl-user.js';
import { DEFAULT_USER, nopermReply, type AclDenial, type AclUsers, type CheckedRow } from '../kv/acl/acl-users.js';
import { wrapAsUser } from '../kv/acl/as-user.js';
import type { Reply } from '../kv/reply.js';
import type { ClientConnection } from '../resp/server.js';
import { passwordHash } from './acl-passwords.js';
import { errorReply } from './errors.js';

export const NOAUTH = errorReply('NOAUTH Authentication required.');
export const WRONGPASS = errorReply('WRONGPASS invalid username-password pair or user is disabled.');
/** A node configured with users for a new cluster answers this until the leader's seed entry is applied here. */
export const SEED_PENDING = errorReply("LOADING the cluster's initial ACL users (--requirepass/--aclfile) are not applied yet");
/**
 * A node that joined with no state answers this until it has applied what the cluster had
 * committed: before then it does not know the cluster's users, and would let anyone in as a
 * default user without a password.
 */
export const CATCHING_UP = errorReply('LOADING this node joined the cluster and has not caught up with its users and data yet');
/** What a catching-up node still answers: its status, and nothing that authenticates or touches data. */
const CATCHING_UP_ANSWERS = new Set(['ping', 'raft.info', 'raft.leader', 'info', 'role', 'time', 'lastsave', 'quit']);
/** Redis 7.0's text, word for word. */
export const PROTECTED_MODE = errorReply("DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.");

/** Entries the ACL LOG keeps (Redis's acllog-max-len default). */
export const ACL_LOG_ENTRIES_MAX = 128;
/** Repeats of one refusal within this long count in the same entry, as Redis groups them. */
const ACL_LOG_GROUP_MS = 60_000;

interface Session {
  user: string;
  authenticated: boolean;
  /** The user's object as of `version` (re-read when the users change). */
  cached: AclUser | undefined;
  version: number;
}

export interface AclLogEntry {
  count: number;
  readonly reason: 'command' | 'key' | 'channel' | 'auth';
  readonly context: 'toplevel' | 'multi' | 'lua';
  readonly object: string;
  readonly username: string;
  readonly createdMs: number;
  updatedMs: number;
  clientInfo: string;
}

/** Channels a pub/sub call names: [index, is a pattern]. Unsubscribing needs no permission. */
const channelPositions: ReadonlyMap<string, (argc: number) => [number, boolean][]> = new Map([
  ['publish', () => [[1, false]]],
  ['spublish', () => [[1, false]]],
  ['subscribe', (argc) => Array.from({ length: argc - 1 }, (_, i): [number, boolean] => [i + 1, false])],
  ['ssubscribe', (argc) => Array.from({ length: argc - 1 }, (_, i): [number, boolean] => [i + 1, false])],
  ['psubscribe', (argc) => Array.from({ length: argc - 1 }, (_, i): [number, boolean] => [i + 1, true])],
]);

export interface AclGateOptions {
  /** Protected mode is on and the node listens beyond loopback. */
  readonly protectedMode: boolean;
  /** This node was started with users for a new cluster (--requirepass, --aclfile). */
  readonly seedConfigured: boolean;
  /** True while this node, joined with no state, has not yet applied what the cluster had committed. */
  readonly catchingUp: () => boolean;
}

export class AclGate {
  private readonly sessions = new WeakMap<ClientConnection, Session>();
  /** Connections authenticated as a user other than the default one (which cannot be deleted). */
  private readonly named = new Set<ClientConnection>();
  readonly log: AclLogEntry[] = [];

  private readonly users: () => AclUsers;
  private readonly describe: (conn: ClientConnection) => string;
  private readonly options: AclGateOptions;

  constructor(users: () => AclUsers, describe: (conn: ClientConnection) => string, options: AclGateOptions) {
    this.users = users;
    this.describe = describe;
    this.options = options;
  }

  /**
   * As this node applies a change, closes the connections of users that no longer exist and
   * the subscribers whose user may no longer use one of their channels, as Redis does.
   */
  watch(subscribed: () => Iterable<[ClientConnection, SubscribedChannels]>): void {
    this.users().onChange((removed) => {
      for (const conn of this.named) {
        if (removed.includes(this.sessions.get(conn)?.user ?? '')) {
          this.named.delete(conn);
          conn.kill();
        }
      }
      for (const [conn, channels] of subscribed()) {
        const user = this.users().get(this.sessions.get(conn)?.user ?? DEFAULT_USER);
        if (user !== undefined && !mayKeep(user, channels)) conn.kill();
      }
    });
  }

  /** The connection closed. */
  forget(conn: ClientConnection): void {
    this.named.delete(conn);
  }

  private session(conn: ClientConnection): Session {
    let session = this.sessions.get(conn);
    if (session === undefined) {
      const user = this.users().get(DEFAULT_USER);
      // As Redis: a new connection is authenticated when the default user needs no password.
      session = { user: DEFAULT_USER, authenticated: user !== undefined && user.enabled && user.nopass, cached: user, version: this.users().version };
      this.sessions.set(conn, session);
    }
    return session;
  }

  private userOf(session: Session): AclUser | undefined {
    const users = this.users();
    if (session.version !== users.version) {
      session.cached = users.get(session.user);
      session.version = users.version;
    }
    return session.cached;
  }

  /** The connection's user name (CLIENT LIST, ACL WHOAMI). */
  /** Whether the user exists (CLIENT KILL USER). */
  userExists(name: string): boolean {
    return this.users().get(name) !== undefined;
  }

  userName(conn: ClientConnection): string {
    return this.session(conn).user;
  }

  /** Redis's protected mode, judged once per connection: a client beyond loopback while the cluster has no password and no ACL user. */
  private protectedModeRefuses(conn: ClientConnection): boolean {
    if (!this.options.protectedMode || isLoopbackAddress(conn.address)) return false;
    const users = this.users();
    return users.names().length === 1 && users.get(DEFAULT_USER)?.nopass === true;
  }

  /** Whether a connection not authenticated must authenticate first: the default user needs a password or is off. */
  private authRequired(): boolean {
    const user = this.users().get(DEFAULT_USER);
    return user === undefined || !user.enabled || !user.nopass;
  }

  /**
   * Null if the connection may run `argv` (a call of `row`, arity checked); otherwise the
   * reply refusing it (NOAUTH or NOPERM), logged in ACL LOG.
   */
  admit(conn: ClientConnection, row: CheckedRow, argv: readonly Buffer[], context: 'toplevel' | 'multi'): Reply | null {
    if (this.options.seedConfigured && !this.users().seeded) return SEED_PENDING;
    if (this.options.catchingUp() && !CATCHING_UP_ANSWERS.has(row.name)) return CATCHING_UP;
    if (!this.sessions.has(conn) && this.protectedModeRefuses(conn)) {
      conn.shutdown(); // closes once this reply is written, as Redis closes such a client
      return PROTECTED_MODE;
    }
    const session = this.session(conn);
    // AUTH, HELLO, QUIT and RESET run before authentication and for any user, as in Redis.
    if ((row.flags as readonly string[]).includes('no_auth')) return null;
    if (!session.authenticated && this.authRequired()) return NOAUTH;
    const user = this.userOf(session);
    if (user?.unrestricted === true) return null;
    if (user === undefined) return nopermReply({ reason: 'command', object: row.name });
    const denial = this.users().check(user, row, argv) ?? channelDenial(user, row.name, argv);
    if (denial === null) return this.users().optionRefusal(user, row, argv);
    this.record(conn, denial.reason, context, denial.object, session.user);
    return nopermReply(denial);
  }

  /** The refusal of `argv` for user `name`, for ACL DRYRUN; null = allowed. */
  dryRun(name: string, row: CheckedRow, argv: readonly Buffer[]): AclDenial | null {
    const user = this.users().get(name);
    if (user === undefined) return null;
    return this.users().check(user, row, argv) ?? channelDenial(user, row.name, argv);
  }

  /**
   * AUTH / HELLO AUTH: the connection becomes `name` if the password is right and the user is
   * on; otherwise WRONGPASS (logged).
   */
  authenticate(conn: ClientConnection, name: string, password: Buffer): Reply | null {
    const user = this.users().get(name);
    if (user === undefined || !user.accepts(passwordHash(password))) {
      this.record(conn, 'auth', 'toplevel', 'AUTH', name);
      return WRONGPASS;
    }
    const session = this.session(conn);
    session.user = name;
    session.authenticated = true;
    if (name === DEFAULT_USER) this.named.delete(conn);
    else this.named.add(conn);
    session.cached = user;
    session.version = this.users().version;
    return null;
  }

  /** Whether the default user needs no password (AUTH with one argument is then refused). */
  defaultNeedsNoPassword(): boolean {
    const user = this.users().get(DEFAULT_USER);
    return user !== undefined && user.nopass;
  }

  /** Whether HELLO without AUTH must be refused on this connection. */
  needsAuth(conn: ClientConnection): boolean {
    return !this.session(conn).authenticated && this.authRequired();
  }

  /**
   * The log form of a data command: a restricted caller's scripts run as RAFTIS.AS-USER so
   * that their redis.call is checked against the caller in apply, on every replica.
   */
  logForm(conn: ClientConnection, row: CheckedRow, argv: Buffer[]): Buffer[] {
    const user = this.runsAs(conn, row);
    return user === null ? argv : (wrapAsUser(user, argv) as Buffer[]);
  }

  /** The user a read of `row` runs as in the state machine (a restricted caller's EVAL_RO), or null. */
  runsAs(conn: ClientConnection, row: CheckedRow): string | null {
    if (!SCRIPT_COMMANDS.has(row.name)) return null;
    const session = this.session(conn);
    const user = this.userOf(session);
    return user?.unrestricted === true ? null : session.user;
  }

  private record(conn: ClientConnection, reason: AclLogEntry['reason'], context: AclLogEntry['context'], object: string, username: string): void {
    const now = Date.now();
    const same = this.log.find((entry) => entry.reason === reason && entry.context === context && entry.object === object && entry.username === username && now - entry.updatedMs < ACL_LOG_GROUP_MS);
    if (same !== undefined) {
      same.count++;
      same.updatedMs = now;
      same.clientInfo = this.describe(conn);
      this.log.splice(this.log.indexOf(same), 1);
      this.log.unshift(same);
      return;
    }
    this.log.unshift({ count: 1, reason, context, object, username, createdMs: now, updatedMs: now, clientInfo: this.describe(conn) });
    if (this.log.length > ACL_LOG_ENTRIES_MAX) this.log.length = ACL_LOG_ENTRIES_MAX;
  }
}

/** What a subscriber is subscribed to, by name. */
export interface SubscribedChannels {
  readonly channel: ReadonlyMap<string, Buffer>;
  readonly pattern: ReadonlyMap<string, Buffer>;
  readonly shard: ReadonlyMap<string, Buffer>;
}

/** Whether `user` may still be subscribed to every one of `channels` (a pattern must be allowed literally). */
function mayKeep(user: AclUser, channels: SubscribedChannels): boolean {
  const selectors = [user.root, ...user.selectors];
  const allowed = (name: Buffer, pattern: boolean): boolean => selectors.some((selector) => selector.allowsChannel(name, pattern));
  for (const name of channels.channel.values()) if (!allowed(name, false)) return false;
  for (const name of channels.shard.values()) if (!allowed(name, false)) return false;
  for (const name of channels.pattern.values()) if (!allowed(name, true)) return false;
  return true;
}

/** Whether a connection's peer address ("ip:port") is loopback. */
function isLoopbackAddress(address: string): boolean {
  const host = address.slice(0, address.lastIndexOf(':'));
  return host === '127.0.0.1' || host === '::1' || host === '::ffff:127.0.0.1' || host.startsWith('127.');
}

/** Commands that run other commands inside apply. */
const SCRIPT_COMMANDS: ReadonlySet<string> = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

function channelDenial(user: AclUser, name: string, argv: readonly Buffer[]): AclDenial | null {
  const positions = channelPositions.get(name);
  if (positions === undefined || user.root.allChannels) return null;
  let worst: AclDenial | null = null;
  for (const selector of [user.root, ...user.selectors]) {
    const refused = positions(argv.length).find(([index, pattern]) => !selector.allowsChannel(argv[index] as Buffer, pattern));
    if (refused === undefined) return null;
    worst ??= { reason: 'channel', object: (argv[refused[0]] as Buffer).toString('latin1'), index: refused[0] };
  }
  return worst;
}
