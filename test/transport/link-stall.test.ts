// A connection that stops delivering without closing (a partition that drops packets) is
// redialled within linkStallMs once it has taken writes and answered nothing, not even a
// probe; a connection to a peer that answers is never redialled, however quiet the peer's
// Raft traffic; and a peer that stays unreachable is not hammered (one stall redial, then
// the usual dial failures and backoff).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntryType, MessageType, logIndex, term } from '../../src/raft/types.js';
import { LinkStallWatch } from '../../src/transport/link-stall.js';
import { BlackHoleProxy } from './blackhole-proxy.js';
import { startCluster, stopAll, waitFor, type TestNode } from './helpers.js';

const STALL_MS = 400;
/** Generous against a loaded machine: the bound under test is STALL_MS plus a dial, not this. */
const DEADLINE_MS = STALL_MS + 15_000;

let round = 0;
function heartbeat(from: TestNode, to: TestNode): void {
  from.transport.send({ type: MessageType.Heartbeat, from: from.id, to: to.id, term: term(1), commit: logIndex(0), readRound: round++ });
}

/** Two transports; a reaches b through a proxy, b reaches a directly. */
async function throughProxy(dialTimeoutMs = 1000, linkStallMs = STALL_MS): Promise<{ a: TestNode; b: TestNode; proxy: BlackHoleProxy; nodes: TestNode[] }> {
  const nodes = await startCluster(['n1', 'n2'], { linkStallMs, dialTimeoutMs });
  const [a, b] = nodes;
  assert.ok(a && b);
  const proxy = new BlackHoleProxy(b.transport.address());
  a.transport.setPeer(b.id, await proxy.start());
  return { a, b, proxy, nodes };
}

function statsOf(from: TestNode, to: TestNode): { stallRedials: number; reconnects: number } {
  const s = from.transport.stats().get(to.id);
  assert.ok(s);
  return s;
}

describe('LinkStallWatch', () => {
  it('probes at half the bound, calls a connection stalled at the bound, and forgets on hearing back', () => {
    const watch = new LinkStallWatch(1000);
    assert.deepEqual(watch.check(0, 0, 0), { kind: 'idle' });
    assert.equal(watch.wrote(100), true);
    assert.equal(watch.wrote(200), false);
    assert.deepEqual(watch.check(300, 50, 0), { kind: 'wait', atMs: 600 });
    assert.deepEqual(watch.check(600, 50, 0), { kind: 'probe', atMs: 1100 });
    assert.deepEqual(watch.check(900, 80, 0), { kind: 'wait', atMs: 1100 });
    assert.deepEqual(watch.check(1100, 80, 0), { kind: 'stalled', silentMs: 1000 });
    watch.heard();
    assert.deepEqual(watch.check(1200, 80, 0), { kind: 'idle' });
  });

  it('starts the clock again while Node hands held bytes to the kernel (a slow reader, not a dead link)', () => {
    const watch = new LinkStallWatch(1000);
    watch.wrote(0);
    assert.deepEqual(watch.check(500, 100, 5000), { kind: 'probe', atMs: 1000 });
    assert.deepEqual(watch.check(1000, 3000, 2100), { kind: 'wait', atMs: 1500 });
    assert.deepEqual(watch.check(1500, 3000, 2100), { kind: 'probe', atMs: 2000 });
    assert.deepEqual(watch.check(2000, 3000, 2100), { kind: 'stalled', silentMs: 1000 });
  });
});

describe('a peer connection that stops delivering without closing', () => {
  it('is redialled after linkStallMs of writes with nothing back, though the peer is heard on its own connection', async () => {
    const { a, b, proxy, nodes } = await throughProxy();
    try {
      await waitFor(() => { heartbeat(a, b); heartbeat(b, a); return b.received.length > 0 && a.received.length > 0; }, 'both links up');
      proxy.blackHole();
      const heardBefore = a.received.length;
      // a keeps sending, and keeps hearing b (b's own link is fine): the stall is a's link alone.
      // (Messages the proxy passed on just before the black hole may still reach b: only those
      // sent after the redial count as delivered through the fresh connection.)
      await waitFor(() => { heartbeat(a, b); heartbeat(b, a); return statsOf(a, b).stallRedials >= 1; }, 'the stalled link redialled', DEADLINE_MS);
      const afterRedial = b.received.length;
      await waitFor(() => { heartbeat(a, b); heartbeat(b, a); return b.received.length > afterRedial; }, 'a message from a after the redial', DEADLINE_MS);
      assert.ok(a.received.length > heardBefore, 'a heard b throughout');
      assert.equal(proxy.accepted >= 2, true, 'through a fresh connection');
      assert.ok(a.logs.some((l) => l.level === 'info' && /delivered nothing back .* redialling/.test(l.msg)), 'the redial is logged at info');
      assert.equal(statsOf(b, a).stallRedials, 0, "b's answering link is left alone");
    } finally {
      await stopAll(nodes);
      await proxy.stop();
    }
  });

  it('is redialled once, then dialled through the backoff while the peer stays unreachable', async () => {
    const { a, b, proxy, nodes } = await throughProxy(300);
    try {
      await waitFor(() => { heartbeat(a, b); return b.received.length > 0; }, 'link up');
      proxy.blackHole(true);
      await waitFor(() => { heartbeat(a, b); return statsOf(a, b).reconnects >= 3; }, 'three dials after the stall', DEADLINE_MS);
      // Each dial after the stall failed its handshake (dialTimeoutMs): none of them is a stall.
      assert.equal(statsOf(a, b).stallRedials, 1);
      proxy.heal();
      const before = b.received.length;
      await waitFor(() => { heartbeat(a, b); return b.received.length > before; }, 'messages after the heal', DEADLINE_MS);
      assert.equal(statsOf(a, b).stallRedials, 1);
    } finally {
      await stopAll(nodes);
      await proxy.stop();
    }
  });
});

describe('a peer connection that answers', () => {
  it('is never redialled, though the peer sends us nothing for many linkStallMs', async () => {
    const { a, b, proxy, nodes } = await throughProxy();
    try {
      const arrivals: number[] = [];
      b.transport.onMessage = (msg) => { b.received.push(msg); arrivals.push(Date.now()); };
      // b sends a nothing; only the transport's probes come back on a's connection.
      await waitFor(() => {
        heartbeat(a, b);
        return arrivals.length > 0 && (arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0) >= 5 * STALL_MS;
      }, `a's messages arriving for ${5 * STALL_MS} ms`, DEADLINE_MS);
      assert.deepEqual(statsOf(a, b), { ...statsOf(a, b), stallRedials: 0, reconnects: 0 });
      assert.equal(proxy.accepted, 1);
    } finally {
      await stopAll(nodes);
      await proxy.stop();
    }
  });

  it('is not redialled while a long backlog drains to a peer that answers slowly', async () => {
    // A longer bound than the other cases: a process starved of CPU for longer than the bound
    // (a loaded test machine) misses its peer's answer and redials, as it should; what is under
    // test is that a draining backlog alone does not.
    const stallMs = 1000;
    const { a, b, proxy, nodes } = await throughProxy(1000, stallMs);
    try {
      await waitFor(() => { heartbeat(a, b); return b.received.length > 0; }, 'link up');
      // 40 MiB forwarded at 8 MiB/s: Node holds most of it and hands it to the kernel for
      // 5 × stallMs, while the probe waits behind it.
      proxy.rateBytesPerSecond = 8 * 1024 * 1024;
      const entries = Array.from({ length: 16 }, (_, i) => ({ term: term(1), index: logIndex(i + 1), type: EntryType.Normal, data: new Uint8Array(64 * 1024) }));
      const sentAppends = 40;
      const started = Date.now();
      for (let i = 0; i < sentAppends; i++) {
        a.transport.send({ type: MessageType.Append, from: a.id, to: b.id, term: term(1), prevTerm: term(1), prevIndex: logIndex(0), entries, commit: logIndex(0) });
      }
      await waitFor(() => b.received.filter((m) => m.type === MessageType.Append).length === sentAppends, 'every append delivered', 60_000);
      assert.ok(Date.now() - started > stallMs, 'the backlog outlasted linkStallMs');
      assert.equal(statsOf(a, b).stallRedials, 0);
    } finally {
      await stopAll(nodes);
      await proxy.stop();
    }
  });
});
