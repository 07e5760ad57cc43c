// Storage benchmark: the disk's raw fdatasync rate, append throughput and sync latency of
// RaftStorage by entry size and batch size, and recovery time for a large log. Prints a
// markdown table. Run: node --import tsx bench/storage.ts [--recovery-mib 1024] [--seconds 1.5] [--dir /tmp]

import * as fs from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RaftStorage } from '../src/storage/raft-storage.js';
import type { StoredEntry } from '../src/storage/types.js';

const { values } = parseArgs({
  options: {
    'recovery-mib': { type: 'string', default: '1024' },
    seconds: { type: 'string', default: '1.5' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const recoveryMib = Number(values['recovery-mib']);
const secondsPerCase = Number(values.seconds);
if (!(recoveryMib > 0) || !(secondsPerCase > 0)) throw new Error('--recovery-mib and --seconds must be positive numbers');
const baseDir = fs.mkdtempSync(join(values.dir, 'raftis-bench-storage-'));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function rawSyncRate(): Promise<number> {
  const path = join(baseDir, 'raw');
  const fd = fs.openSync(path, 'w+');
  const block = new Uint8Array(4096).fill(7);
  const fileBytes = 64 * 1024 * 1024;
  for (let at = 0; at < fileBytes; at += 1 << 20) fs.writeSync(fd, new Uint8Array(1 << 20), 0, 1 << 20, at);
  fs.fsyncSync(fd);
  let syncs = 0;
  const start = performance.now();
  while (performance.now() - start < secondsPerCase * 1000) {
    await new Promise<void>((resolve, reject) => fs.write(fd, block, 0, block.length, (syncs * 4096) % fileBytes, (e) => (e ? reject(e) : resolve())));
    await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
    syncs++;
  }
  const rate = syncs / ((performance.now() - start) / 1000);
  fs.closeSync(fd);
  fs.unlinkSync(path);
  return rate;
}

function makeEntries(from: number, count: number, dataBytes: number, payload: Uint8Array): StoredEntry[] {
  const out: StoredEntry[] = [];
  for (let i = 0; i < count; i++) out.push({ index: from + i, term: 1, type: 0, data: payload.subarray(0, dataBytes) });
  return out;
}

interface AppendResult { entryBytes: number; batch: number; appendsPerSecond: number; mbPerSecond: number; syncsPerSecond: number; p50Ms: number; p99Ms: number }

async function appendCase(entryBytes: number, batch: number): Promise<AppendResult> {
  const dir = join(baseDir, `append-${entryBytes}-${batch}`);
  const { storage } = await RaftStorage.open({ dir, clusterId: 'bench', nodeId: 'n1' });
  const payload = new Uint8Array(entryBytes).fill(0x5a);
  const latencies: number[] = [];
  let next = 1;
  const start = performance.now();
  while (performance.now() - start < secondsPerCase * 1000) {
    storage.append(makeEntries(next, batch, entryBytes, payload), { term: 1, vote: 'n1', commit: next - 1 });
    next += batch;
    const t0 = performance.now();
    await storage.sync();
    latencies.push(performance.now() - t0);
  }
  const seconds = (performance.now() - start) / 1000;
  await storage.close();
  fs.rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const appended = next - 1;
  return {
    entryBytes,
    batch,
    appendsPerSecond: appended / seconds,
    mbPerSecond: (appended * entryBytes) / seconds / 1e6,
    syncsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

async function recoveryCase(totalMib: number): Promise<{ mib: number; entries: number; writeSeconds: number; openSeconds: number; segments: number }> {
  const dir = join(baseDir, 'recovery');
  const entryBytes = 4096;
  const batch = 256;
  const total = Math.ceil((totalMib * 1024 * 1024) / entryBytes);
  const payload = new Uint8Array(entryBytes).fill(0x33);
  const { storage } = await RaftStorage.open({ dir, clusterId: 'bench', nodeId: 'n1' });
  const writeStart = performance.now();
  for (let next = 1; next <= total; next += batch) {
    storage.append(makeEntries(next, Math.min(batch, total - next + 1), entryBytes, payload), { term: 1, vote: 'n1', commit: next - 1 });
    await storage.sync();
  }
  const writeSeconds = (performance.now() - writeStart) / 1000;
  await storage.close();
  const segments = fs.readdirSync(join(dir, 'wal')).length;
  const openStart = performance.now();
  const { storage: reopened, recovered } = await RaftStorage.open({ dir, clusterId: 'bench', nodeId: 'n1' });
  const openSeconds = (performance.now() - openStart) / 1000;
  if (recovered.lastIndex !== total) throw new Error(`recovered ${recovered.lastIndex} of ${total} entries`);
  await reopened.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { mib: totalMib, entries: total, writeSeconds, openSeconds, segments };
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

try {
  // The disk is shared with other work, so its sync rate drifts: measure it right before each
  // case and compare the case with that, as well as with the overall median.
  const syncRate = await rawSyncRate();
  console.log(`# raftis storage benchmark\n`);
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, dir ${values.dir}`);
  console.log(`command: node --import tsx bench/storage.ts --recovery-mib ${recoveryMib} --seconds ${secondsPerCase}\n`);
  console.log(`raw write 4 KiB + fdatasync: **${fmt(syncRate)} syncs/s**\n`);
  console.log('| entry bytes | batch | appends/s | MB/s | syncs/s | sync p50 ms | sync p99 ms | raw syncs/s just before | appends/s ÷ (raw syncs/s × batch) |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const entryBytes of [64, 256, 4096]) {
    for (const batch of [1, 16, 256]) {
      const rawBefore = await rawSyncRate();
      const r = await appendCase(entryBytes, batch);
      console.log(`| ${entryBytes} | ${batch} | ${fmt(r.appendsPerSecond)} | ${fmt(r.mbPerSecond, 2)} | ${fmt(r.syncsPerSecond)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(rawBefore)} | ${fmt(r.appendsPerSecond / (rawBefore * batch), 2)} |`);
    }
  }
  const rec = await recoveryCase(recoveryMib);
  console.log(`\n| recovery: log MiB | entries (4 KiB) | segments | write time s | open (recovery) time s | recovery MB/s |`);
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  console.log(`| ${rec.mib} | ${fmt(rec.entries)} | ${rec.segments} | ${fmt(rec.writeSeconds, 2)} | ${fmt(rec.openSeconds, 2)} | ${fmt((rec.mib * 1.048576) / rec.openSeconds, 0)} |`);
} finally {
  fs.rmSync(baseDir, { recursive: true, force: true });
}
