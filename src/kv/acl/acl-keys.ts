// Which keys a call touches and how, for %R~/%W~ key patterns: Redis 7 reads this from each
// command's key specs (ACCESS needs read permission, INSERT/UPDATE/DELETE need write, a bare
// existence or length test needs either). Here: the row's key positions and flags give the
// common case (a read command reads its keys, a write command writes them), and the table
// below names the commands that differ, and where movable keys are (numkeys, STORE, ...).

import type { CommandSpec } from '../command-spec.js';
import { READ, READ_WRITE, WRITE } from './acl-selector.js';

/** A key argument of a call and the permission it needs (0: its name only, as EXISTS). */
export interface KeyUse {
  readonly index: number;
  readonly flags: number;
}

type KeyRule = (argv: readonly Uint8Array[]) => KeyUse[];

const text = (arg: Uint8Array | undefined): string => (arg === undefined ? '' : Buffer.from(arg).toString('latin1').toLowerCase());

/** Keys first..last (negative: from the end) every step, all with `flags`. */
function range(argv: readonly Uint8Array[], first: number, last: number, step: number, flags: number): KeyUse[] {
  const end = last < 0 ? argv.length + last : last;
  const out: KeyUse[] = [];
  for (let i = first; i <= end && i < argv.length; i += step) out.push({ index: i, flags });
  return out;
}

/** `numkeys` at `at`, the keys right after it (EVAL, SINTERCARD, LMPOP, ...). */
const numkeys = (at: number, flags: number, before: readonly KeyUse[] = []): KeyRule => (argv) => {
  const count = Number(text(argv[at]));
  if (!Number.isSafeInteger(count) || count < 0 || at + count >= argv.length) return [...before];
  return [...before, ...range(argv, at + 1, at + count, 1, flags)];
};

/** The key at 1 (read), and a destination after a STORE-like keyword (written). */
const storeAfter = (keywords: readonly string[]): KeyRule => (argv) => {
  const out: KeyUse[] = [{ index: 1, flags: READ }];
  for (let i = 2; i < argv.length - 1; i++) if (keywords.includes(text(argv[i]))) out.push({ index: i + 1, flags: WRITE });
  return out;
};

const only = (...uses: KeyUse[]): KeyRule => (argv) => uses.filter((use) => use.index < argv.length);
const nameOnly: KeyRule = (argv) => (argv.length > 1 ? [{ index: 1, flags: 0 }] : []);
const destinationThenSources = (destination: number, sources: number, destinationFlags = WRITE): KeyRule => (argv) =>
  [{ index: destination, flags: destinationFlags }, ...range(argv, sources, -1, 1, READ)];
const sourceThenDestination: KeyRule = only({ index: 1, flags: READ_WRITE }, { index: 2, flags: WRITE });

const rules: ReadonlyMap<string, KeyRule> = new Map<string, KeyRule>([
  // Existence and length tests: the key's name only.
  ...['exists', 'type', 'hexists', 'hstrlen', 'sismember', 'smismember', 'strlen', 'hlen', 'llen', 'scard', 'zcard', 'touch'].map((name) => [name, nameOnly] as const),
  // Read-modify-write: read and write.
  ...['incr', 'decr', 'incrby', 'decrby', 'incrbyfloat', 'getset', 'getdel', 'getex', 'hincrby', 'hincrbyfloat', 'lpop', 'rpop', 'spop', 'zpopmin', 'zpopmax', 'pfmerge']
    .map((name) => [name, (argv: readonly Uint8Array[]) => range(argv, 1, name === 'pfmerge' ? -1 : 1, 1, READ_WRITE)] as const),
  ...['blpop', 'brpop', 'bzpopmin', 'bzpopmax'].map((name) => [name, (argv: readonly Uint8Array[]) => range(argv, 1, -2, 1, READ_WRITE)] as const),
  ['set', (argv) => [{ index: 1, flags: argv.slice(3).some((arg) => text(arg) === 'get') ? READ_WRITE : WRITE }]],
  ['bitfield', (argv) => [{ index: 1, flags: argv.slice(2).some((arg) => ['set', 'incrby'].includes(text(arg))) ? READ_WRITE : READ }]],
  ['copy', only({ index: 1, flags: READ }, { index: 2, flags: WRITE })],
  ...['rename', 'renamenx', 'lmove', 'rpoplpush', 'blmove', 'brpoplpush', 'smove'].map((name) => [name, sourceThenDestination] as const),
  ...['sinterstore', 'sunionstore', 'sdiffstore'].map((name) => [name, destinationThenSources(1, 2)] as const),
  ['zrangestore', only({ index: 1, flags: WRITE }, { index: 2, flags: READ })],
  ['geosearchstore', only({ index: 1, flags: WRITE }, { index: 2, flags: READ })],
  ['bitop', destinationThenSources(2, 3)],
  // Movable keys.
  ...['eval', 'evalsha', 'fcall'].map((name) => [name, numkeys(2, READ_WRITE)] as const),
  ...['eval_ro', 'evalsha_ro', 'fcall_ro'].map((name) => [name, numkeys(2, READ)] as const),
  ...['sintercard', 'zunion', 'zinter', 'zdiff', 'zintercard'].map((name) => [name, numkeys(1, READ)] as const),
  ...['lmpop', 'zmpop'].map((name) => [name, numkeys(1, READ_WRITE)] as const),
  ...['blmpop', 'bzmpop'].map((name) => [name, numkeys(2, READ_WRITE)] as const),
  ...['zunionstore', 'zinterstore', 'zdiffstore'].map((name) => [name, (argv: readonly Uint8Array[]) => numkeys(2, READ, [{ index: 1, flags: WRITE }])(argv)] as const),
  ['sort', storeAfter(['store'])],
  ['sort_ro', only({ index: 1, flags: READ })],
  ['georadius', storeAfter(['store', 'storedist'])],
  ['georadiusbymember', storeAfter(['store', 'storedist'])],
]);

/** The keys `argv` (a call of `spec`) uses, with the permission each needs. */
export function keyUses(spec: Pick<CommandSpec, 'name' | 'firstKey' | 'lastKey' | 'step'> & { readonly flags: readonly string[] }, argv: readonly Uint8Array[]): KeyUse[] {
  const rule = rules.get(spec.name);
  if (rule !== undefined) return rule(argv);
  if (spec.firstKey === 0) return [];
  const flags = spec.flags.includes('write') ? WRITE : READ;
  return range(argv, spec.firstKey, spec.lastKey, spec.step, flags);
}
