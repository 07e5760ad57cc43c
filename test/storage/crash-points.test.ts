// Crash at every write point: a seeded run of appends (some truncating) and syncs on SimDisk
// is cut after each mutating call, and for the first writes after each byte; after the
// crash, recovery must return exactly the log as of some append at or after the last one
// whose sync completed, and no later than the last append issued.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimDisk, SimDiskCutError } from '../../src/storage/sim-disk.js';
import type { SimDiskCut } from '../../src/storage/sim-disk.js';
import type { StoredHardState } from '../../src/storage/types.js';
import { entry, openSim } from './helpers.js';

interface Step {
  from: number;
  count: number;
  term: number;
  hardState: StoredHardState | null;
  syncAfter: boolean;
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A workload and the log (as "index:term" strings) after each of its appends.
function workload(seed: number, steps: number): { steps: Step[]; states: string[][]; hardStates: StoredHardState[] } {
  const random = prng(seed);
  const out: Step[] = [];
  const states: string[][] = [[]];
  const hardStates: StoredHardState[] = [{ term: 0, vote: '', commit: 0 }];
  let log: string[] = [];
  let term = 1;
  for (let s = 0; s < steps; s++) {
    const back = log.length > 3 && random() < 0.2 ? 1 + Math.floor(random() * 3) : 0;
    if (back > 0) term++;
    const from = log.length + 1 - back;
    const count = 1 + Math.floor(random() * 6);
    const hardState = random() < 0.5 ? { term, vote: random() < 0.5 ? 'n1' : 'n2', commit: Math.max(0, from - 2) } : null;
    out.push({ from, count, term, hardState, syncAfter: random() < 0.7 || s === steps - 1 });
    log = log.slice(0, from - 1);
    for (let i = 0; i < count; i++) log.push(`${from + i}:${term}`);
    states.push(log);
    hardStates.push(hardState ?? hardStates.at(-1)!);
  }
  return { steps: out, states, hardStates };
}

async function runCut(seed: number, cut: SimDiskCut | null): Promise<{ disk: SimDisk; acked: number; issued: number; opsUsed: number }> {
  const disk = new SimDisk({ seed });
  const { steps } = workload(seed, 14);
  if (cut) disk.cutAfter(cut);
  let acked = 0;
  let issued = 0;
  try {
    const { storage } = await openSim(disk, { segmentBytes: 4096 });
    for (let s = 0; s < steps.length; s++) {
      const step = steps[s]!;
      const batch = [];
      for (let i = 0; i < step.count; i++) batch.push(entry(step.from + i, step.term, 150));
      storage.append(batch, step.hardState);
      issued = s + 1;
      if (step.syncAfter) {
        await storage.sync();
        acked = s + 1;
      }
    }
    await storage.close();
  } catch (error) {
    if (!(error instanceof SimDiskCutError) && !(error instanceof Error && error.cause instanceof SimDiskCutError)) throw error;
  }
  return { disk, acked, issued, opsUsed: disk.mutatingOps };
}

async function checkRecovery(seed: number, cut: SimDiskCut): Promise<void> {
  const { states, hardStates } = workload(seed, 14);
  const { disk, acked, issued } = await runCut(seed, cut);
  disk.crash();
  const { storage, recovered } = await openSim(disk, { segmentBytes: 4096 });
  const got = recovered.entries.map((e) => `${e.index}:${e.term}`);
  const matches: number[] = [];
  for (let k = acked; k <= issued; k++) if (JSON.stringify(states[k]) === JSON.stringify(got)) matches.push(k);
  assert.ok(matches.length > 0, `cut ${JSON.stringify(cut)} seed ${seed}: recovered ${JSON.stringify(got)} is not the log after any append in [${acked}, ${issued}]`);
  for (const e of recovered.entries) {
    const expected = entry(e.index, e.term, 150);
    assert.deepEqual([e.type, [...e.data]], [expected.type, [...expected.data]], `entry ${e.index} data damaged`);
  }
  const hardStateOk = hardStates.slice(acked, issued + 1).some((h) => JSON.stringify(h) === JSON.stringify(recovered.hardState));
  assert.ok(hardStateOk, `cut ${JSON.stringify(cut)}: hard state ${JSON.stringify(recovered.hardState)} not among those appended in [${acked}, ${issued}]`);
  // The recovered storage takes new writes and keeps them.
  storage.append([entry(recovered.lastIndex + 1, 99, 150)], null);
  await storage.sync();
  await storage.close();
  const { recovered: again } = await openSim(disk, { segmentBytes: 4096 });
  assert.equal(again.lastIndex, recovered.lastIndex + 1);
}

test('a cut after every mutating call recovers a prefix that includes every acknowledged append', async () => {
  for (const seed of [1, 2, 3]) {
    const { opsUsed } = await runCut(seed, null);
    assert.ok(opsUsed > 30, `workload too small: ${opsUsed} ops`);
    for (let n = 0; n <= opsUsed; n++) await checkRecovery(seed * 1000 + n, { opsAllowed: n });
  }
});

test('a cut after every byte of the first writes recovers a prefix that includes every acknowledged append', async () => {
  for (let bytes = 0; bytes < 3000; bytes += 1) await checkRecovery(7 + bytes, { bytesAllowed: bytes });
});

// Appends, a snapshot, compaction and more appends on small segments, cut after every
// mutating call: after the crash the snapshot (if any) plus the recovered entries must cover
// 1..lastIndex without a hole, and every acknowledged entry must be there.
async function snapshotRun(seed: number, opsAllowed: number | null): Promise<{ disk: SimDisk; acked: number; opsUsed: number }> {
  const disk = new SimDisk({ seed });
  if (opsAllowed !== null) disk.cutAfter({ opsAllowed });
  let acked = 0;
  try {
    const { storage } = await openSim(disk, { segmentBytes: 4096, snapshotsRetained: 1 });
    for (let i = 1; i <= 60; i += 6) {
      storage.append(Array.from({ length: 6 }, (_, k) => entry(i + k, 1, 150)), { term: 1, vote: 'n1', commit: i });
      await storage.sync();
      acked = i + 5;
    }
    for (const index of [30, 45]) {
      const writer = storage.saveSnapshot({ index, term: 1, membership: new Uint8Array([1]) });
      await writer.write(new Uint8Array(300).fill(index));
      await writer.commit();
      await storage.compact(index - 10);
    }
    for (let i = 61; i <= 80; i += 5) {
      storage.append(Array.from({ length: 5 }, (_, k) => entry(i + k, 1, 150)), null);
      await storage.sync();
      acked = i + 4;
    }
    await storage.close();
  } catch (error) {
    if (!(error instanceof SimDiskCutError) && !(error instanceof Error && error.cause instanceof SimDiskCutError)) throw error;
  }
  return { disk, acked, opsUsed: disk.mutatingOps };
}

test('a cut at every call around snapshot commit and compaction never loses an acknowledged entry', async () => {
  const { opsUsed } = await snapshotRun(1, null);
  for (let n = 0; n <= opsUsed; n++) {
    const { disk, acked } = await snapshotRun(100 + n, n);
    disk.crash();
    const { storage, recovered } = await openSim(disk, { segmentBytes: 4096 });
    const base = recovered.snapshot?.index ?? 0;
    assert.equal(recovered.firstIndex, base + 1, `cut ${n}`);
    assert.ok(recovered.lastIndex >= acked, `cut ${n}: acknowledged ${acked}, recovered up to ${recovered.lastIndex}`);
    recovered.entries.forEach((e, k) => {
      assert.equal(e.index, base + 1 + k);
      assert.deepEqual([...e.data], [...entry(e.index, 1, 150).data], `cut ${n}: entry ${e.index}`);
    });
    if (recovered.snapshot) {
      const reader = storage.openSnapshot()!;
      assert.deepEqual(reader.readChunk(1000), new Uint8Array(300).fill(recovered.snapshot.index));
      assert.equal(reader.readChunk(1000), null);
      reader.close();
    }
    await storage.close();
  }
});
