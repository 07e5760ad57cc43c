// The node's identity on disk (`<data-dir>/raftis.json`): cluster id, node id and the
// bootstrap membership. Written once when a data directory is created (temp file, fsync,
// rename, directory fsync), so that a restart needs nothing but --data-dir.

import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, formatHostPort, parseHostPort, type HostPort } from './config.js';

export const IDENTITY_FILE = 'raftis.json';
const IDENTITY_VERSION = 1;

export interface Member {
  readonly id: string;
  readonly peer: HostPort;
  readonly client: HostPort;
  /** Added as a learner to become a voter once caught up (RAFT.NODE ADD without LEARNER). */
  readonly promote?: boolean;
  /**
   * The data-directory incarnation the member joined with (RAFT.NODE ADD … INCARNATION), part
   * of the replicated configuration so that every node, even one that learned of the member
   * from a snapshot, checks the same one. Absent for founders and members added by hand:
   * each node then records the first incarnation it sees (peer-incarnations.ts).
   */
  readonly incarnation?: string;
}

export interface Identity {
  readonly version: number;
  readonly clusterId: string;
  readonly nodeId: string;
  /** Random id of this data directory, made when it was created; peers refuse a node whose directory was replaced. */
  readonly incarnation: string;
  /** Where this node listens (client and peer), so a restart needs only --data-dir. */
  readonly self: { readonly client: HostPort; readonly peer: HostPort };
  /** The voters the cluster was bootstrapped with (later changes live in the log and snapshots). */
  readonly initialMembers: readonly Member[];
}

interface IdentityFile {
  version: number;
  clusterId: string;
  nodeId: string;
  incarnation: string;
  self: { client: string; peer: string };
  initialMembers: { id: string; peer: string; client: string }[];
}

export function clusterIdFor(token: string, members: readonly Member[]): string {
  const text = [token, ...members.map((m) => `${m.id}=${formatHostPort(m.peer)}`).sort()].join('\n');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Client address convention for members known only by peer address: peer port − 10000. */
export function defaultClientAddress(peer: HostPort): HostPort {
  return { host: peer.host, port: peer.port >= 10_000 ? peer.port - 10_000 : peer.port };
}

export function readIdentity(dataDir: string): Identity | null {
  const path = join(dataDir, IDENTITY_FILE);
  if (!existsSync(path)) return null;
  let parsed: IdentityFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as IdentityFile;
  } catch (error) {
    throw new ConfigError(`${path} is unreadable (${(error as Error).message}); this data directory cannot be trusted`);
  }
  if (parsed.version !== IDENTITY_VERSION) throw new ConfigError(`${path}: unsupported identity version ${parsed.version}`);
  if (typeof parsed.incarnation !== 'string' || parsed.incarnation === '') throw new ConfigError(`${path}: missing incarnation`);
  if (typeof parsed.self !== 'object' || parsed.self === null) throw new ConfigError(`${path}: missing this node's addresses ("self")`);
  return {
    version: parsed.version,
    clusterId: parsed.clusterId,
    nodeId: parsed.nodeId,
    incarnation: parsed.incarnation,
    self: { client: parseHostPort(parsed.self.client, path), peer: parseHostPort(parsed.self.peer, path) },
    initialMembers: parsed.initialMembers.map((m) => ({ id: m.id, peer: parseHostPort(m.peer, path), client: parseHostPort(m.client, path) })),
  };
}

export function writeIdentity(dataDir: string, identity: Identity): void {
  mkdirSync(dataDir, { recursive: true });
  const file: IdentityFile = {
    version: identity.version,
    clusterId: identity.clusterId,
    nodeId: identity.nodeId,
    incarnation: identity.incarnation,
    self: { client: formatHostPort(identity.self.client), peer: formatHostPort(identity.self.peer) },
    initialMembers: identity.initialMembers.map((m) => ({ id: m.id, peer: formatHostPort(m.peer), client: formatHostPort(m.client) })),
  };
  const path = join(dataDir, IDENTITY_FILE);
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, JSON.stringify(file, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  const dirFd = openSync(dataDir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** The identity with this node's own addresses replaced, once the cluster accepted its move (RAFT.NODE UPDATE). */
export function withSelfAddresses(identity: Identity, client: HostPort, peer: HostPort): Identity {
  return { ...identity, self: { client, peer } };
}

export function newIdentity(nodeId: string, token: string, initialCluster: ReadonlyMap<string, HostPort>, selfClient: HostPort, selfPeer: HostPort): Identity {
  // The others' client addresses are guessed from their peer addresses (peer port − 10000, as
  // `raftis cluster up` assigns them); a node started with other ports is known to the others
  // at the guessed address until it moves (RAFT.NODE UPDATE).
  const members: Member[] = [...initialCluster].map(([id, peer]) => ({
    id,
    peer,
    client: id === nodeId ? selfClient : defaultClientAddress(peer),
  }));
  return {
    version: IDENTITY_VERSION,
    clusterId: clusterIdFor(token, members),
    nodeId,
    incarnation: randomBytes(8).toString('hex'),
    self: { client: selfClient, peer: selfPeer },
    initialMembers: members,
  };
}
