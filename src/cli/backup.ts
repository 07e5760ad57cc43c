// `raftis backup` and `raftis restore`: a consistent copy of a running cluster's whole state
// in one checksummed file, and a new cluster seeded from it.
//
// backup: RAFT.BACKUP on any node (server/backup-command.ts) opens a snapshot after a
// linearizable read barrier and the tool pulls it chunk by chunk into the file.
// restore: like etcdutl snapshot restore, run once per member of the new cluster with that
// member's id and the new cluster's --initial-cluster: it checks the file, decodes it whole
// (a backup that would not load is refused before anything is written), and creates the
// member's data directory with the state as its first snapshot. Every member so made holds
// the same state at the same index; started, they elect a leader and go on from there.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KvStateMachine } from '../kv/state-machine.js';
import { StateLoader } from '../kv/state-loader.js';
import type { RespValue } from '../resp/codec.js';
import { ConfigError, clientAddress, formatHostPort, loadConfig, parseHostPort, type HostPort, type ServerConfig } from '../server/config.js';
import { newIdentity, readIdentity, writeIdentity, type Member } from '../server/identity.js';
import { encodeMembership } from '../server/log-store.js';
import { RaftStorage } from '../storage/raft-storage.js';
import { nodeId } from '../node/consensus.js';
import { BackupWriter, backupPayload, verifyBackup, type BackupHeader, type VerifiedBackup } from './backup-file.js';
import { serverOptions, takeOption } from './cli-options.js';
import { nodeInSlot } from './cluster-state.js';
import { formatAmount, ProgressBar } from './progress-bar.js';
import { RespSession } from './resp-session.js';

const BACKUP_USAGE = 'usage: raftis backup --out FILE [--server host:port] [--tls --cacert FILE [--cert FILE --key FILE]] [--user U] [--pass P]';
const RESTORE_USAGE = `usage: raftis restore FILE --data-dir DIR --id ID [--initial-cluster id=host:peer-port,...] [--listen host:port] [--peer-listen host:port] [server settings]
       raftis restore FILE --cluster-dir DIR [--nodes 3] [--port 6379] [--host 127.0.0.1]   (the layout of raftis cluster up)`;
const CONNECT_TIMEOUT_MS = 10_000;
/** The term of the restored snapshot: the new cluster's first; its first election moves past it. */
const RESTORED_TERM = 1;

function bulkText(value: RespValue | undefined): string {
  return value?.kind === 'bulk' && value.value !== null ? Buffer.from(value.value).toString() : '';
}

/** RAFT.BACKUP BEGIN's reply as the file's header. */
function backupHeader(reply: RespValue): BackupHeader {
  if (reply.kind === 'error') throw new Error(`RAFT.BACKUP BEGIN: ${reply.message}`);
  if (reply.kind !== 'array' || reply.value === null || reply.value[0]?.kind !== 'integer') throw new Error('RAFT.BACKUP BEGIN: unexpected reply');
  return { appliedIndex: Number(reply.value[0].value), clusterId: bulkText(reply.value[1]), nodeId: bulkText(reply.value[2]), takenAt: new Date().toISOString() };
}

/** NEXTs kept in flight: the transfer does not wait a round trip per chunk. */
const NEXT_IN_FLIGHT = 4;

/** One NEXT's chunk, or null at the end. */
async function nextChunk(reply: Promise<RespValue>): Promise<Buffer | null> {
  const value = await reply;
  if (value.kind === 'error') throw new Error(`RAFT.BACKUP NEXT: ${value.message}`);
  if (value.kind !== 'bulk') throw new Error('RAFT.BACKUP NEXT: unexpected reply');
  return value.value === null ? null : Buffer.from(value.value);
}

/** Opens a backup on the server, tells `onBegin` what it is, and hands each chunk of its snapshot stream to `onChunk`. */
export async function pullSnapshot(session: RespSession, onBegin: (header: BackupHeader) => void, onChunk: (chunk: Buffer) => void): Promise<BackupHeader> {
  const header = backupHeader(await session.call(['RAFT.BACKUP', 'BEGIN']));
  onBegin(header);
  const next = (): Promise<RespValue> => session.call(['RAFT.BACKUP', 'NEXT']);
  const inFlight = Array.from({ length: NEXT_IN_FLIGHT }, next);
  try {
    for (;;) {
      const chunk = await nextChunk(inFlight.shift() ?? next());
      if (chunk === null) break;
      onChunk(chunk);
      inFlight.push(next());
    }
  } finally {
    // The NEXTs sent past the end answer nil; settled before END so none is left unread.
    await Promise.allSettled(inFlight);
  }
  await session.call(['RAFT.BACKUP', 'END']);
  return header;
}

/** Pulls the snapshot stream into the backup file `out`; returns the header and checksum written. */
export async function takeBackup(session: RespSession, out: string, progress: (bytes: number) => void): Promise<{ header: BackupHeader; bytes: number; checksum: number }> {
  let writer: BackupWriter | null = null;
  try {
    const header = await pullSnapshot(session, (begun) => { writer = new BackupWriter(out, begun); }, (chunk) => {
      writer?.write(chunk);
      progress(writer?.bytesWritten ?? 0);
    });
    const written = writer as BackupWriter | null;
    if (written === null) throw new Error('RAFT.BACKUP: no stream');
    return { header, bytes: written.bytesWritten, checksum: written.commit() };
  } catch (error) {
    (writer as BackupWriter | null)?.abort();
    throw error;
  }
}

export async function backupCommand(argv: string[]): Promise<number> {
  const args = [...argv];
  const out = takeOption(args, '--out');
  const options = serverOptions(args);
  if (out === undefined || out === '' || args.length > 0 || typeof options === 'string') {
    process.stderr.write(`${typeof options === 'string' ? `raftis backup: ${options}\n` : ''}${BACKUP_USAGE}\n`);
    return 64;
  }
  let session: RespSession | null = null;
  try {
    session = await RespSession.open(parseHostPort(options.server, '--server'), options.tls, options.auth, CONNECT_TIMEOUT_MS);
    const bar = new ProgressBar({ label: `backup of ${options.server}`, unit: 'bytes', total: null });
    const { header, bytes, checksum } = await takeBackup(session, out, (done) => bar.update(done));
    bar.finish(`${formatAmount(bytes, 'bytes')}`);
    process.stdout.write(`${out}: cluster ${header.clusterId}, applied index ${header.appliedIndex} (from ${header.nodeId}), ${bytes} bytes, crc32 ${checksum.toString(16).padStart(8, '0')}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`raftis backup: ${(error as Error).message}\n`);
    return 1;
  } finally {
    session?.close();
  }
}

/** The state a verified backup holds, decoded into a state machine of its own. */
export function loadBackupState(backup: VerifiedBackup, onProgress: (bytes: number) => void = () => {}): KvStateMachine {
  const loader = new StateLoader(backup.path);
  for (const chunk of backupPayload(backup)) {
    loader.write(chunk);
    onProgress(loader.bytes);
  }
  return loader.finish(backup.header.appliedIndex);
}

/** Where one member of the new cluster goes: its settings as `raftis server` reads them. */
interface RestoreTarget {
  readonly config: ServerConfig;
}

/** A data directory that already holds anything of a node is never overwritten. */
function checkEmpty(dataDir: string): void {
  if (readIdentity(dataDir) !== null) throw new ConfigError(`${dataDir} already holds a node; restore into a new data directory`);
  for (const sub of ['wal', 'snap']) {
    const dir = join(dataDir, sub);
    if (existsSync(dir) && readdirSync(dir).length > 0) throw new ConfigError(`${dir} is not empty; restore into a new data directory`);
  }
}

/** Creates one member's data directory: identity, a hard state at the backup's index, and the backup as its snapshot. */
async function seedDataDir(backup: VerifiedBackup, target: RestoreTarget): Promise<void> {
  const { config } = target;
  const initial = config.initialCluster.size > 0 ? config.initialCluster : new Map<string, HostPort>([[config.id, config.peerListen]]);
  const identity = newIdentity(config.id, config.clusterToken, initial, clientAddress(config), config.peerListen);
  const { storage } = await RaftStorage.open({ dir: config.dataDir, clusterId: identity.clusterId, nodeId: identity.nodeId, segmentBytes: config.walSegmentBytes });
  try {
    const index = backup.header.appliedIndex;
    storage.append([], { term: RESTORED_TERM, vote: '', commit: index });
    await storage.sync();
    const members = new Map<string, Member>(identity.initialMembers.map((m) => [m.id, m]));
    const membership = encodeMembership({ voters: identity.initialMembers.map((m) => nodeId(m.id)), learners: [] }, members);
    const writer = storage.saveSnapshot({ index, term: RESTORED_TERM, membership });
    try {
      for (const chunk of backupPayload(backup)) await writer.write(chunk);
      await writer.commit();
    } catch (error) {
      await writer.abort();
      throw error;
    }
  } finally {
    await storage.close();
  }
  // Last: a directory with an identity is a node; one without is still empty to a retry.
  writeIdentity(config.dataDir, identity);
}

/** The members of a `raftis cluster up` layout: n1..nN on consecutive ports. */
function clusterTargets(args: string[]): RestoreTarget[] {
  const dir = takeOption(args, '--cluster-dir') ?? '';
  const nodes = Number(takeOption(args, '--nodes') ?? '3');
  const port = Number(takeOption(args, '--port') ?? '6379');
  const host = takeOption(args, '--host') ?? '127.0.0.1';
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 99) throw new ConfigError('--nodes: expected 1 to 99');
  const slots = Array.from({ length: nodes }, (_, i) => nodeInSlot(port, i + 1));
  const initial = slots.map((n) => `${n.id}=${host}:${n.peerPort}`).join(',');
  return slots.map((n) => ({
    config: loadConfig(['--id', n.id, '--data-dir', join(dir, n.id), '--listen', `${host}:${n.clientPort}`, '--peer-listen', `${host}:${n.peerPort}`, '--initial-cluster', initial, ...args], {}),
  }));
}

function restoreTargets(args: string[]): RestoreTarget[] {
  if (args.includes('--cluster-dir')) return clusterTargets(args);
  const config = loadConfig(args, {});
  if (config.id === '') throw new ConfigError('--id is required: the member of the new cluster this data directory becomes');
  if (!config.configured.has('dataDir')) throw new ConfigError('--data-dir is required');
  return [{ config }];
}

export async function restoreCommand(argv: string[]): Promise<number> {
  const [file, ...rest] = argv;
  if (file === undefined || file.startsWith('--')) {
    process.stderr.write(`${RESTORE_USAGE}\n`);
    return 64;
  }
  let targets: RestoreTarget[];
  try {
    targets = restoreTargets(rest);
    for (const target of targets) checkEmpty(target.config.dataDir);
  } catch (error) {
    process.stderr.write(`raftis restore: ${(error as Error).message}\n${error instanceof ConfigError ? `${RESTORE_USAGE}\n` : ''}`);
    return error instanceof ConfigError ? 78 : 1;
  }
  try {
    const verifyBar = new ProgressBar({ label: `checking ${file}`, unit: 'bytes', total: null });
    const backup = verifyBackup(file, (done) => verifyBar.update(done));
    const loadBar = new ProgressBar({ label: `decoding ${file}`, unit: 'bytes', total: backup.payloadBytes });
    const kv = loadBackupState(backup, (done) => loadBar.update(done));
    const digest = kv.digest();
    loadBar.finish(`${digest.keys} keys at index ${digest.appliedIndex}, digest ${digest.hash}`);
    for (const target of targets) {
      await seedDataDir(backup, target);
      process.stdout.write(`${target.config.dataDir}: node ${target.config.id} of a new cluster (${[...target.config.initialCluster.keys()].join(', ') || target.config.id}), ` +
        `client ${formatHostPort(clientAddress(target.config))}, state at index ${digest.appliedIndex}, ${digest.keys} keys, digest ${digest.hash}\n`);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`raftis restore: ${(error as Error).message}\n`);
    return 1;
  }
}
