// CLUSTER as a standalone Redis 7.0 answers it: raftis shows clients one keyspace with no
// hash slots (its replication is Raft's, not Redis Cluster's), so every subcommand answers
// that cluster support is disabled, as Redis does with cluster-enabled no. The rows are
// there for what clients and tools ask first (CLUSTER INFO to detect a cluster, COMMAND LIST,
// ACL rules naming cluster|...): an unknown subcommand or a wrong arity gets Redis's error.

import { errorReply } from './errors.js';
import { serverCommand, type ServerCommand } from './command-registry.js';

/** Redis 7.0's CLUSTER subcommands with their arities (counting CLUSTER itself). */
const CLUSTER_SUBCOMMANDS: Readonly<Record<string, number>> = {
  addslots: -3, addslotsrange: -4, bumpepoch: 2, 'count-failure-reports': 3, countkeysinslot: 3, delslots: -3, delslotsrange: -4,
  failover: -2, flushslots: 2, forget: 3, getkeysinslot: 4, help: 2, info: 2, keyslot: 3, links: 2, meet: -4, myid: 2, nodes: 2,
  replicas: 3, replicate: 3, reset: -2, saveconfig: 2, 'set-config-epoch': 3, setslot: -4, shards: 2, slaves: 3, slots: 2,
};

export function clusterCommand(): ServerCommand {
  return serverCommand('cluster', -2, [], ({ done }) => done(errorReply('ERR This instance has cluster support disabled')), [0, 0, 0], CLUSTER_SUBCOMMANDS);
}
