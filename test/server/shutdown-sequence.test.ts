// The shutdown sequence's steps with stand-in parts: SHUTDOWN's flags as Redis 7.0 parses
// them, the snapshot of SAVE and what FORCE does when it fails, the leader's hand-over bounded
// by shutdown-timeout, ABORT before the stop begins, and who hears what.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseShutdown, ShutdownSequence, type ShutdownDeps, type ShutdownOptions } from '../../src/server/shutdown.js';
import { nodeId, type NodeId } from '../../src/node/consensus.js';

const POLL_MS = 5;

/** Stand-in parts: a leader that hands over after `handOverPolls` polls (never, when null). */
function parts(overrides: { leader?: boolean; handOverPolls?: number | null; snapshotFails?: boolean; timeoutMs?: number; voters?: boolean } = {}) {
  const seen = { stops: 0, snapshots: 0, transfers: 0, logs: [] as string[] };
  let leader = overrides.leader ?? true;
  let polls = 0;
  const deps: ShutdownDeps = {
    isLeader: () => leader,
    handOverLeadership: (): NodeId | null => {
      if (overrides.voters === false) return null;
      seen.transfers++;
      return nodeId('n2');
    },
    snapshot: async () => {
      seen.snapshots++;
      if (overrides.snapshotFails === true) throw new Error('disk full');
    },
    handOverTimeoutMs: () => overrides.timeoutMs ?? 10_000,
    pollMs: POLL_MS,
    stop: async () => {
      seen.stops++;
    },
    log: (_level, _fields, message) => seen.logs.push(message),
  };
  const poll = setInterval(() => {
    polls++;
    const after = overrides.handOverPolls === undefined ? 3 : overrides.handOverPolls;
    if (after !== null && polls >= after) leader = false;
  }, POLL_MS);
  return { deps, seen, done: () => clearInterval(poll) };
}

const plain: ShutdownOptions = { save: false, now: false, force: false, abortable: true };

describe('SHUTDOWN flags', () => {
  it('parses Redis 7.0\'s combinations and refuses the others', () => {
    const parse = (...flags: string[]) => parseShutdown([Buffer.from('SHUTDOWN'), ...flags.map((f) => Buffer.from(f))]);
    assert.deepEqual(parse(), { abort: false, save: false, now: false, force: false, abortable: true });
    assert.deepEqual(parse('save', 'NOW', 'Force'), { abort: false, save: true, now: true, force: true, abortable: true });
    assert.deepEqual(parse('nosave'), { abort: false, save: false, now: false, force: false, abortable: true });
    assert.deepEqual(parse('abort'), { abort: true });
    for (const bad of [['save', 'nosave'], ['abort', 'now'], ['abort', 'save'], ['later']]) assert.equal(parse(...bad), null, bad.join(' '));
  });
});

describe('shutdown sequence', () => {
  it('on the leader, hands over before it stops', async () => {
    const { deps, seen, done } = parts({ handOverPolls: 3 });
    try {
      const sequence = new ShutdownSequence(deps);
      assert.equal(await sequence.request(plain), 'stopped');
      assert.ok(seen.transfers >= 1);
      assert.equal(seen.stops, 1);
      assert.equal(seen.snapshots, 0, 'only SAVE snapshots');
      assert.ok(seen.logs.includes('leadership transfer on shutdown'));
    } finally {
      done();
    }
  });

  it('stops after shutdown-timeout when the hand-over does not happen, and at once with NOW', async () => {
    const { deps, seen, done } = parts({ handOverPolls: null, timeoutMs: 50 });
    try {
      const sequence = new ShutdownSequence(deps);
      const started = Date.now();
      assert.equal(await sequence.request(plain), 'stopped');
      assert.ok(Date.now() - started >= 50, 'waited out the timeout');
      assert.ok(seen.transfers >= 1, 'a transfer was started again while the core had none under way');
      const transfers = seen.transfers;
      assert.equal(await new ShutdownSequence(deps).request({ ...plain, now: true }), 'stopped');
      assert.equal(seen.transfers, transfers, 'NOW hands nothing over');
    } finally {
      done();
    }
  });

  it('with no other voter, or on a follower, stops without waiting', async () => {
    for (const options of [{ voters: false }, { leader: false }]) {
      const { deps, seen, done } = parts({ ...options, handOverPolls: null });
      try {
        assert.equal(await new ShutdownSequence(deps).request(plain), 'stopped');
        assert.equal(seen.stops, 1);
      } finally {
        done();
      }
    }
  });

  it('ABORT cancels it during the hand-over; the node runs on and a later SHUTDOWN starts again', async () => {
    const { deps, seen, done } = parts({ handOverPolls: null });
    try {
      const sequence = new ShutdownSequence(deps);
      assert.equal(sequence.abort(), false, 'nothing to abort');
      const killed = [] as string[];
      const first = sequence.request(plain, { kill: () => killed.push('first') });
      const second = sequence.request(plain, { kill: () => killed.push('second') });
      assert.equal(sequence.inProgress, true);
      assert.equal(sequence.abort(), true);
      assert.deepEqual([await first, await second], ['aborted', 'aborted'], 'both waiting clients hear of it');
      assert.equal(seen.stops, 0);
      assert.equal(killed.length, 0, 'nobody was cut off');
      assert.ok(seen.logs.includes('Shutdown manually aborted'));
      assert.equal(await sequence.request({ ...plain, now: true }, { kill: () => killed.push('third') }), 'stopped');
      assert.deepEqual(killed, ['third'], 'the caller is cut off, with no reply, when the stop begins');
    } finally {
      done();
    }
  });

  it('a stop the process asks for cannot be aborted', async () => {
    const { deps, seen, done } = parts({ handOverPolls: 5 });
    try {
      const sequence = new ShutdownSequence(deps);
      const stop = sequence.request({ ...plain, force: true, abortable: false });
      assert.equal(sequence.abort(), false);
      assert.equal(await stop, 'stopped');
      assert.equal(seen.stops, 1);
    } finally {
      done();
    }
  });

  it('SAVE snapshots first; a failed snapshot stops nothing unless FORCE', async () => {
    const { deps, seen, done } = parts({ snapshotFails: true, leader: false });
    try {
      const sequence = new ShutdownSequence(deps);
      assert.equal(await sequence.request({ ...plain, save: true }), 'failed');
      assert.equal(seen.stops, 0);
      assert.equal(await sequence.request({ ...plain, save: true, force: true }), 'stopped');
      assert.deepEqual([seen.snapshots, seen.stops], [2, 1]);
    } finally {
      done();
    }
  });
});
