// Storage benchmark: the disk's raw fdatasync rate, append throughput and sync latency of
// RaftStorage by entry size and batch size, and recovery time for a large log. Prints a
// markdown table. Run: node --import tsx bench/storage.ts [--recovery-mib 1024] [--seconds 1.5] [--dir /tmp]

import * as fs from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RaftStorage } from '../src/storage/raft-storage.js';
import { crc32c } from '../src/storage/crc32c.js';
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
const WINDOWS_PER_CASE = 3;
const baseDir = fs.mkdtempSync(join(values.dir, 'raftis-bench-storage-'));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Window { count: number; seconds: number; latencies: number[] }

// Raw rate: write 4 KiB + fdatasync in a loop on a preallocated file, for `ms`.
async function rawWindow(ms: number): Promise<Window> {
  const path = join(baseDir, 'raw');
  const fd = fs.openSync(path, 'w+');
  const block = new Uint8Array(4096).fill(7);
  const fileBytes = 16 * 1024 * 1024;
  for (let at = 0; at < fileBytes; at += 1 <<20) fs.writeSync(fd, new Uint8Array(1 << 20), 0, 1 << 20, at);
  fs.fsyncSync(fd);
  const latencies: number[] = [];
  const start = performance.now();
  while (performance.now() - start < ms) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => fs.write(fd, block, 0, block.length, (latencies.length * 4096) % fileBytes, (e) => (e ? reject(e) : resolve())));
    await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
    latencies.push(performance.now() - t0);
  }
  const seconds = (performance.now() - start) / 1000;
  fs.closeSync(fd);
  fs.unlinkSync(path);
  return { count: latencies.length, seconds, latencies };
}

function merge(windows: Window[]): Window {
  return {
    count: windows.reduce((n, w) => n + w.count, 0),
    seconds: windows.reduce((n, w) => n + w.seconds, 0),
    latencies: windows.flatMap((w) => w.latencies).sort((a, b) => a - b),
  };
}

function makeEntries(from: number, count: number, dataBytes: number, payload: Uint8Array): StoredEntry[] {
  const out: StoredEntry[] = [];
  for (let i = 0; i < count; i++) out.push({ index: from + i, term: 1, type: 0, data: payload.subarray(0, dataBytes) });
  return out;
}

interface AppendResult { appendsPerSecond: number; mbPerSecond: number; syncs: Window; raw: Window }

// The disk is shared with other work and its sync rate drifts by 10x within a minute, so each
// case alternates short windows of the raw loop and of the storage and compares the sums.
async function appendCase(entryBytes: number, batch: number): Promise<AppendResult> {
  const dir = join(baseDir, `append-${entryBytes}-${batch}`);
  const { storage } = await RaftStorage.open({ dir, clusterId: 'bench', nodeId: 'n1' });
  const payload = new Uint8Array(entryBytes).fill(0x5a);
  let next = 1;
  const raws: Window[] = [];
  const windows: Window[] = [];
  for (let rep = 0; rep < WINDOWS_PER_CASE; rep++) {
    raws.push(await rawWindow((secondsPerCase * 1000) / WINDOWS_PER_CASE));
    const latencies: number[] = [];
    const start = performance.now();
    while (performance.now() - start < (secondsPerCase * 1000) / WINDOWS_PER_CASE) {
      storage.append(makeEntries(next, batch, entryBytes, payload), { term: 1, vote: 'n1', commit: next - 1 });
      next += batch;
      const t0 = performance.now();
      await storage.sync();
      latencies.push(performance.now() - t0);
    }
    windows.push({ count: latencies.length, seconds: (performance.now() - start) / 1000, latencies });
  }
  await storage.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const syncs = merge(windows);
  const appended = syncs.count * batch;
  return { appendsPerSecond: appended / syncs.seconds, mbPerSecond: (appended * entryBytes) / syncs.seconds / 1e6, syncs, raw: merge(raws) };
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
  console.log(`# raftis storage benchmark\n`);
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, dir ${values.dir}, load average ${loadavg().map((n) => n.toFixed(1)).join(' ')}`);
  console.log(`command: node --import tsx bench/storage.ts --recovery-mib ${recoveryMib} --seconds ${secondsPerCase}\n`);
  console.log('Each row alternates ' + WINDOWS_PER_CASE + ' windows of a raw loop (write 4 KiB + fdatasync) with ' + WINDOWS_PER_CASE + ' windows of RaftStorage (append one batch, await sync), ' + secondsPerCase + ' s of each in total.\n');
  console.log('| entry bytes | batch | appends/s | MB/s | syncs/s | sync p50 ms | sync p99 ms | raw syncs/s | raw p50 ms | raw p99 ms | appends/s ÷ (raw syncs/s × batch) |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const entryBytes of [64, 256, 4096]) {
    for (const batch of [1, 16, 256]) {
      const r = await appendCase(entryBytes, batch);
      const rawRate = r.raw.count / r.raw.seconds;
      console.log(`| ${entryBytes} | ${batch} | ${fmt(r.appendsPerSecond)} | ${fmt(r.mbPerSecond, 2)} | ${fmt(r.syncs.count / r.syncs.seconds)} | ${fmt(percentile(r.syncs.latencies, 50), 2)} | ${fmt(percentile(r.syncs.latencies, 99), 2)} | ${fmt(rawRate)} | ${fmt(percentile(r.raw.latencies, 50), 2)} | ${fmt(percentile(r.raw.latencies, 99), 2)} | ${fmt(r.appendsPerSecond / (rawRate * batch), 2)} |`);
    }
  }
  const crcBytes = new Uint8Array(64 * 1024 * 1024).fill(0x77);
  const crcStart = performance.now();
  crc32c(crcBytes);
  console.log(`\ncrc32c (slice-by-8): ${fmt(crcBytes.length / ((performance.now() - crcStart) / 1000) / 1e6)} MB/s`);
  const rec = await recoveryCase(recoveryMib);
  console.log(`\n| recovery: log MiB | entries (4 KiB) | segments | write time s | open (recovery) time s | recovery MB/s |`);
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  console.log(`| ${rec.mib} | ${fmt(rec.entries)} | ${rec.segments} | ${fmt(rec.writeSeconds, 2)} | ${fmt(rec.openSeconds, 2)} | ${fmt((rec.mib * 1.048576) / rec.openSeconds, 0)} |`);
} finally {
  fs.rmSync(baseDir, { recursive: true, force: true });
}
