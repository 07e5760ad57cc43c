#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=131072 node
// The `raftis` command: one entry point for running a node, a local cluster, and the tools.

import { backupCommand, restoreCommand } from './backup.js';
import { exportRdbCommand, importRdbCommand } from './rdb.js';
import { checkHistoryCommand } from '../check/check-history-command.js';
import { clusterCommand } from './cluster.js';
import { simCommand } from '../sim/sim-command.js';
import { ctlCommand } from './ctl.js';
import { devCertsCommand } from './dev-certs.js';
import { ProgressBar } from './progress-bar.js';
import { serverCommand } from './server.js';

const USAGE = `raftis — a strongly consistent, Redis-compatible key-value store replicated with Raft

usage:
  raftis server [settings]                 run one node (raftis server --help lists the settings)
  raftis cluster up [--nodes 3] [--port 6379] [--data-dir ./data] [--tls]
                                           run a local cluster of N node processes (--tls: TLS everywhere)
  raftis cluster add-node | remove-node ID [--data-dir ./data]
                                           grow or shrink that cluster while it runs
  raftis ctl nodes|add|remove|promote|update|transfer-leader|info|leader [args] [--server host:port] [--tls …]
                                           administer a running cluster
  raftis backup --out FILE [--server host:port]
                                           copy a running cluster's whole state, consistently, into a checksummed file
  raftis restore FILE --data-dir DIR --id ID [--initial-cluster …] | --cluster-dir DIR [--nodes 3] [--port 6379]
                                           create the data directories of a new cluster holding a backup's state
  raftis import-rdb FILE [--server host:port] [--replace] [--db N]
                                           load a Redis dump.rdb (version 10 and older) into a running cluster
  raftis export-rdb --out FILE [--server host:port | --backup FILE]
                                           write a cluster's state (or a backup's) as a dump.rdb that redis-server loads
  raftis dev-certs [--dir ./data/tls] [--host NAME]... ID...
                                           make a local CA and node and client certificates (development)
  raftis check-history FILE [--format jepsen|edn|jsonl] [--model kv|list-append] [--timeout-ms N]
                                           check a recorded history (linearizability, or list-append strict serializability)
  raftis sim --seed S [--trace] | --seeds N [--from S] [--nodes 3|5] [--faults …]
                                           run the deterministic simulator
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'server':
      return serverCommand(rest);
    case 'cluster':
      return clusterCommand(rest);
    case 'check-history':
      return checkHistoryCommand(rest);
    case 'sim':
      return simCommand(rest, undefined, (total) => new ProgressBar({ label: 'raftis sim', unit: 'seeds', total }));
    case 'ctl':
      return ctlCommand(rest);
    case 'backup':
      return backupCommand(rest);
    case 'restore':
      return restoreCommand(rest);
    case 'import-rdb':
      return importRdbCommand(rest);
    case 'export-rdb':
      return exportRdbCommand(rest);
    case 'dev-certs':
      return devCertsCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 64 : 0;
    default:
      process.stderr.write(`raftis: unknown command "${command}"\n\n${USAGE}`);
      return 64;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`raftis: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
