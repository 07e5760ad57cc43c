// The node's own runtime settings, changed by CONFIG SET on the node asked (runtime-config.ts):
// integers with Redis's names, bounds and defaults. The encoding thresholds of Redis's compact
// encodings (listpack, intset) only change what OBJECT ENCODING reports, since raftis keeps
// one representation per type; the slow log and latency monitor thresholds decide what those
// record; shutdown-timeout bounds a stopping leader's hand-over; tracking-table-max-keys bounds
// CLIENT TRACKING's table. No reply of any data command
// depends on them.

import type { Reply } from '../kv/reply.js';
import { errorReply } from './errors.js';
import type { EncodingThresholds } from '../kv/object-encoding.js';

interface Threshold {
  readonly names: readonly string[];
  readonly min: bigint;
  readonly max: bigint;
  readonly defaultValue: bigint;
  value: bigint;
  /** `value` as a number, kept beside it: the slow log reads two thresholds per command. */
  numberValue: number;
}

const longMax = (1n << 63n) - 1n;
const intMin = -(1n << 31n);
const intMax = (1n << 31n) - 1n;

function settings(): Threshold[] {
  const rows: Omit<Threshold, 'value' | 'numberValue'>[] = [
    { names: ['slowlog-log-slower-than'], min: -1n, max: longMax, defaultValue: 10_000n },
    { names: ['slowlog-max-len'], min: 0n, max: longMax, defaultValue: 128n },
    { names: ['latency-monitor-threshold'], min: 0n, max: longMax, defaultValue: 0n },
    { names: ['hash-max-listpack-entries', 'hash-max-ziplist-entries'], min: 0n, max: longMax, defaultValue: 512n },
    { names: ['hash-max-listpack-value', 'hash-max-ziplist-value'], min: 0n, max: longMax, defaultValue: 64n },
    { names: ['zset-max-listpack-entries', 'zset-max-ziplist-entries'], min: 0n, max: longMax, defaultValue: 128n },
    { names: ['zset-max-listpack-value', 'zset-max-ziplist-value'], min: 0n, max: longMax, defaultValue: 64n },
    { names: ['set-max-intset-entries'], min: 0n, max: longMax, defaultValue: 512n },
    { names: ['list-max-listpack-size', 'list-max-ziplist-size'], min: intMin, max: intMax, defaultValue: -2n },
    { names: ['list-compress-depth'], min: 0n, max: intMax, defaultValue: 0n },
    // Seconds a leader asked to shut down waits for leadership to move (shutdown.ts).
    { names: ['shutdown-timeout'], min: 0n, max: intMax, defaultValue: 10n },
    // Milliseconds a script may run (its entry's apply paused between slices, --script-slice-ms)
    // before this node answers BUSY to the commands that may not run meanwhile (dispatch.ts).
    { names: ['busy-reply-threshold', 'lua-time-limit'], min: 0n, max: longMax, defaultValue: 5000n },
    // Keys CLIENT TRACKING remembers for this node's default-mode clients (tracking.ts; 0: no limit).
    { names: ['tracking-table-max-keys'], min: 0n, max: longMax, defaultValue: 1_000_000n },
  ];
  return rows.map((row) => ({ ...row, value: row.defaultValue, numberValue: Number(row.defaultValue) }));
}

export class NodeSettings {
  private readonly byName = new Map<string, Threshold>();

  constructor() {
    for (const threshold of settings()) for (const name of threshold.names) this.byName.set(name, threshold);
  }

  /** A setting's value (by any of its names); 0 for a name this table does not have. */
  number(name: string): number {
    return this.byName.get(name)?.numberValue ?? 0;
  }

  /** The thresholds OBJECT ENCODING decides by. */
  thresholds(): EncodingThresholds {
    const value = (name: string): number => this.number(name);
    return {
      hashEntries: value('hash-max-listpack-entries'), hashValue: value('hash-max-listpack-value'),
      zsetEntries: value('zset-max-listpack-entries'), zsetValue: value('zset-max-listpack-value'),
      intsetEntries: value('set-max-intset-entries'),
    };
  }

  /** Every name with its value, for CONFIG GET. */
  entries(): [string, string][] {
    return [...this.byName].map(([name, threshold]) => [name, String(threshold.value)]);
  }

  has(name: string): boolean {
    return this.byName.has(name.toLowerCase());
  }

  /** The first of a setting's names (hash-max-listpack-entries for hash-max-ziplist-entries). */
  canonicalName(name: string): string {
    return this.byName.get(name.toLowerCase())?.names[0] ?? name;
  }

  /** Each setting once: its names, value and whether that is the default (CONFIG REWRITE). */
  each(): { readonly names: readonly string[]; readonly value: string; readonly isDefault: boolean }[] {
    return [...new Set(this.byName.values())].map((t) => ({ names: t.names, value: String(t.value), isDefault: t.value === t.defaultValue }));
  }

  /** Redis's error for the first bad value of `pairs` (name, value, ...; every name a threshold), or null. */
  check(pairs: readonly string[]): Reply | null {
    const outcome = this.parse(pairs);
    return outcome instanceof Array ? null : outcome;
  }

  /** Sets `pairs` (checked with check()). */
  set(pairs: readonly string[]): void {
    const outcome = this.parse(pairs);
    if (!(outcome instanceof Array)) throw new Error(`encoding thresholds: set without check: ${outcome.kind === 'error' ? outcome.message : ''}`);
    for (const [threshold, value] of outcome) {
      threshold.value = value;
      threshold.numberValue = Number(value);
    }
  }

  private parse(pairs: readonly string[]): [Threshold, bigint][] | Reply {
    const changes: [Threshold, bigint][] = [];
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const name = (pairs[i] as string).toLowerCase();
      const threshold = this.byName.get(name);
      if (threshold === undefined) return errorReply(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
      const text = pairs[i + 1] as string;
      if (!/^-?\d{1,20}$/.test(text)) return errorReply(`ERR CONFIG SET failed (possibly related to argument '${name}') - argument couldn't be parsed into an integer`);
      const value = BigInt(text);
      if (value < threshold.min || value > threshold.max) {
        return errorReply(`ERR CONFIG SET failed (possibly related to argument '${name}') - argument must be between ${threshold.min} and ${threshold.max} inclusive`);
      }
      changes.push([threshold, value]);
    }
    return changes;
  }
}
