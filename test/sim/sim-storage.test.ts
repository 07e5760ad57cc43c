// The simulator's storage is the real RaftStorage over SimDisk: a WAL sync completes only at
// the virtual time the simulator schedules, what a crashed process issues never reaches the
// disk, an unsynced write is lost (or kept) by the crash's draw, recovery after a crash keeps
// every synced entry, and the monitor hears of entries only once they are durable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftStorage, SimDisk } from '../../src/storage/index.js';
import { IncarnationDisk, MonitoredLogStore } from '../../src/sim/sim-storage.js';
import { StorageLogStore } from '../../src/server/log-store.js';
import { logIndex, nodeId, term, type Entry } from '../../src/raft/types.js';

/** A hand-cranked sync scheduler: syncs complete when the test says so. */
function scheduler(): { scheduleSync: (done: () => void) => void; completeAll: () => void; waiting: () => number } {
  let queue: (() => void)[] = [];
  return {
    scheduleSync: (done) => queue.push(done),
    completeAll: () => {
      const now = queue;
      queue = [];
      for (const done of now) done();
    },
    waiting: () => queue.length,
  };
}

/** Completes scheduled syncs until `promise` settles (each completion may schedule the next step). */
async function crank<T>(syncs: ReturnType<typeof scheduler>, promise: Promise<T>): Promise<T> {
  let settled = false;
  const tracked = promise.finally(() => (settled = true));
  for (let round = 0; round < 100 && !settled; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    syncs.completeAll();
  }
  return tracked;
}

function entry(index: number, entryTerm: number): Entry {
  return { index: logIndex(index), term: term(entryTerm), type: 0, data: Buffer.from(`e${index}`) } as unknown as Entry;
}

async function open(disk: SimDisk, syncs: ReturnType<typeof scheduler>): Promise<{ io: IncarnationDisk; storage: RaftStorage; entries: number[] }> {
  const io = new IncarnationDisk(disk, syncs);
  const { storage, recovered } = await crank(syncs, RaftStorage.open({ dir: '/data', clusterId: 'sim', nodeId: 'n1', segmentBytes: 4096, disk: io }));
  return { io, storage, entries: recovered.entries.map((e) => e.index) };
}

test('entries are durable once the scheduled sync completes; a crash before it may lose them, never what was synced', async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const disk = new SimDisk({ seed });
    const syncs = scheduler();
    const first = await open(disk, syncs);
    const durable: number[] = [];
    const log = new MonitoredLogStore(new StorageLogStore(first.storage, () => new Map()), { onDurable: (e) => durable.push(e.index) }, {}, { snapshot: null, entries: [] });
    log.append([entry(1, 1), entry(2, 1)], { term: term(1), vote: nodeId('n1'), commit: logIndex(0) });
    const synced = log.sync();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(durable, [], 'durable before its sync completed');
    await crank(syncs, synced);
    assert.deepEqual(durable, [1, 2]);
    log.append([entry(3, 1)], null);
    void log.sync();
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(syncs.waiting() > 0, 'the second sync waits for the simulator');
    first.io.alive = false;
    disk.crash();
    syncs.completeAll(); // the dead process's sync completes nothing
    assert.deepEqual(durable, [1, 2]);
    const second = await open(disk, syncs);
    assert.deepEqual(second.entries.slice(0, 2), [1, 2], `seed ${seed}: a synced entry was lost`);
    assert.ok(second.entries.length <= 3);
  }
});

test('a crashed incarnation writes nothing more, and its syncs never complete', async () => {
  const disk = new SimDisk({ seed: 1 });
  const syncs = scheduler();
  const io = new IncarnationDisk(disk, syncs);
  disk.mkdir('/d');
  const file = io.openWrite('/d/f', 'new');
  io.alive = false;
  let settled = false;
  void io.pwrite(file, Buffer.from('late'), 0).finally(() => (settled = true));
  void io.fdatasync(file).finally(() => (settled = true));
  syncs.completeAll();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false);
  assert.equal(disk.readFile('/d/f').length, 0);
  assert.throws(() => io.readdir('/d'), /crashed/);
});
