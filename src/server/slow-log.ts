// SLOWLOG and LATENCY: what this node saw of its commands' times, as Redis keeps them.
// A command's time is its execution (dispatch.ts, Execution), as Redis's: a read's serving at
// its read point, a write's apply on the leader's state machine, a server command's own run
// here; never the wait for a read point or for the log to commit, which under load would make
// every command slow. Thresholds and lengths are node settings (slowlog-log-slower-than,
// slowlog-max-len, latency-monitor-threshold: CONFIG SET).

import type { Reply } from '../kv/reply.js';
import { arityError } from '../kv/replies.js';
import type { ClientConnection } from '../resp/server.js';
import { errorReply } from './errors.js';
import { serverCommand, unknownSubcommand, type NamedCounters, type RegisteredCommand, type ServerCommand } from './command-registry.js';
import type { NodeSettings } from './node-settings.js';

/** Redis's bounds on what one slow log entry keeps of a command. */
const ENTRY_ARGS_MAX = 32;
const ENTRY_ARG_BYTES_MAX = 128;
/** Samples LATENCY HISTORY keeps per event, as Redis. */
const LATENCY_SAMPLES_MAX = 160;

interface SlowEntry {
  readonly id: number;
  readonly atSeconds: number;
  readonly usec: number;
  readonly argv: KeptArguments;
  readonly address: string;
  readonly name: string;
}

/**
 * What an entry keeps of a command's arguments, copied into one buffer (the arguments are
 * views into the connection's read buffer, which must not stay alive): under overload every
 * command is slow, so an entry costs two allocations, not one per argument.
 */
interface KeptArguments {
  readonly bytes: Buffer;
  readonly lengths: readonly number[];
}

interface LatencyEvent {
  readonly samples: { atSeconds: number; ms: number }[];
  max: number;
}

const bulk = (value: Buffer | string): Reply => ({ kind: 'bulk', value: typeof value === 'string' ? Buffer.from(value) : value });
const integer = (value: number): Reply => ({ kind: 'integer', value });

/** The arguments a slow log entry keeps: at most 32, each at most 128 bytes, with Redis's notes of what was cut. */
function keptArguments(argv: readonly Buffer[]): KeptArguments {
  const count = Math.min(argv.length, ENTRY_ARGS_MAX);
  const parts: (Buffer | string)[] = [];
  for (let i = 0; i < count; i++) {
    if (count !== argv.length && i === count - 1) {
      parts.push(`... (${argv.length - count + 1} more arguments)`);
      break;
    }
    const arg = argv[i] as Buffer;
    if (arg.length <= ENTRY_ARG_BYTES_MAX) parts.push(arg);
    else parts.push(Buffer.concat([arg.subarray(0, ENTRY_ARG_BYTES_MAX), Buffer.from(`... (${arg.length - ENTRY_ARG_BYTES_MAX} more bytes)`)]));
  }
  const lengths = parts.map((part) => (typeof part === 'string' ? Buffer.byteLength(part) : part.length));
  const bytes = Buffer.allocUnsafe(lengths.reduce((sum, length) => sum + length, 0));
  let offset = 0;
  for (const part of parts) offset += typeof part === 'string' ? bytes.write(part, offset) : part.copy(bytes, offset);
  return { bytes, lengths };
}

function argumentsOf(kept: KeptArguments): Buffer[] {
  const argv: Buffer[] = [];
  let offset = 0;
  for (const length of kept.lengths) {
    argv.push(kept.bytes.subarray(offset, offset + length));
    offset += length;
  }
  return argv;
}

export class CommandTimes {
  private readonly settings: NodeSettings;
  private readonly now: () => number;
  /** Oldest first; only the newest slowlog-max-len count (the rest is trimmed in batches). */
  private entries: SlowEntry[] = [];
  private nextId = 0;
  private readonly events = new Map<string, LatencyEvent>();

  constructor(settings: NodeSettings, now: () => number) {
    this.settings = settings;
    this.now = now;
  }

  /**
   * A command that executed for `usec` µs; true when it was slow enough for the slow log.
   * EXEC is never logged itself (Redis's skip_slowlog): the commands it ran are, each on its own.
   */
  record(conn: ClientConnection, command: RegisteredCommand, argv: readonly Buffer[], usec: number): boolean {
    const threshold = this.settings.number('slowlog-log-slower-than');
    const slow = threshold >= 0 && usec >= threshold && !(command.row.flags as readonly string[]).includes('skip_slowlog');
    if (slow) {
      this.entries.push({ id: this.nextId++, atSeconds: this.seconds(), usec, argv: keptArguments(argv), address: conn.address, name: conn.name });
      const max = this.settings.number('slowlog-max-len');
      if (this.entries.length > 2 * max + 16) this.entries.splice(0, this.entries.length - max);
    }
    const latencyMs = this.settings.number('latency-monitor-threshold');
    if (latencyMs > 0 && usec / 1000 >= latencyMs) this.sample((command.row.flags as readonly string[]).includes('fast') ? 'fast-command' : 'command', this.seconds(), Math.round(usec / 1000));
    return slow;
  }

  /**
   * This node applied a log entry in `usec` µs: an `entry-apply` latency event when that
   * passes latency-monitor-threshold. Every node applies every entry, so a slow one (a long
   * script, a huge value) stalls each node in turn; this is that node's own stall, beside the
   * `command` event of the client that sent it.
   */
  applied(usec: number): void {
    const latencyMs = this.settings.number('latency-monitor-threshold');
    if (latencyMs > 0 && usec / 1000 >= latencyMs) this.sample('entry-apply', this.seconds(), Math.round(usec / 1000));
  }

  /** Now, in whole seconds; read only for a command that is logged or sampled (most are neither). */
  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** Up to `count` entries, newest first, of the slowlog-max-len newest. */
  private newest(count: number): SlowEntry[] {
    const kept = Math.min(count, this.settings.number('slowlog-max-len'), this.entries.length);
    return this.entries.slice(this.entries.length - kept).reverse();
  }

  private sample(event: string, atSeconds: number, ms: number): void {
    let history = this.events.get(event);
    if (history === undefined) {
      history = { samples: [], max: 0 };
      this.events.set(event, history);
    }
    const last = history.samples[history.samples.length - 1];
    // One sample per second, the largest, as Redis keeps them.
    if (last !== undefined && last.atSeconds === atSeconds) last.ms = Math.max(last.ms, ms);
    else history.samples.push({ atSeconds, ms });
    if (history.samples.length > LATENCY_SAMPLES_MAX) history.samples.shift();
    history.max = Math.max(history.max, ms);
  }

  slowlogCommand(): ServerCommand {
    return serverCommand('slowlog', -2, ['admin', 'random', 'loading', 'stale'], ({ argv, done }) => {
      const sub = argv[1]?.toString('latin1').toLowerCase();
      if (sub === 'len') return done(integer(this.newest(Infinity).length));
      if (sub === 'reset') {
        this.entries = [];
        return done({ kind: 'simple', value: 'OK' });
      }
      if (sub === 'help') return done(help(SLOWLOG_HELP));
      if (sub !== 'get') return done(unknownSubcommand('slowlog', argv[1]));
      let count = 10;
      if (argv.length === 3) {
        const text = argv[2]?.toString('latin1') ?? '';
        count = /^-?\d{1,18}$/.test(text) ? Number(text) : NaN;
        if (Number.isNaN(count) || count < -1) return done(errorReply('ERR count should be greater than or equal to -1'));
        if (count === -1) count = Infinity;
      }
      done({ kind: 'array', value: this.newest(count).map((entry) => ({
        kind: 'array',
        value: [integer(entry.id), integer(entry.atSeconds), integer(entry.usec), { kind: 'array', value: argumentsOf(entry.argv).map(bulk) }, bulk(entry.address), bulk(entry.name)],
      })) });
    }, [0, 0, 0], { get: -2, len: 2, reset: 2, help: 2 });
  }

  latencyCommand(all: () => Iterable<NamedCounters>): ServerCommand {
    return serverCommand('latency', -2, ['admin', 'noscript', 'loading', 'stale'], ({ argv, done }) => {
      const sub = argv[1]?.toString('latin1').toLowerCase();
      switch (sub) {
        case 'latest':
          return done({ kind: 'array', value: [...this.events].map(([event, history]) => {
            const last = history.samples[history.samples.length - 1] ?? { atSeconds: 0, ms: 0 };
            return { kind: 'array', value: [bulk(event), integer(last.atSeconds), integer(last.ms), integer(history.max)] };
          }) });
        case 'history': {
          if (argv.length !== 3) return done(arityError('latency|history'));
          const history = this.events.get(argv[2]?.toString('latin1') ?? '');
          return done({ kind: 'array', value: (history?.samples ?? []).map((s) => ({ kind: 'array', value: [integer(s.atSeconds), integer(s.ms)] })) });
        }
        case 'reset': {
          const names = argv.length === 2 ? [...this.events.keys()] : argv.slice(2).map((a) => a.toString('latin1'));
          let reset = 0;
          for (const name of names) if (this.events.delete(name)) reset++;
          return done(integer(reset));
        }
        case 'histogram':
          return done(histograms(all(), argv.slice(2).map((a) => a.toString('latin1').toLowerCase())));
        case 'doctor':
          return done({ kind: 'verbatim', format: 'txt', value: this.doctor() });
        case 'help':
          return done(help(LATENCY_HELP));
        default:
          return done(unknownSubcommand('latency', argv[1]));
      }
    }, [0, 0, 0], { latest: 2, history: 3, reset: -2, histogram: -2, doctor: 2, help: 2 });
  }

  private doctor(): string {
    if (this.settings.number('latency-monitor-threshold') === 0) {
      return 'I\'m sorry, Dave, I can\'t do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it.\n';
    }
    if (this.events.size === 0) return 'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep soundly tonight.\n';
    const lines = [...this.events].map(([event, h]) => `${event}: ${h.samples.length} latency spikes (worst ${h.max} ms). ${DOCTOR_ADVICE[event] ?? ''}`);
    return lines.join('\n') + '\n';
  }
}

/** LATENCY DOCTOR's word on each event. */
const DOCTOR_ADVICE: Readonly<Record<string, string>> = {
  'command': 'Slow commands: check SLOWLOG GET (a command\'s execution; a write\'s wait for its quorum is not counted).',
  'fast-command': 'Fast commands spiking usually means the node\'s event loop was busy (a large reply, a snapshot step, the machine\'s load).',
  'entry-apply': 'A log entry took this long to apply on this node, and on every other: long scripts and very large values stall each replica in turn.',
};

/**
 * LATENCY HISTOGRAM: per command, its calls and the cumulative count at each power-of-two µs
 * bound, as Redis 7 answers. A container's name asks for its subcommands too ('client' gives
 * client|id, client|list, ...); names that are no command are skipped.
 */
function histograms(commands: Iterable<NamedCounters>, names: readonly string[]): Reply {
  const pairs: [Reply, Reply][] = [];
  for (const { name, stats } of commands) {
    const bar = name.indexOf('|');
    if (stats.calls === 0 || (names.length > 0 && !names.includes(name) && !(bar > 0 && names.includes(name.slice(0, bar))))) continue;
    const buckets: Reply[] = [];
    for (const [bound, count] of stats.cumulativeByPowerOfTwo()) buckets.push(integer(bound), integer(count));
    pairs.push([bulk(name), { kind: 'map', value: [[bulk('calls'), integer(stats.calls)], [bulk('histogram_usec'), { kind: 'map', value: pairsOf(buckets) }]] }]);
  }
  return { kind: 'map', value: pairs };
}

function pairsOf(flat: readonly Reply[]): [Reply, Reply][] {
  const out: [Reply, Reply][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i] as Reply, flat[i + 1] as Reply]);
  return out;
}

function help(lines: readonly string[]): Reply {
  return { kind: 'array', value: lines.map((line) => ({ kind: 'simple', value: line })) };
}

const SLOWLOG_HELP = [
  'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET [<count>]', '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:', '    id, timestamp, time in microseconds, arguments array, client IP and port,', '    client name',
  'LEN', '    Return the length of the slowlog.',
  'RESET', '    Reset the slowlog.',
  'HELP', '    Prints this help.',
];

const LATENCY_HELP = [
  'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR', '    Return a human readable latency analysis report.',
  'HISTORY <event>', '    Return time-latency samples for the <event> class.',
  'LATEST', '    Return the latest latency samples for all events.',
  'RESET [<event> ...]', '    Reset latency data of one or more <event> classes.', '    (default: reset all data for all event classes)',
  'HISTOGRAM [COMMAND ...]', '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
  'HELP', '    Prints this help.',
];
