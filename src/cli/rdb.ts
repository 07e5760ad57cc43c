// `raftis import-rdb` and `raftis export-rdb`: Redis's dump.rdb (version 10, Redis 7.0) into a
// running cluster and out of it.
//
// import: the file is read and checked whole first (layout, every value, the checksum), so a
// file raftis cannot take (a stream, a module type, a newer RDB version) is refused before
// anything is written. Then each function library is loaded and each key restored with
// RESTORE … ABSTTL, the value's RDB bytes passed on unchanged: ordinary writes through the
// log, pipelined in bounded batches on one connection to any node. Keys already expired are
// left out, as Redis leaves them out when it loads a file as a master.
// export: the state is pulled as a backup (RAFT.BACKUP, a linearizable read point) or read
// from a backup file, and written as an RDB file that redis-server loads.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { DecodeError } from '../kv/binary.js';
import { readRdbFile, withDumpFooter, type RdbRecord } from '../kv/rdb/index.js';
import { rdbFilePieces } from '../kv/rdb/rdb-export.js';
import type { KvStateMachine } from '../kv/state-machine.js';
import type { RespValue } from '../resp/codec.js';
import { parseBytes, parseHostPort } from '../server/config.js';
import { loadBackupState, pullSnapshot } from './backup.js';
import { StateLoader } from '../kv/state-loader.js';
import { verifyBackup } from './backup-file.js';
import { serverOptions, takeFlag, takeOption, type ServerOptions } from './cli-options.js';
import { formatAmount, ProgressBar } from './progress-bar.js';
import { RespSession } from './resp-session.js';

const IMPORT_USAGE = `usage: raftis import-rdb FILE [--server host:port] [--replace] [--db N] [--batch-keys 1000] [--batch-bytes 8mb]
       [--tls --cacert FILE [--cert FILE --key FILE]] [--user U] [--pass P]`;
const EXPORT_USAGE = `usage: raftis export-rdb --out FILE [--server host:port | --backup FILE]
       [--tls --cacert FILE [--cert FILE --key FILE]] [--user U] [--pass P]`;
const CONNECT_TIMEOUT_MS = 10_000;
/** Largest string an import accepts in a file: Redis's own proto-max-bulk-len default. */
const IMPORT_STRING_BYTES_MAX = 512 * 1024 * 1024;
/** Batch bounds: commands in flight at most, and their bytes. */
const BATCH_KEYS_DEFAULT = 1000;
const BATCH_KEYS_MAX = 100_000;
const BATCH_BYTES_DEFAULT = 8 * 1024 * 1024;

interface ImportOptions {
  readonly file: string;
  readonly server: ServerOptions;
  readonly replace: boolean;
  readonly db: number;
  readonly batchKeys: number;
  readonly batchBytes: number;
}

function parseImportArgs(argv: string[]): ImportOptions | string {
  const [file, ...rest] = argv;
  if (file === undefined || file.startsWith('--')) return 'no FILE given';
  const args = [...rest];
  const replace = takeFlag(args, '--replace');
  const db = Number(takeOption(args, '--db') ?? '0');
  const batchKeys = Number(takeOption(args, '--batch-keys') ?? BATCH_KEYS_DEFAULT);
  let batchBytes = BATCH_BYTES_DEFAULT;
  try {
    const given = takeOption(args, '--batch-bytes');
    if (given !== undefined) batchBytes = parseBytes(given, '--batch-bytes');
  } catch (error) {
    return (error as Error).message;
  }
  const server = serverOptions(args);
  if (typeof server === 'string') return server;
  if (args.length > 0) return `unexpected argument "${args[0]}"`;
  if (!Number.isInteger(db) || db < 0 || db > 15) return '--db: expected a database number 0 to 15';
  if (!Number.isInteger(batchKeys) || batchKeys < 1 || batchKeys > BATCH_KEYS_MAX) return `--batch-keys: expected 1 to ${BATCH_KEYS_MAX}`;
  if (batchBytes < 1024) return '--batch-bytes: at least 1kb';
  return { file, server, replace, db, batchKeys, batchBytes };
}

interface FileSummary {
  readonly keys: number;
  readonly otherDbKeys: number;
  readonly functions: number;
}

/** The checking pass: every record read once; throws DecodeError naming what raftis cannot take. */
function summarize(file: Uint8Array, db: number): FileSummary {
  let keys = 0;
  let otherDbKeys = 0;
  let functions = 0;
  for (const record of readRdbFile(file, IMPORT_STRING_BYTES_MAX)) {
    if (record.kind === 'function') functions++;
    else if (record.kind === 'key' && record.db === db) keys++;
    else if (record.kind === 'key') otherDbKeys++;
  }
  return { keys, otherDbKeys, functions };
}

/** Commands in flight, awaited together once the batch is full; an error reply stops the import. */
class Batch {
  /** Each command's failure, or null: settled values, so nothing rejects before the batch is awaited. */
  private readonly pending: Promise<string | null>[] = [];
  private bytes = 0;

  constructor(private readonly session: RespSession, private readonly options: ImportOptions) {}

  async add(argv: readonly (string | Uint8Array)[], what: string): Promise<void> {
    this.bytes += argv.reduce((sum, a) => sum + a.length, 0);
    this.pending.push(this.session.call(argv).then(
      (reply: RespValue) => (reply.kind !== 'error' ? null : `${what}: ${reply.message}${/BUSYKEY|already exists/.test(reply.message) ? ' (--replace overwrites)' : ''}`),
      (error: unknown) => (error as Error).message,
    ));
    if (this.pending.length >= this.options.batchKeys || this.bytes >= this.options.batchBytes) await this.flush();
  }

  async flush(): Promise<void> {
    const waiting = this.pending.splice(0);
    this.bytes = 0;
    const failure = (await Promise.all(waiting)).find((outcome) => outcome !== null);
    if (failure !== undefined && failure !== null) throw new Error(failure);
  }
}

function restoreArgs(record: Extract<RdbRecord, { kind: 'key' }>, replace: boolean): (string | Uint8Array)[] {
  return ['RESTORE', record.key, String(record.expireAtMs ?? 0), withDumpFooter(record.payload), ...(replace ? ['REPLACE'] : []), 'ABSTTL'];
}

async function runImport(options: ImportOptions, file: Buffer, summary: FileSummary): Promise<{ keys: number; expired: number }> {
  const session = await RespSession.open(parseHostPort(options.server.server, '--server'), options.server.tls, options.server.auth, CONNECT_TIMEOUT_MS);
  const bar = new ProgressBar({ label: `import of ${options.file}`, unit: 'keys', total: summary.keys });
  const batch = new Batch(session, options);
  let keys = 0;
  let expired = 0;
  const now = Date.now();
  try {
    for (const record of readRdbFile(file, IMPORT_STRING_BYTES_MAX)) {
      if (record.kind === 'function') await batch.add(['FUNCTION', 'LOAD', ...(options.replace ? ['REPLACE'] : []), record.code], 'FUNCTION LOAD');
      if (record.kind !== 'key' || record.db !== options.db) continue;
      if (record.expireAtMs !== null && record.expireAtMs <= now) expired++;
      else await batch.add(restoreArgs(record, options.replace), `key "${record.key.toString('latin1')}"`);
      bar.update(++keys);
    }
    await batch.flush();
    bar.finish(`${formatAmount(keys - expired, 'keys')} restored`);
    return { keys: keys - expired, expired };
  } finally {
    session.close();
  }
}

export async function importRdbCommand(argv: string[]): Promise<number> {
  const options = parseImportArgs(argv);
  if (typeof options === 'string') {
    process.stderr.write(`raftis import-rdb: ${options}\n${IMPORT_USAGE}\n`);
    return 64;
  }
  let file: Buffer;
  let summary: FileSummary;
  try {
    file = readFileSync(options.file);
    summary = summarize(file, options.db);
  } catch (error) {
    process.stderr.write(`raftis import-rdb: ${options.file}: ${(error as Error).message}${error instanceof DecodeError ? '; nothing was imported' : ''}\n`);
    return 1;
  }
  if (summary.otherDbKeys > 0) process.stderr.write(`raftis import-rdb: ${summary.otherDbKeys} keys of other databases are left out (raftis has one; --db N picks which to import)\n`);
  try {
    const { keys, expired } = await runImport(options, file, summary);
    process.stdout.write(`${options.file}: ${keys} keys restored, ${expired} already expired left out, ${summary.functions} function libraries loaded, into ${options.server.server}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`raftis import-rdb: ${(error as Error).message}\n`);
    return 1;
  }
}

/** The state to export: a backup pulled from the server now, or a backup file's. */
async function exportState(backupFile: string | undefined, server: ServerOptions): Promise<KvStateMachine> {
  if (backupFile !== undefined) return loadBackupState(verifyBackup(backupFile));
  const session = await RespSession.open(parseHostPort(server.server, '--server'), server.tls, server.auth, CONNECT_TIMEOUT_MS);
  try {
    const loader = new StateLoader(server.server);
    const bar = new ProgressBar({ label: `reading the state of ${server.server}`, unit: 'bytes', total: null });
    const header = await pullSnapshot(session, () => undefined, (chunk) => {
      loader.write(chunk);
      bar.update(loader.bytes);
    });
    bar.finish(`${formatAmount(loader.bytes, 'bytes')} at index ${header.appliedIndex}`);
    return loader.finish(header.appliedIndex);
  } finally {
    session.close();
  }
}

/** Writes the RDB file through a temporary file (synced, renamed); returns what it holds. */
function writeRdb(out: string, kv: KvStateMachine): { keys: number; bytes: number } {
  const temporary = `${out}.tmp-${process.pid}`;
  const fd = openSync(temporary, 'w');
  let bytes = 0;
  const put = (chunk: Buffer): void => {
    for (let at = 0; at < chunk.length;) at += writeSync(fd, chunk, at, chunk.length - at);
    bytes += chunk.length;
  };
  try {
    const bar = new ProgressBar({ label: `writing ${out}`, unit: 'keys', total: kv.stats().keys });
    let keys = 0;
    for (const piece of rdbFilePieces(kv, Date.now())) {
      put(piece.bytes);
      if (piece.key) bar.update(++keys);
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temporary, out);
    bar.finish(`${formatAmount(keys, 'keys')}, ${formatAmount(bytes, 'bytes')}`);
    return { keys, bytes };
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // Closed before the rename already.
    }
    unlinkSync(temporary);
    throw error;
  }
}

export async function exportRdbCommand(argv: string[]): Promise<number> {
  const args = [...argv];
  const out = takeOption(args, '--out');
  const backupFile = takeOption(args, '--backup');
  const server = serverOptions(args);
  if (out === undefined || out === '' || args.length > 0 || typeof server === 'string') {
    process.stderr.write(`${typeof server === 'string' ? `raftis export-rdb: ${server}\n` : ''}${EXPORT_USAGE}\n`);
    return 64;
  }
  try {
    const kv = await exportState(backupFile, server);
    const { keys, bytes } = writeRdb(out, kv);
    process.stdout.write(`${out}: ${keys} keys, ${kv.functionLibraries().length} function libraries, ${bytes} bytes, RDB version 10, state at index ${kv.appliedIndex}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`raftis export-rdb: ${(error as Error).message}\n`);
    return 1;
  }
}
