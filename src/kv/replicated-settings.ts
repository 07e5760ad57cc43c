// Settings every replica must hold the same value of, because applying the log depends on
// them (eviction, string limits, the script budget). They start from the node's start-up
// values and change only through the log: CONFIG SET proposes the internal entry
// RAFTIS.CONFIG name value [name value ...], which every replica applies at the same index,
// all pairs or none; snapshots carry the values a CONFIG SET gave, so a node restored or
// restarted holds the cluster's values whatever its own flags say.

import { isKeyword } from './integer-parse.js';
import type { Reply } from './reply.js';
import { errorReply, okReply } from './replies.js';
import { formatNotifyFlags, parseNotifyFlags } from './keyspace-events.js';

export type EvictionPolicy = 'noeviction' | 'allkeys-lru' | 'volatile-lru' | 'allkeys-random' | 'volatile-ttl';
export const evictionPolicies: readonly EvictionPolicy[] = ['noeviction', 'allkeys-lru', 'volatile-lru', 'allkeys-random', 'volatile-ttl'];
/** Redis's policies, in the order its error lists them; raftis has no LFU (it keeps no access frequencies) nor volatile-random. */
const redisPolicies = ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'];

export const configEntryName = 'raftis.config';

export interface SettingValues {
  maxMemoryBytes: number;
  evictionPolicy: EvictionPolicy;
  protoMaxBulkLen: number;
  scriptInstructionsMax: number;
  /** Bytes of strings one script may create (script/string-budget.ts): bounds its memory the same way on every replica. */
  scriptStringBytesMax: number;
  /** Keyspace notification classes (kv/keyspace-events.ts bits): every replica emits the same events. */
  notifyKeyspaceEvents: number;
  /** Entries per stream node as Redis counts them (0 = no limit): where `~` trimming may cut. */
  streamNodeMaxEntries: number;
  /** Listpack bytes per stream node as Redis counts them (0 = Redis's 1 GiB cap): where `~` trimming may cut. */
  streamNodeMaxBytes: number;
  /** Largest sparse HyperLogLog in bytes: where PFADD and PFMERGE turn one dense (its bytes depend on it). */
  hllSparseMaxBytes: number;
  /**
   * Whether script entries are resolved by the leader's records (deferred effects,
   * docs/internals/scripting.md): the leader records and proposes them, followers wait for
   * them. Either way gives the same state; it decides only which node runs a script.
   */
  scriptEffects: boolean;
}

interface SettingRow {
  /** Redis's name where it has one. */
  readonly name: string;
  /** CONFIG GET's text of the current value. */
  format(values: SettingValues): string;
  /** The new values with `text` applied, or the reason it is refused (Redis's wording after " - "). */
  parse(text: string, values: SettingValues): SettingValues | string;
}

/** Parses a memory value as Redis's memtoull: digits with an optional b, k, kb, m, mb, g or gb (any case). */
export function parseMemory(text: string): number | null {
  const match = /^(\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(text);
  if (match === null) return null;
  const units: Record<string, number> = { b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  const bytes = Number(match[1]) * (units[(match[2] ?? 'b').toLowerCase()] ?? 1);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** A count of at most 15 digits, at least `min`. */
function countSetting(name: string, min: number, key: 'scriptInstructionsMax' | 'streamNodeMaxEntries'): SettingRow {
  return {
    name,
    format: (values) => String(values[key]),
    parse: (text, values) => {
      const count = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
      if (!(count >= min)) return `argument must be between ${min} and 999999999999999 inclusive`;
      return { ...values, [key]: count };
    },
  };
}

function memorySetting(name: string, min: number, key: 'maxMemoryBytes' | 'protoMaxBulkLen' | 'hllSparseMaxBytes' | 'scriptStringBytesMax' | 'streamNodeMaxBytes'): SettingRow {
  return {
    name,
    format: (values) => String(values[key]),
    parse: (text, values) => {
      const bytes = parseMemory(text);
      if (bytes === null) return 'argument must be a memory value';
      if (bytes < min) return `argument must be between ${min} and 9223372036854775807 inclusive`;
      return { ...values, [key]: bytes };
    },
  };
}

const rows: readonly SettingRow[] = [
  memorySetting('maxmemory', 0, 'maxMemoryBytes'),
  memorySetting('proto-max-bulk-len', 1024 * 1024, 'protoMaxBulkLen'),
  memorySetting('hll-sparse-max-bytes', 0, 'hllSparseMaxBytes'),
  {
    name: 'maxmemory-policy',
    format: (values) => values.evictionPolicy,
    parse: (text, values) => {
      const policy = text.toLowerCase();
      if (evictionPolicies.includes(policy as EvictionPolicy)) return { ...values, evictionPolicy: policy as EvictionPolicy };
      if (redisPolicies.includes(policy)) return `raftis evicts by ${evictionPolicies.join(', ')} (it keeps no access frequencies for LFU)`;
      return `argument(s) must be one of the following: ${redisPolicies.join(', ')}`;
    },
  },
  countSetting('script-instructions-max', 1, 'scriptInstructionsMax'),
  memorySetting('script-string-bytes-max', 1024 * 1024, 'scriptStringBytesMax'),
  {
    name: 'notify-keyspace-events',
    format: (values) => formatNotifyFlags(values.notifyKeyspaceEvents),
    parse: (text, values) => {
      const flags = parseNotifyFlags(text);
      return flags === null ? "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." : { ...values, notifyKeyspaceEvents: flags };
    },
  },
  {
    name: 'script-effects',
    format: (values) => (values.scriptEffects ? 'yes' : 'no'),
    parse: (text, values) => {
      const value = text.toLowerCase();
      if (value !== 'yes' && value !== 'no') return "argument must be 'yes' or 'no'";
      return { ...values, scriptEffects: value === 'yes' };
    },
  },
  countSetting('stream-node-max-entries', 0, 'streamNodeMaxEntries'),
  memorySetting('stream-node-max-bytes', 0, 'streamNodeMaxBytes'),
];

const byName = new Map(rows.map((row) => [row.name, row]));

export function isReplicatedSetting(name: string): boolean {
  return byName.has(name.toLowerCase());
}

/** Every replicated setting's name. */
export function replicatedSettingNames(): string[] {
  return rows.map((row) => row.name);
}

/** Redis's CONFIG SET error for a refused value. */
export function configSetError(name: string, reason: string): Reply {
  return errorReply(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`);
}

export class ReplicatedSettings {
  private current: SettingValues;
  /** The values RAFTIS.CONFIG entries set, by name, in the text they were given: what snapshots carry. */
  private readonly set = new Map<string, string>();

  constructor(initial: SettingValues) {
    this.current = { ...initial };
  }

  get values(): Readonly<SettingValues> {
    return this.current;
  }

  get(name: string): string | undefined {
    const row = byName.get(name.toLowerCase());
    return row === undefined ? undefined : row.format(this.current);
  }

  /** The values `pairs` (name, value, ...) would give, or Redis's error for the first bad one; changes nothing. */
  check(pairs: readonly string[]): SettingValues | Reply {
    let values = this.current;
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const name = (pairs[i] as string).toLowerCase();
      const row = byName.get(name);
      if (row === undefined) return errorReply(`ERR Unknown option or number of arguments for CONFIG SET - '${pairs[i] as string}'`);
      const next = row.parse(pairs[i + 1] as string, values);
      if (typeof next === 'string') return configSetError(name, next);
      values = next;
    }
    return values;
  }

  /** Applies a RAFTIS.CONFIG entry: every pair or, if one is bad, none. Deterministic. */
  applyEntry(argv: readonly Uint8Array[]): Reply {
    const pairs = argv.slice(1).map((arg) => Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength).toString('latin1'));
    if (pairs.length === 0 || pairs.length % 2 !== 0) return errorReply("ERR wrong number of arguments for 'config|set' command");
    const values = this.check(pairs);
    if ('kind' in values) return values;
    this.current = values;
    for (let i = 0; i < pairs.length; i += 2) this.set.set((pairs[i] as string).toLowerCase(), pairs[i + 1] as string);
    return okReply;
  }

  /** The pairs set through the log so far (for snapshots). */
  entries(): [string, string][] {
    return [...this.set];
  }

  /** The settings of a restored snapshot: its pairs over the start-up values. Throws on a pair this version refuses (a newer snapshot). */
  static restored(start: SettingValues, pairs: readonly (readonly [string, string])[]): ReplicatedSettings {
    const settings = new ReplicatedSettings(start);
    if (pairs.length === 0) return settings;
    const reply = settings.applyEntry([Buffer.from(configEntryName), ...pairs.flat().map((text) => Buffer.from(text, 'latin1'))]);
    if (reply.kind === 'error') throw new Error(`snapshot settings: ${reply.message}`);
    return settings;
  }
}

export function isConfigEntry(argv: readonly Uint8Array[]): boolean {
  const name = argv[0];
  return name !== undefined && isKeyword(name, configEntryName);
}
