// OBJECT ENCODING / REFCOUNT / FREQ / IDLETIME / HELP. The value is looked at by the state
// machine at a read point (kv/object-encoding.ts), with this node's encoding thresholds.
// IDLETIME is this node's own: each node stamps the keys its commands read and write, as a
// Redis replica keeps its own LRU clock per key.

import type { Reply } from '../kv/reply.js';
import { objectEncodingCommandName, type EncodingThresholds } from '../kv/object-encoding.js';
import { errorReply } from './errors.js';
import { serverCommand, unknownSubcommand, type ServerCommand } from './command-registry.js';

export interface ObjectCommandDeps {
  readonly thresholds: () => EncodingThresholds;
  /** Runs a read-only state machine command against this node's state, judging expiry at `clusterTime`. */
  readonly read: (argv: readonly Uint8Array[], clusterTime: number) => Reply;
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>', '    Return the kind of internal representation used in order to store the value', '    associated with a <key>.',
  'FREQ <key>', '    Return the access frequency index of the <key>. The returned integer is', '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>', '    Return the idle time of the <key>, that is the approximated number of', '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>', '    Return the number of references of the value associated with the specified', '    <key>.',
  'HELP', '    Prints this help.',
];

const LFU_NOT_SELECTED = 'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';

export function objectCommand(deps: ObjectCommandDeps): ServerCommand {
  return serverCommand('object', -2, ['readonly'], ({ argv, done, read }) => {
    const sub = argv[1]?.toString('latin1').toLowerCase();
    if (sub === 'help' && argv.length === 2) return done({ kind: 'array', value: OBJECT_HELP.map((line) => ({ kind: 'simple', value: line })) });
    if (sub === undefined || !['encoding', 'refcount', 'freq', 'idletime'].includes(sub)) return done(unknownSubcommand('object', argv[1]));
    if (argv.length !== 3) return done(errorReply(`ERR wrong number of arguments for 'object|${sub}' command`));
    const limits = deps.thresholds();
    const numbers = [limits.hashEntries, limits.hashValue, limits.zsetEntries, limits.zsetValue, limits.intsetEntries].map((n) => Buffer.from(String(n)));
    // At a read point of the connection's consistency, in order with its commands, as a data read.
    read((clusterTime) => deps.read([Buffer.from(objectEncodingCommandName), argv[2] as Buffer, ...numbers], clusterTime), (reply) => {
      if (reply.kind !== 'array' || reply.value === null) return done(reply); // no key (nil), or the read failed
      const [encoding, refcount, idleSeconds] = reply.value;
      if (sub === 'encoding') return done(encoding ?? { kind: 'bulk', value: null });
      if (sub === 'refcount') return done(refcount ?? { kind: 'integer', value: 1 });
      if (sub === 'idletime') return done(idleSeconds ?? { kind: 'integer', value: 0 });
      // No LFU policy can be selected (eviction is decided in the log, and access frequencies
      // are each node's own): Redis's answer under an LRU policy.
      done(errorReply(LFU_NOT_SELECTED));
    });
  }, [2, 2, 1], { encoding: 3, freq: 3, idletime: 3, refcount: 3, help: 2 });
}
