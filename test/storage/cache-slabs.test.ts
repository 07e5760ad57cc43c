// The log's tail cache keeps copies of appended entries' data in shared slabs
// (src/storage/cache-slabs.ts): a copy never changes, whatever happens to the caller's buffer
// or to the copies made after it, and the cache keeps no reference to the caller's buffer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CACHE_SLAB_BYTES, CacheSlabs } from '../../src/storage/cache-slabs.js';
import { SimDisk } from '../../src/storage/sim-disk.js';
import { entries, openSim, plain } from './helpers.js';

const bytesOf = (length: number, seed: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 13 + seed) & 0xff);

test('copies hold the bytes they were made from, while later copies fill the same slab and the next', () => {
  const slabs = new CacheSlabs();
  const made: { copy: Uint8Array; expected: number[] }[] = [];
  let total = 0;
  for (let seed = 0; total < 3 * CACHE_SLAB_BYTES; seed++) {
    const length = [0, 1, 100, 4096, 60_000, 200_000][seed % 6] as number;
    const source = bytesOf(length, seed);
    const copy = slabs.copy(source);
    source.fill(0xee); // the caller reuses its buffer
    made.push({ copy, expected: [...bytesOf(length, seed)] });
    total += length;
  }
  for (const { copy, expected } of made) assert.deepEqual([...copy], expected);
});

test('small copies share a slab; a large one gets a buffer of its own, of its exact size', () => {
  const slabs = new CacheSlabs();
  const first = slabs.copy(bytesOf(10, 1));
  const second = slabs.copy(bytesOf(20, 2));
  assert.equal(first.buffer, second.buffer);
  assert.equal(first.buffer.byteLength, CACHE_SLAB_BYTES);
  const large = slabs.copy(bytesOf(CACHE_SLAB_BYTES / 2, 3));
  assert.notEqual(large.buffer, first.buffer);
  assert.equal(large.buffer.byteLength, CACHE_SLAB_BYTES / 2);
});

test('the storage serves appended entries from its copies, not from the buffers it was given', async () => {
  const { storage } = await openSim(new SimDisk({ seed: 11 }), { segmentBytes: 1 << 20 });
  const appended = entries(1, 20, 1, 300);
  const expected = plain(appended);
  storage.append(appended, null);
  for (const entry of appended) (entry.data as Uint8Array).fill(0);
  assert.deepEqual(plain(storage.entries(1, 21)), expected); // not yet durable: from the cache
  await storage.sync();
  assert.deepEqual(plain(storage.entries(1, 21)), expected);
  for (const served of storage.entries(1, 21)) assert.ok(!appended.some((entry) => entry.data.buffer === served.data.buffer));
  await storage.close();
});
