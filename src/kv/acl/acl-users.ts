// The replicated ACL state: every user, changed only by the internal RAFTIS.ACL entry
// (SETUSER, DELUSER, LOAD, SEED) applied in log order, so every replica has the same users at
// the same index; in snapshots as ACL file lines. Also the permission check of a call, used by
// the server before it runs a client's command and by scripts' redis.call inside apply.

import type { CommandSpec } from '../command-spec.js';
import type { ErrorReply, Reply } from '../reply.js';
import { errorReply, integerReply, okReply } from '../replies.js';
import { AclCatalogue, type AclCommand } from './acl-catalogue.js';
import { keyUses } from './acl-keys.js';
import type { AclSelector } from './acl-selector.js';
import { AclSetUserError, AclUser, validUserName } from './acl-user.js';
import { sortPatternError, sortPatternOption } from './sort-patterns.js';

/** The internal command: RAFTIS.ACL SETUSER name rule... | DELUSER name... | LOAD line... | SEED line... */
export const raftisAclCommandName = 'raftis.acl';

export const DEFAULT_USER = 'default';

const aclEntryName = Buffer.from(raftisAclCommandName, 'latin1');

/** Whether a command name is RAFTIS.ACL's (only raftis proposes it; clients cannot name it). */
export function isAclEntry(name: Uint8Array): boolean {
  return name.length === aclEntryName.length && Buffer.from(name.buffer, name.byteOffset, name.byteLength).equals(aclEntryName);
}

/** Why a call was refused, Redis's order of relevance (a later kind wins across selectors). */
export type AclDenial =
  | { readonly reason: 'command'; readonly object: string }
  | { readonly reason: 'key'; readonly object: string; readonly index: number }
  | { readonly reason: 'channel'; readonly object: string; readonly index: number };

const denialRank = { command: 1, key: 2, channel: 4 } as const;

/** What a permission check needs of a command row. */
export type CheckedRow = Pick<CommandSpec, 'name' | 'firstKey' | 'lastKey' | 'step'> & { readonly flags: readonly string[] };

export class AclUsers {
  private users = new Map<string, AclUser>();
  /**
   * Users restored (from a snapshot at start-up) before the server's commands joined the
   * catalogue: their rules may name PING or CLIENT, so they are read once withCommands() comes.
   */
  private pending: readonly string[] | null = null;
  private awaitingCommands = false;
  /** False until the cluster's first SEED or LOAD (or any SETUSER): --requirepass/--aclfile seed a new cluster once. */
  seeded = false;
  /** Bumped on every change: connections re-read their user when it moves. */
  version = 0;
  private readonly listeners: ((removed: readonly string[]) => void)[] = [];

  constructor(public catalogue: AclCatalogue) {
    this.reset();
  }

  /** The server's commands will join the catalogue (withCommands) before anything is applied. */
  awaitCommands(): void {
    this.awaitingCommands = true;
  }

  /** The catalogue with every command, the users read again against it. */
  withCommands(catalogue: AclCatalogue): void {
    const lines = this.pending ?? (this.seeded ? this.lines() : null);
    this.catalogue = catalogue;
    this.awaitingCommands = false;
    this.pending = null;
    if (lines === null) this.reset();
    else this.restore(lines);
  }

  private reset(): void {
    this.users = new Map([[DEFAULT_USER, defaultUser(this.catalogue)]]);
  }

  /** Called after each change with the names of users that no longer exist (their connections end). */
  onChange(listener: (removed: readonly string[]) => void): void {
    this.listeners.push(listener);
  }

  get(name: string): AclUser | undefined {
    return this.users.get(name);
  }

  names(): string[] {
    return [...this.users.keys()];
  }

  /** ACL LIST / ACL SAVE / snapshot lines, by name. */
  lines(): string[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((user) => user.describe(this.catalogue));
  }

  /** Applies a RAFTIS.ACL entry. Deterministic: the reply and the state depend only on the arguments and the state. */
  apply(argv: readonly Uint8Array[]): Reply {
    const args = argv.slice(1).map((arg) => Buffer.from(arg).toString('latin1'));
    const [sub = '', ...rest] = args;
    try {
      switch (sub.toLowerCase()) {
        case 'setuser':
          return this.setUser(rest[0] ?? '', rest.slice(1));
        case 'deluser':
          return this.delUsers(rest);
        case 'load':
          return this.load(rest);
        case 'seed':
          return this.seeded ? okReply : this.load(rest);
        default:
          return errorReply(`ERR unknown RAFTIS.ACL subcommand '${sub}'`);
      }
    } catch (error) {
      if (error instanceof AclSetUserError) return errorReply(error.message);
      throw error;
    }
  }

  private setUser(name: string, rules: readonly string[]): Reply {
    if (!validUserName(name)) return errorReply("ERR Usernames can't contain spaces or null characters");
    const user = (this.users.get(name) ?? new AclUser(name)).withRules(rules, this.catalogue);
    this.users.set(name, user);
    this.changed([]);
    return okReply;
  }

  private delUsers(names: readonly string[]): Reply {
    if (names.includes(DEFAULT_USER)) return errorReply("ERR The 'default' user cannot be removed");
    const removed = names.filter((name) => this.users.delete(name));
    this.changed(removed);
    return integerReply(removed.length);
  }

  /** Replaces every user with ACL file lines; all or nothing. */
  private load(lines: readonly string[]): Reply {
    const users = parseAclLines(lines, this.catalogue);
    if (users instanceof Error) return errorReply(users.message);
    const before = this.names();
    this.users = users;
    if (!users.has(DEFAULT_USER)) users.set(DEFAULT_USER, defaultUser(this.catalogue));
    this.changed(before.filter((name) => !users.has(name)));
    return okReply;
  }

  /** Snapshot restore: the users as they were at the snapshot's index. */
  restore(lines: readonly string[] | null): void {
    const before = this.names();
    if (lines === null) {
      this.reset();
      this.seeded = false;
    } else if (this.awaitingCommands) {
      this.pending = lines; // read against every command once they are known (withCommands)
    } else {
      const users = parseAclLines(lines, this.catalogue);
      if (users instanceof Error) throw new Error(`snapshot ACL record: ${users.message}`);
      this.users = users;
    }
    this.changed(before.filter((name) => !this.users.has(name)), lines !== null);
  }

  private changed(removed: readonly string[], seeded = true): void {
    this.seeded = seeded;
    this.version++;
    for (const listener of this.listeners) listener(removed);
  }

  /**
   * Whether `user` may run `argv` (a call of `row`, arity already checked): null, or the most
   * relevant refusal over its selectors, as Redis reports it (ACLCheckAllUserCommandPerm).
   */
  check(user: AclUser, row: CheckedRow, argv: readonly Uint8Array[]): AclDenial | null {
    if (user.unrestricted) return null;
    const target = this.catalogue.target(row.name, argv[1]);
    if (target === undefined) return null; // not a command ACLs know (internal): the caller decides
    let worst: AclDenial | null = null;
    for (const selector of [user.root, ...user.selectors]) {
      const denial = checkSelector(selector, target, argv);
      if (denial === null) return null;
      if (worst === null || isMoreRelevant(denial, worst)) worst = denial;
    }
    return worst;
  }

  /**
   * A refusal that is not NOPERM, made after check() allowed the call: SORT's BY and GET
   * patterns need a selector that allows the call and reads every key (sort-patterns.ts).
   */
  optionRefusal(user: AclUser, row: CheckedRow, argv: readonly Uint8Array[]): ErrorReply | null {
    if (user.unrestricted || (row.name !== 'sort' && row.name !== 'sort_ro')) return null;
    const option = sortPatternOption(argv, row.name === 'sort_ro');
    if (option === null) return null;
    const target = this.catalogue.target(row.name, argv[1]);
    if (target === undefined) return null;
    const readsAll = [user.root, ...user.selectors].some((selector) => selector.readsEveryKey() && checkSelector(selector, target, argv) === null);
    return readsAll ? null : errorReply(sortPatternError(option));
  }
}

function isMoreRelevant(a: AclDenial, b: AclDenial): boolean {
  if (denialRank[a.reason] !== denialRank[b.reason]) return denialRank[a.reason] > denialRank[b.reason];
  return 'index' in a && 'index' in b && a.index > b.index;
}

function checkSelector(selector: AclSelector, target: AclCommand, argv: readonly Uint8Array[]): AclDenial | null {
  const firstArg = target.parent === null ? argv[1] : undefined;
  if (!selector.allowsCommand(target, firstArg)) return { reason: 'command', object: target.id };
  if (selector.allKeys) return null;
  for (const use of keyUses(target.id, argv)) {
    const key = argv[use.index] as Uint8Array;
    if (!selector.allowsKey(key, use.flags)) return { reason: 'key', object: Buffer.from(key).toString('latin1'), index: use.index };
  }
  return null;
}

function defaultUser(catalogue: AclCatalogue): AclUser {
  return new AclUser(DEFAULT_USER).withRules(['on', 'nopass', '~*', '&*', '+@all'], catalogue);
}

/** ACL file lines ("user <name> <rule>..."), checked as Redis's ACL LOAD checks them. */
export function parseAclLines(lines: readonly string[], catalogue: AclCatalogue): Map<string, AclUser> | Error {
  const users = new Map<string, AclUser>();
  for (const [index, line] of lines.entries()) {
    const words = line.trim().split(/\s+/).filter((word) => word !== '');
    if (words.length === 0 || line.trim().startsWith('#')) continue;
    const where = `line ${index + 1}`;
    if (words[0] !== 'user' || words.length < 2) return new Error(`ERR ${where}: line should start with user keyword`);
    const name = words[1] as string;
    if (!validUserName(name)) return new Error(`ERR ${where}: Usernames can't contain spaces or null characters`);
    if (users.has(name)) return new Error(`ERR ${where}: Duplicate user '${name}' found`);
    try {
      users.set(name, new AclUser(name).withRules(words.slice(2), catalogue));
    } catch (error) {
      if (error instanceof AclSetUserError) return new Error(`ERR ${where}: ${error.message.replace(/^ERR /, '')}`);
      throw error;
    }
  }
  return users;
}

/** Redis's NOPERM reply for a refusal at the top level or in a transaction. */
export function nopermReply(denial: AclDenial): Reply {
  switch (denial.reason) {
    case 'command':
      return errorReply(`NOPERM this user has no permissions to run the '${denial.object}' command`);
    case 'key':
      return errorReply('NOPERM this user has no permissions to access one of the keys used as arguments');
    case 'channel':
      return errorReply('NOPERM this user has no permissions to access one of the channels used as arguments');
  }
}

/** Redis's error for a refused redis.call inside a script. */
export function scriptNopermReply(denial: AclDenial): ErrorReply {
  return errorReply(denial.reason === 'command'
    ? "ERR The user executing the script can't run this command or subcommand"
    : denial.reason === 'key'
      ? "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments"
      : "ERR The user executing the script can't publish to the channel mentioned in the command");
}

export type { AclCommand };
