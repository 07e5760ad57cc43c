// WATCH on a real cluster when the watched key is created and removed again before EXEC:
// the interleaving of the chaos finding of 2026-12-06 (docs/testing.md), where a
// compare-and-set built from WATCH, GET, MULTI, SET, EXEC on a follower ran over a DEL sent
// to the other follower, because an absent key had one version for all time.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { waitFor } from '../support/wait.js';

describe('WATCH of a key removed again before EXEC', () => {
  let cluster: TestCluster;
  let leader: string;
  let followers: string[];

  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster, leader, followers } = started));

  it('absent at WATCH, set on the leader, read by the watcher, deleted on the other follower: EXEC answers null', async () => {
    const [watcherNode = '', deleterNode = ''] = followers;
    const watcher = cluster.client(watcherNode);
    const writer = cluster.client(leader);
    const deleter = cluster.client(deleterNode);
    assert.equal(await watcher.watch('r0'), 'OK');
    await writer.set('r0', '6.460');
    assert.equal(await watcher.get('r0'), '6.460');
    assert.equal(await deleter.del('r0'), 1);
    assert.equal(await watcher.multi().set('r0', '2.459').exec(), null, 'the compare-and-set must not run');
    assert.equal(await writer.get('r0'), null);
  });

  it('absent at WATCH, set with a 50 ms expiry that ran out: EXEC answers null', async () => {
    const watcher = cluster.client(followers[0] ?? '');
    const writer = cluster.client(leader);
    assert.equal(await watcher.watch('r1'), 'OK');
    await writer.set('r1', 'brief', 'PX', 50);
    await waitFor('r1 to expire', async () => (await writer.exists('r1')) === 0, { intervalMs: 10 });
    assert.equal(await watcher.multi().set('r1', 'cas').exec(), null);
  });

  it('absent at WATCH and still absent, other keys removed meanwhile: EXEC runs', async () => {
    const watcher = cluster.client(followers[0] ?? '');
    const writer = cluster.client(leader);
    assert.equal(await watcher.watch('r2'), 'OK');
    await writer.set('other', 'v');
    await writer.del('other');
    assert.deepEqual(await watcher.multi().set('r2', 'cas').exec(), [[null, 'OK']]);
    assert.equal(await writer.get('r2'), 'cas');
  });
});
