// Test helpers: transports on 127.0.0.1 with ephemeral ports, and waiting on a condition
// with a deadline (never sleep-and-hope).
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { nodeId } from '../../src/raft/types.js';
import type { Message, NodeId } from '../../src/raft/types.js';
import { PeerTransport } from '../../src/transport/peer-transport.js';
import type { TransportOptions } from '../../src/transport/peer-transport.js';

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface LogLine {
  level: string;
  msg: string;
}

export interface TestNode {
  id: NodeId;
  transport: PeerTransport;
  received: Message[];
  logs: LogLine[];
}

type Overrides = Partial<Omit<TransportOptions, 'nodeId' | 'listen' | 'peers'>>;

export async function startNode(id: string, overrides: Overrides = {}, port = 0): Promise<TestNode> {
  const logs: LogLine[] = [];
  const transport = new PeerTransport({
    nodeId: nodeId(id),
    clusterId: 'test-cluster',
    listen: { host: '127.0.0.1', port },
    peers: new Map(),
    reconnectBackoffMinMs: 10,
    reconnectBackoffMaxMs: 50,
    random: () => 0.5,
    dialTimeoutMs: 1000,
    log: (level, msg) => logs.push({ level, msg }),
    ...overrides,
  });
  const node: TestNode = { id: nodeId(id), transport, received: [], logs };
  transport.onMessage = (msg) => node.received.push(msg);
  await transport.start();
  return node;
}

/** Starts nodes and tells each the address of every other. */
export async function startCluster(ids: readonly string[], overrides: Overrides = {}): Promise<TestNode[]> {
  const nodes = await Promise.all(ids.map((id) => startNode(id, overrides)));
  for (const a of nodes) for (const b of nodes) if (a !== b) a.transport.setPeer(b.id, b.transport.address());
  return nodes;
}

export async function stopAll(nodes: readonly TestNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.transport.stop()));
}

/** A port nothing listens on (bound, then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
