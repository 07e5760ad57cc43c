// Fault injection: refused unless enabled; partitions drop both ways until healed; drops
// follow the seeded PRNG; delays still deliver in order.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType, logIndex, nodeId, term } from '../../src/raft/types.js';
import type { Message } from '../../src/raft/types.js';
import { TransportError } from '../../src/transport/errors.js';
import { FaultInjectionDisabledError } from '../../src/transport/fault-injector.js';
import { startCluster, stopAll, waitFor } from './helpers.js';
import type { TestNode } from './helpers.js';

const heartbeat = (from: string, to: string, readRound: number): Message => ({
  type: MessageType.Heartbeat, from: nodeId(from), to: nodeId(to), term: term(1), commit: logIndex(0), readRound,
});

const rounds = (node: TestNode, from: string) => node.received.filter((m) => m.from === from).map((m) => (m.type === MessageType.Heartbeat ? m.readRound : -1));

describe('fault injection', () => {
  it('refuses every fault operation unless enabled', async () => {
    const nodes = await startCluster(['n1']);
    try {
      const faults = nodes[0]?.transport.faults;
      assert.ok(faults);
      assert.throws(() => faults.drop(nodeId('n2'), 0.5), FaultInjectionDisabledError);
      assert.throws(() => faults.delay(nodeId('n2'), 10), FaultInjectionDisabledError);
      assert.throws(() => faults.partition([nodeId('n2')]), FaultInjectionDisabledError);
      assert.throws(() => faults.heal(), FaultInjectionDisabledError);
    } finally {
      await stopAll(nodes);
    }
  });

  it('partitions drop both directions until heal() restores them', async () => {
    const nodes = await startCluster(['n1', 'n2'], { faultInjection: true });
    const [a, b] = nodes;
    assert.ok(a && b);
    try {
      a.transport.send(heartbeat('n1', 'n2', 0));
      b.transport.send(heartbeat('n2', 'n1', 0));
      await waitFor(() => a.received.length === 1 && b.received.length === 1, 'both directions up');

      a.transport.faults.partition([nodeId('n2')]);
      for (let i = 1; i <= 10; i++) {
        a.transport.send(heartbeat('n1', 'n2', i)); // dropped on the way out of n1
        b.transport.send(heartbeat('n2', 'n1', i)); // dropped on the way into n1
      }
      await waitFor(() => a.transport.stats().get(nodeId('n2'))?.faultDroppedMessages === 20, 'twenty drops counted at n1');
      await assert.rejects(a.transport.request(nodeId('n2'), Buffer.from('x'), 30), (e: unknown) => e instanceof TransportError && e.code === 'RAFTIS_TRANSPORT_TIMEOUT');
      await assert.rejects(a.transport.sendSnapshot(nodeId('n2'), Buffer.from('m'), { read: async () => null }), (e: unknown) => e instanceof TransportError && e.code === 'RAFTIS_TRANSPORT_PARTITIONED');

      a.transport.faults.heal();
      a.transport.send(heartbeat('n1', 'n2', 99));
      b.transport.send(heartbeat('n2', 'n1', 99));
      await waitFor(() => a.received.length === 2 && b.received.length === 2, 'both directions restored');
      // Per-peer order holds, so anything that slipped through the partition would show up before 99.
      assert.deepStrictEqual(rounds(b, 'n1'), [0, 99]);
      assert.deepStrictEqual(rounds(a, 'n2'), [0, 99]);
    } finally {
      await stopAll(nodes);
    }
  });

  it('drops with the configured probability, repeatably from the seed', async () => {
    const delivered: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const nodes = await startCluster(['n1', 'n2'], { faultInjection: true, faultSeed: 42 });
      const [a, b] = nodes;
      assert.ok(a && b);
      try {
        a.transport.faults.drop(nodeId('n2'), 0.5);
        for (let i = 0; i < 200; i++) a.transport.send(heartbeat('n1', 'n2', i));
        const dropped = a.transport.stats().get(nodeId('n2'))?.faultDroppedMessages ?? 0;
        assert.ok(dropped > 50 && dropped < 150, `dropped ${dropped} of 200 at p=0.5`);
        a.transport.faults.drop(nodeId('n2'), 0);
        a.transport.send(heartbeat('n1', 'n2', 1000));
        await waitFor(() => b.received.length === 200 - dropped + 1, 'survivors delivered');
        delivered.push(rounds(b, 'n1'));
      } finally {
        await stopAll(nodes);
      }
    }
    assert.deepStrictEqual(delivered[0], delivered[1], 'same seed, same drops');
  });

  it('delays messages both ways and still delivers them in order', async () => {
    const nodes = await startCluster(['n1', 'n2', 'n3'], { faultInjection: true });
    const [a, b, c] = nodes;
    assert.ok(a && b && c);
    try {
      a.transport.faults.delay(nodeId('n2'), 500);
      for (let i = 0; i < 20; i++) {
        a.transport.send(heartbeat('n1', 'n2', i));
        b.transport.send(heartbeat('n2', 'n1', i));
      }
      a.transport.send(heartbeat('n1', 'n3', 0));
      // The undelayed peer hears first; the delayed link is still holding its messages.
      await waitFor(() => c.received.length === 1, 'undelayed delivery');
      assert.equal(b.received.length, 0);
      await waitFor(() => a.received.length === 20 && b.received.length === 20, 'delayed delivery');
      const expected = Array.from({ length: 20 }, (_, i) => i);
      assert.deepStrictEqual(rounds(b, 'n1'), expected);
      assert.deepStrictEqual(rounds(a, 'n2'), expected);
      // Delayed messages still pending at stop() must not keep the process alive.
      a.transport.send(heartbeat('n1', 'n2', 100));
    } finally {
      await stopAll(nodes);
    }
  });

  it('validates fault parameters', async () => {
    const nodes = await startCluster(['n1'], { faultInjection: true });
    try {
      const faults = nodes[0]?.transport.faults;
      assert.ok(faults);
      assert.throws(() => faults.drop(nodeId('n2'), 1.5), /invalid drop probability 1.5/);
      assert.throws(() => faults.delay(nodeId('n2'), -1), /invalid delay -1 ms/);
    } finally {
      await stopAll(nodes);
    }
  });
});
