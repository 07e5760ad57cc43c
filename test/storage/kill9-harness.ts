// Runs rounds of: spawn the writer child on one real directory, SIGKILL it at a seeded moment
// after some acknowledgements, reopen the storage here and check every acknowledged entry is
// present and intact. Shared by kill9.test.ts (a few rounds) and kill9.slow.test.ts.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RaftStorage } from '../../src/storage/raft-storage.js';
import { killEntryData } from './fixtures/kill-entry-data.js';

const CHILD_START_DEADLINE_MS = 30_000;

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// One round: returns the highest acknowledged index.
async function round(dir: string, acksBeforeKill: number, delayMs: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'writer.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let acked = 0;
  let acks = 0;
  let buffered = '';
  let stderr = '';
  let killTimer: NodeJS.Timeout | undefined;
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = setTimeout(() => child.kill('SIGKILL'), CHILD_START_DEADLINE_MS);
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.startsWith('start')) continue;
      acked = Math.max(acked, Number(line));
      acks++;
      if (acks === acksBeforeKill) killTimer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    }
  });
  await exited;
  clearTimeout(deadline);
  clearTimeout(killTimer);
  assert.ok(acks >= acksBeforeKill, `writer died before ${acksBeforeKill} acks (got ${acks}): ${stderr}`);
  return acked;
}

export async function runKillRounds(rounds: number, seed: number): Promise<{ rounds: number; lastIndex: number }> {
  const random = prng(seed);
  const dir = mkdtempSync(join(tmpdir(), 'raftis-kill9-'));
  let lastIndex = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      const acksBeforeKill = 1 + Math.floor(random() * 40);
      const delayMs = Math.floor(random() * 6);
      const acked = await round(dir, acksBeforeKill, delayMs);
      const { storage, recovered } = await RaftStorage.open({ dir, clusterId: 'kill9', nodeId: 'n1', segmentBytes: 256 * 1024 });
      try {
        assert.ok(recovered.lastIndex >= acked, `round ${r} (seed ${seed}): acknowledged ${acked} but recovered only up to ${recovered.lastIndex}`);
        assert.equal(recovered.firstIndex, 1);
        let previousTerm = 0;
        for (const e of recovered.entries) {
          assert.ok(e.term >= previousTerm, `round ${r}: term goes back at ${e.index}`);
          previousTerm = e.term;
          assert.deepEqual(e.data, killEntryData(e.index, e.term), `round ${r} (seed ${seed}): entry ${e.index} damaged`);
        }
        lastIndex = recovered.lastIndex;
      } finally {
        await storage.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rounds, lastIndex };
}
