// ACL and its subcommands with Redis 7.0's replies. Changes (SETUSER, DELUSER, LOAD) are
// checked here first, with the rules as the client wrote them for the error texts, then
// proposed as one RAFTIS.ACL entry (passwords already hashed) and applied by every node in
// log order; the reply is the entry's. Reads of the users (GETUSER, LIST, USERS, DRYRUN)
// answer from this node's applied users at a read point of the connection's consistency, so
// a follower never answers from before a change its client saw acknowledged; CAT needs no
// users. LOG is this node's own. SAVE and LOAD use the ACL file of the
// node asked (--aclfile).

import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { ACL_CATEGORIES, isAclCategory } from '../kv/acl/command-categories.js';
import { AclSetUserError, AclUser, validUserName } from '../kv/acl/acl-user.js';
import { parseAclLines, raftisAclCommandName, type AclDenial, type AclUsers } from '../kv/acl/acl-users.js';
import type { AclSelector } from '../kv/acl/acl-selector.js';
import type { Reply } from '../kv/reply.js';
import type { AclGate } from './acl-gate.js';
import { hashPasswordRules, originalModifier } from './acl-passwords.js';
import { checkArity, cString, serverCommand, unknownSubcommand, type RegisteredCommand, type ServerCall, type ServerCommand } from './command-registry.js';
import { errorReply } from './errors.js';

export interface AclCommandDeps {
  readonly gate: AclGate;
  users(): AclUsers;
  /** The ACL file of this node (--aclfile), or null. */
  readonly aclFile: string | null;
  lookup(name: string): RegisteredCommand | undefined;
}

const OK: Reply = { kind: 'simple', value: 'OK' };
const text = (value: string): Reply => ({ kind: 'bulk', value: Buffer.from(value, 'latin1') });
const list = (values: readonly string[]): Reply => ({ kind: 'array', value: values.map(text) });
const NO_ACL_FILE = 'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';
/** GENPASS's largest output, in bits. */
const GENPASS_BITS_MAX = 4096;

const ACL_HELP = [
  'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CAT [<category>]', '    List all commands that belong to <category>, or all command categories', '    when no category is specified.',
  'DELUSER <username> [<username> ...]', '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]', '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>', "    Get the user's details.",
  'GENPASS [<bits>]', '    Generate a secure 256-bit user password. The optional `bits` argument can', '    be used to specify a different size.',
  'LIST', '    Show users details in config file format.',
  'LOAD', '    Reload users from the ACL file.',
  'LOG [<count> | RESET]', '    Show the ACL log entries.',
  'SAVE', '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]', '    Create or modify a user with the specified attributes.',
  'USERS', '    List all the registered usernames.',
  'WHOAMI', '    Return the current connection username.',
  'HELP', '    Prints this help.',
];

/** Each subcommand's arity as Redis 7.0's COMMAND gives it: the registry checks it (and refuses unknown subcommands) before the command runs. */
const SUBCOMMAND_ARITY: Readonly<Record<string, number>> = {
  cat: -2, deluser: -3, dryrun: -4, genpass: -2, getuser: 3, help: 2, list: 2, load: 2, log: -2, save: 2, setuser: -3, users: 2, whoami: 2,
};

export function aclCommand(deps: AclCommandDeps): ServerCommand {
  return serverCommand('acl', -2, ['noscript', 'loading', 'stale'], (call) => {
    const sub = call.argv[1]?.toString('latin1').toLowerCase() ?? '';
    const run = SUBCOMMANDS.get(sub);
    // Past the registry's arity check, a subcommand with too many arguments gets Redis's syntax error.
    if (run === undefined || !run.arity(call.argv.length)) return call.done(wrongArguments(call.argv[1]));
    run.run(deps, call);
  }, [0, 0, 0], SUBCOMMAND_ARITY);
}

function wrongArguments(sub: Buffer | undefined): Reply {
  return sub !== undefined && SUBCOMMANDS.has(sub.toString('latin1').toLowerCase())
    ? errorReply(`ERR unknown subcommand or wrong number of arguments for '${cString(sub)}'. Try ACL HELP.`)
    : unknownSubcommand('acl', sub);
}

interface Subcommand {
  arity(argc: number): boolean;
  run(deps: AclCommandDeps, call: ServerCall): void;
}

const atLeast = (n: number) => (argc: number): boolean => argc >= n;
const exactly = (...n: number[]) => (argc: number): boolean => n.includes(argc);

const SUBCOMMANDS: ReadonlyMap<string, Subcommand> = new Map<string, Subcommand>([
  ['setuser', { arity: atLeast(3), run: setUser }],
  ['deluser', { arity: atLeast(3), run: (_deps, { argv, done, write }) => write([Buffer.from(raftisAclCommandName), Buffer.from('deluser'), ...argv.slice(2)], done) }],
  ['getuser', { arity: exactly(3), run: (deps, { argv, done, read }) => read(() => getUser(deps.users(), argv[2]?.toString('latin1') ?? ''), done) }],
  ['list', { arity: exactly(2), run: (deps, { done, read }) => read(() => list(deps.users().lines()), done) }],
  ['users', { arity: exactly(2), run: (deps, { done, read }) => read(() => list(deps.users().names().sort()), done) }],
  ['whoami', { arity: exactly(2), run: (deps, { conn, done }) => done(text(deps.gate.userName(conn))) }],
  ['cat', { arity: exactly(2, 3), run: (deps, { argv, done }) => done(cat(deps.users(), argv[2])) }],
  ['genpass', { arity: exactly(2, 3), run: (_deps, { argv, done }) => done(genpass(argv[2])) }],
  ['dryrun', { arity: atLeast(4), run: (deps, { argv, done, read }) => read(() => dryRun(deps, argv), done) }],
  ['log', { arity: exactly(2, 3), run: (deps, { argv, done }) => done(aclLog(deps.gate, argv[2])) }],
  ['save', { arity: exactly(2), run: (deps, { done }) => void save(deps).then(done) }],
  ['load', { arity: exactly(2), run: (deps, call) => void load(deps, call) }],
  ['help', { arity: exactly(2), run: (_deps, { done }) => done({ kind: 'array', value: ACL_HELP.map((line) => ({ kind: 'simple', value: line })) }) }],
]);

/** Checked against this node's users first (the error names the rule as given), then proposed. */
function setUser(deps: AclCommandDeps, { argv, done, write }: ServerCall): void {
  const name = argv[2]?.toString('latin1') ?? '';
  if (!validUserName(name)) return done(errorReply("ERR Usernames can't contain spaces or null characters"));
  const given = argv.slice(3);
  const hashed = hashPasswordRules(given);
  const users = deps.users();
  try {
    (users.get(name) ?? new AclUser(name)).withRules(hashed, users.catalogue);
  } catch (error) {
    if (error instanceof AclSetUserError) return done(errorReply(originalModifier(error.message, hashed, given)));
    throw error;
  }
  const entry = [raftisAclCommandName, 'setuser', name, ...hashed].map((part) => Buffer.from(part, 'latin1'));
  write(entry, (reply) => done(reply.kind === 'error' ? errorReply(originalModifier(reply.message, hashed, given)) : reply));
}

function getUser(users: AclUsers, name: string): Reply {
  const user = users.get(name);
  if (user === undefined) return { kind: 'null' };
  const describeSelector = (selector: AclSelector): Reply => ({
    kind: 'map',
    value: [
      [text('commands'), text(selector.describeCommands(users.catalogue))],
      [text('keys'), text(selector.describeKeys())],
      [text('channels'), text(selector.describeChannels())],
    ],
  });
  const root = describeSelector(user.root);
  return {
    kind: 'map',
    value: [
      [text('flags'), list(user.flags())],
      [text('passwords'), list(user.passwords)],
      ...(root.kind === 'map' ? root.value : []),
      [text('selectors'), { kind: 'array', value: user.selectors.map(describeSelector) }],
    ],
  };
}

function cat(users: AclUsers, category: Buffer | undefined): Reply {
  if (category === undefined) return list(ACL_CATEGORIES);
  const name = category.toString('latin1').toLowerCase();
  if (!isAclCategory(name)) return errorReply(`ERR Unknown category '${cString(category)}'`);
  return list(users.catalogue.inCategory(name).map((command) => command.id));
}

function genpass(bitsArg: Buffer | undefined): Reply {
  const bits = bitsArg === undefined ? 256 : Number(bitsArg.toString('latin1'));
  if (!Number.isSafeInteger(bits) || bits <= 0 || bits > GENPASS_BITS_MAX) {
    return errorReply(`ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to ${GENPASS_BITS_MAX}`);
  }
  const chars = Math.ceil(bits / 4);
  return text(randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars));
}

function dryRun(deps: AclCommandDeps, argv: readonly Buffer[]): Reply {
  const name = argv[2]?.toString('latin1') ?? '';
  if (deps.users().get(name) === undefined) return errorReply(`ERR User '${cString(argv[2] ?? Buffer.alloc(0))}' not found`);
  const call = argv.slice(3);
  const command = deps.lookup(call[0]?.toString('latin1').toLowerCase() ?? '');
  if (command === undefined) return errorReply(`ERR Command '${cString(call[0] ?? Buffer.alloc(0))}' not found`);
  const arity = checkArity(command.row, call);
  if (arity !== null) return arity;
  const denial = deps.gate.dryRun(name, command.row, call);
  return denial === null ? OK : text(dryRunText(denial));
}

function dryRunText(denial: AclDenial): string {
  if (denial.reason === 'command') return `This user has no permissions to run the '${denial.object}' command`;
  return `This user has no permissions to access the '${denial.object}' ${denial.reason}`;
}

function aclLog(gate: AclGate, arg: Buffer | undefined): Reply {
  let count = gate.log.length;
  if (arg !== undefined) {
    const word = arg.toString('latin1');
    if (word.toLowerCase() === 'reset') {
      gate.log.length = 0;
      return OK;
    }
    if (!/^-?\d{1,18}$/.test(word)) return errorReply('ERR value is not an integer or out of range');
    count = Math.max(0, Math.min(count, Number(word))); // a negative count shows nothing, as Redis
  }
  const now = Date.now();
  return {
    kind: 'array',
    value: gate.log.slice(0, count).map((entry) => ({
      kind: 'map',
      value: [
        [text('count'), { kind: 'integer', value: entry.count }],
        [text('reason'), text(entry.reason)],
        [text('context'), text(entry.context)],
        [text('object'), text(entry.object)],
        [text('username'), text(entry.username)],
        [text('age-seconds'), { kind: 'double', value: (now - entry.createdMs) / 1000 }],
        [text('client-info'), text(entry.clientInfo)],
      ],
    })),
  };
}

/** ACL SAVE: this node's users to its ACL file, written aside and renamed over it. */
async function save(deps: AclCommandDeps): Promise<Reply> {
  if (deps.aclFile === null) return errorReply(NO_ACL_FILE);
  const temporary = `${deps.aclFile}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, deps.users().lines().map((line) => `${line}\n`).join(''));
    await rename(temporary, deps.aclFile);
    return OK;
  } catch (error) {
    return errorReply(`ERR There was an error trying to save the ACLs. Please check the server logs for more information (${String(error)})`);
  }
}

/** ACL LOAD: this node's ACL file, checked whole, proposed as one entry that replaces every user. */
async function load(deps: AclCommandDeps, { done, write }: ServerCall): Promise<void> {
  if (deps.aclFile === null) return done(errorReply(NO_ACL_FILE));
  const lines = await readAclFile(deps.aclFile);
  if (lines instanceof Error) return done(errorReply(`ERR Error loading ACLs, opening file '${deps.aclFile}': ${lines.message}`));
  const checked = parseAclLines(lines, deps.users().catalogue);
  if (checked instanceof Error) return done(errorReply(checked.message.replace(/^ERR /, `ERR ${deps.aclFile}:`)));
  write([raftisAclCommandName, 'load', ...lines].map((part) => Buffer.from(part, 'latin1')), done);
}

/** An ACL file's lines with their clear-text passwords hashed, or the read error. */
export async function readAclFile(path: string): Promise<string[] | Error> {
  try {
    const body = await readFile(path, 'latin1');
    return body.split('\n').map((line) => hashPasswordRules(line.trim().split(/\s+/).map((word) => Buffer.from(word, 'latin1'))).join(' ')).filter((line) => line !== '');
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
