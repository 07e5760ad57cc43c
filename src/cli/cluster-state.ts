// The state file of a local cluster run by `raftis cluster up` (`<data-dir>/cluster.json`):
// which nodes it runs, on which ports, and where its supervisor listens for `raftis cluster
// add-node` / `remove-node` from another terminal. Written only by the supervisor (temporary
// file, then rename), read by everyone; it outlives the supervisor, so that starting the
// cluster again starts the nodes it had when it stopped, added ones included.

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CLUSTER_STATE_FILE = 'cluster.json';
const STATE_VERSION = 1;
/** Peer port = client port + this, as everywhere else in `raftis cluster`. */
export const PEER_PORT_OFFSET = 10_000;
/** Each node's admin HTTP port (metrics, status, dashboard) is its client port plus this. */
export const ADMIN_PORT_OFFSET = 2_000;
const PORT_MAX = 65_535;

export interface ClusterNode {
  readonly id: string;
  readonly clientPort: number;
  readonly peerPort: number;
}

export interface ClusterState {
  readonly version: number;
  readonly host: string;
  /** Client port of n1; node nK listens on basePort + K − 1. */
  readonly basePort: number;
  /** Loopback port of the running supervisor's control channel; 0 when none is running. */
  readonly controlPort: number;
  readonly supervisorPid: number;
  readonly nodes: readonly ClusterNode[];
  /**
   * Started with --tls: clients on TLS only (on the client ports), peers over mutual TLS,
   * admin HTTPS, with certificates of a local CA in <data-dir>/tls. Absent in older files: false.
   */
  readonly tls?: boolean;
}

export function clusterStatePath(dataDir: string): string {
  return join(dataDir, CLUSTER_STATE_FILE);
}

/** The state, null if there is none, or an error message if the file is unusable. */
export function readClusterState(dataDir: string): ClusterState | null | string {
  const path = clusterStatePath(dataDir);
  if (!existsSync(path)) return null;
  let parsed: ClusterState;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as ClusterState;
  } catch (error) {
    return `${path} is unreadable: ${(error as Error).message}`;
  }
  if (parsed.version !== STATE_VERSION) return `${path}: unsupported version ${String(parsed.version)}`;
  if (!Array.isArray(parsed.nodes) || parsed.nodes.length === 0) return `${path}: no nodes listed`;
  return parsed;
}

export function writeClusterState(dataDir: string, state: ClusterState): void {
  const path = clusterStatePath(dataDir);
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
}

/** The node id nK of slot K (1-based), with its ports. */
export function nodeInSlot(basePort: number, slot: number): ClusterNode {
  return { id: `n${slot}`, clientPort: basePort + slot - 1, peerPort: basePort + slot - 1 + PEER_PORT_OFFSET };
}

/** Where `cluster up --tls` keeps its CA and certificates. */
export const TLS_DIR = 'tls';

/**
 * The node to add next: the first slot above every current node whose data directory does
 * not exist yet. A removed node's directory stays, so its id is never handed out again (its
 * old peers would refuse it: they removed that member).
 */
export function nextNode(state: ClusterState, dataDir: string): ClusterNode | string {
  const slots = state.nodes.map((n) => Number(/^n(\d+)$/.exec(n.id)?.[1] ?? 0));
  for (let slot = Math.max(0, ...slots) + 1; ; slot++) {
    const node = nodeInSlot(state.basePort, slot);
    if (node.peerPort > PORT_MAX) return `no port left for ${node.id}: ${node.clientPort} + ${PEER_PORT_OFFSET} is above ${PORT_MAX}`;
    if (!existsSync(join(dataDir, node.id))) return node;
  }
}
