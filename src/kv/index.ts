// The public surface of src/kv/ for the layers above (server, sim).

export type { Reply } from './reply.js';
export type { CommandSpec, CommandFlag, CommandHandler } from './command-spec.js';
export { encodeCommand, decodeCommand, type CommandEntry } from './command-codec.js';
export { KvStateMachine, kvDefaults, evictionPolicies, type KvOptions, type EvictionPolicy, type KvStats, type KvDigest } from './state-machine.js';
export type { SnapshotSource, SnapshotSink } from './snapshot.js';
export { raftisExpireCommandName, validateCommand } from './commands.js';
export { globMatch } from './glob.js';
