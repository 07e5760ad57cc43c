// The dashboard's history without a cluster: the bounded ring keeps the newest items in
// order, a sample turns counters into rates over the real interval and the commands of the
// interval into per-family rates and percentiles, and events are recorded once each (leader
// changes, applied membership changes, snapshots, peers) with slow commands coalesced.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedRing } from '../../src/server/bounded-ring.js';
import { DashboardHistory, SLOW_EVENT_EVERY_MS, type HistorySource } from '../../src/server/dashboard-history.js';
import { CommandCounters } from '../../src/server/command-stats.js';
import type { RegisteredCommand } from '../../src/server/command-registry.js';
import { commandTable } from '../../src/kv/commands.js';
import { ConfChangeType, StateRole, logIndex, nodeId, term, type RaftStatus } from '../../src/node/consensus.js';
import type { RaftNodeStats } from '../../src/node/raft-node.js';

describe('BoundedRing', () => {
  it('keeps the newest `capacity` items, oldest first, and returns the newest run asked for', () => {
    const ring = new BoundedRing<number>(3);
    assert.equal(ring.last(), undefined);
    assert.deepEqual(ring.newest(() => true), []);
    for (let i = 1; i <= 7; i++) ring.push(i);
    assert.equal(ring.length, 3);
    assert.equal(ring.last(), 7);
    assert.deepEqual(ring.newest(() => true), [5, 6, 7]);
    assert.deepEqual(ring.newest((n) => n > 5), [6, 7]);
    assert.deepEqual(ring.newest((n) => n > 7), []);
  });

  it('refuses a capacity that is not a positive integer', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) assert.throws(() => new BoundedRing(capacity), /invalid ring capacity/);
  });
});

/** A node whose clock, indexes and counters the test moves by hand. */
class FakeNode {
  now = 1_000_000;
  commit = 100;
  applied = 100;
  stats: RaftNodeStats = { readies: 0, syncs: 0, syncMsTotal: 0, syncMsMax: 0, entriesPersisted: 0, entriesPerReadyMax: 0, entriesApplied: 0, messagesSent: 0, proposals: 0,
    scriptEntriesRecorded: 0, scriptEntriesReplayed: 0, scriptEntriesRunUnrecorded: 0, effectsEntriesProposed: 0, readIndexRetries: 0, entriesApplyPaused: 0, applySlices: 0, scriptDecisionsProposed: 0 };
  peers = new Map<string, boolean>([['n2', true], ['n3', true]]);

  source(): HistorySource {
    const status = (): RaftStatus => ({
      id: nodeId('n1'), term: term(3), vote: nodeId('n1'), commit: logIndex(this.commit), applied: logIndex(this.applied), lastIndex: logIndex(this.commit), persisted: logIndex(this.commit),
      firstIndex: logIndex(1), leader: nodeId('n1'), role: StateRole.Leader, confState: { voters: [nodeId('n1'), nodeId('n2'), nodeId('n3')], learners: [] },
      progress: [], leaseValid: true, pendingConfIndex: logIndex(0), transferee: nodeId(''),
    });
    return {
      nodeId: 'n1', now: () => this.now, status, stats: () => ({ ...this.stats }), appliedIndex: () => this.applied,
      keys: () => 42, memoryBytes: () => 4096, clients: () => 2, peers: () => this.peers,
    };
  }
}

function command(name: string): RegisteredCommand {
  const row = commandTable.find((r) => r.name === name);
  assert.ok(row !== undefined, name);
  return { kind: 'data', row, stats: new CommandCounters(), subcommandStats: null };
}

describe('DashboardHistory', () => {
  it('samples rates over the real interval, per command family, with latency percentiles and the WAL sync mean', () => {
    const node = new FakeNode();
    const history = new DashboardHistory(node.source(), { sampleMs: 1000, samplesMax: 10, eventsMax: 10 });
    const set = command('set');
    const hset = command('hset');
    for (let i = 0; i < 30; i++) history.commandAnswered(set, 1000, null);
    for (let i = 0; i < 10; i++) history.commandAnswered(hset, 100_000, null);
    node.now += 2000; // the timer fired late: rates are over the 2 s that passed
    node.commit += 400;
    node.applied += 300;
    node.stats = { ...node.stats, syncs: 4, syncMsTotal: 10 };
    const sample = history.sample();
    assert.deepEqual(sample.ops, { string: 15, hash: 5 });
    assert.equal(sample.commitPerSec, 200);
    assert.equal(sample.applyPerSec, 150);
    assert.equal(sample.walSyncMs, 2.5);
    assert.equal(sample.walSyncsPerSec, 2);
    assert.ok(sample.p50Ms !== null && sample.p50Ms >= 1 && sample.p50Ms < 1.3, `p50 ${sample.p50Ms}`);
    assert.ok(sample.p99Ms !== null && sample.p99Ms >= 100 && sample.p99Ms < 120, `p99 ${sample.p99Ms}`);
    assert.deepEqual([sample.term, sample.leader, sample.role, sample.keys, sample.memoryBytes, sample.clients], [3, 'n1', 'leader', 42, 4096, 2]);
    node.now += 1000;
    const quiet = history.sample();
    assert.deepEqual(quiet.ops, {}, 'commands are counted in one interval only');
    assert.equal(quiet.p50Ms, null);
    assert.equal(quiet.walSyncMs, null);
    assert.equal(quiet.commitPerSec, 0);
  });

  it('keeps at most samplesMax samples, the newest', () => {
    const node = new FakeNode();
    const history = new DashboardHistory(node.source(), { sampleMs: 1000, samplesMax: 10, eventsMax: 10 });
    for (let i = 0; i < 25; i++) {
      node.now += 1000;
      history.sample();
    }
    const kept = history.samples.newest(() => true);
    assert.equal(kept.length, 10);
    assert.equal(kept.at(-1)?.t, node.now);
    assert.equal(kept[0]?.t, node.now - 9000);
  });

  it('records each leader change, membership change, snapshot and peer change once, and coalesces slow commands', () => {
    const node = new FakeNode();
    const history = new DashboardHistory(node.source(), { sampleMs: 1000, samplesMax: 10, eventsMax: 100 });
    history.leaderChanged({ leader: nodeId(''), role: StateRole.PreCandidate }, 0);
    history.leaderChanged({ leader: nodeId('n1'), role: StateRole.Leader }, 1);
    history.leaderChanged({ leader: nodeId('n1'), role: StateRole.Leader }, 1);
    history.leaderChanged({ leader: nodeId('n2'), role: StateRole.Follower }, 2);
    history.membershipChanged({ type: ConfChangeType.AddLearner, nodeId: nodeId('n4'), context: new Uint8Array() }, 50);
    history.membershipChanged({ type: ConfChangeType.AddLearner, nodeId: nodeId('n4'), context: new Uint8Array() }, 50);
    history.snapshot({ kind: 'sent', index: 40, peer: nodeId('n4') });
    const set = command('set');
    history.commandAnswered(set, 20_000, 20_000);
    history.commandAnswered(set, 90_000, 90_000);
    history.sample(); // first sample: the peers' state is only noted
    node.peers = new Map([['n2', true], ['n3', false]]);
    history.commandAnswered(set, 30_000, 30_000);
    node.now += 1000;
    history.sample(); // within SLOW_EVENT_EVERY_MS of the last slow-command event: held back
    node.now += SLOW_EVENT_EVERY_MS;
    history.sample();
    assert.deepEqual(history.events.newest(() => true).map((e) => `${e.kind}: ${e.text}`), [
      'leader: no leader in term 0: n1 is pre-candidate',
      'leader: n1 (this node) is leader in term 1',
      'leader: n2 is leader in term 2',
      'membership: n4 added as a learner (entry 50)',
      'snapshot: snapshot at index 40 sent to n4',
      'slow: 2 slow commands, slowest SET 90.0 ms (SLOWLOG GET)',
      'peer: peer n3 disconnected',
      'slow: 1 slow command, slowest SET 30.0 ms (SLOWLOG GET)',
    ]);
    const ids = history.events.newest(() => true).map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'event ids increase');
  });
});
