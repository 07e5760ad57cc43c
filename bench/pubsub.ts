// Pub/sub across a running cluster: publishers on every node publish as fast as their window
// allows; one subscriber per node receives every message. Reports messages published per
// second (acknowledged PUBLISH replies), messages delivered per second (all subscribers), and
// publish-to-delivery latency p50/p99, separately for subscribers on the publisher's node and
// on the other nodes. Every timestamp comes from this one process's monotonic clock.
//
//   node --import tsx bench/pubsub.ts --ports 7001,7002,7003 [--messages 30000] [--publishers 6] [--window 16] [--bytes 64]

import { Redis } from 'ioredis';

interface Options {
  readonly ports: readonly number[];
  readonly messages: number;
  readonly publishers: number;
  readonly window: number;
  readonly bytes: number;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (flag: string, fallback: string): string => {
    const at = argv.indexOf(flag);
    return at >= 0 && argv[at + 1] !== undefined ? (argv[at + 1] as string) : fallback;
  };
  const positive = (flag: string, fallback: number): number => {
    const n = Number(value(flag, String(fallback)));
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`invalid ${flag}: ${value(flag, '')}`);
    return n;
  };
  const ports = value('--ports', '').split(',').filter((p) => p !== '').map(Number);
  if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65_535)) throw new Error('--ports: a comma-separated list of client ports');
  return { ports, messages: positive('--messages', 30_000), publishers: positive('--publishers', 6), window: positive('--window', 16), bytes: positive('--bytes', 64) };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const channel = `bench:pubsub:${process.pid}`;
  const latencies = { local: [] as number[], remote: [] as number[] };
  let delivered = 0;
  const expected = options.messages * options.ports.length;
  let allDelivered: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    allDelivered = resolve;
  });
  const subscribers = await Promise.all(options.ports.map(async (port, node) => {
    const client = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    client.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
      const [from, sentAt] = message.toString('latin1', 0, 40).split(':');
      (Number(from) === node ? latencies.local : latencies.remote).push(Number(process.hrtime.bigint() - BigInt(sentAt ?? '0')) / 1e6);
      if (++delivered === expected) allDelivered();
    });
    await client.subscribe(channel);
    return client;
  }));
  const padding = 'x'.repeat(Math.max(0, options.bytes - 32));
  const publishers = await Promise.all(Array.from({ length: options.publishers }, async (_, i) => {
    const client = new Redis({ port: options.ports[i % options.ports.length] as number, lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    return { client, node: i % options.ports.length };
  }));
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(publishers.map(async ({ client, node }) => {
    const lane = async (): Promise<void> => {
      while (next < options.messages) {
        next++;
        await client.publish(channel, `${node}:${process.hrtime.bigint()}:${padding}`);
      }
    };
    await Promise.all(Array.from({ length: options.window }, lane));
  }));
  const publishedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const timeout = setTimeout(() => allDelivered(), 30_000);
  await done;
  clearTimeout(timeout);
  const deliveredMs = Number(process.hrtime.bigint() - started) / 1e6;
  for (const list of [latencies.local, latencies.remote]) list.sort((a, b) => a - b);
  const round = (n: number): string => n.toFixed(2);
  console.log(JSON.stringify({
    nodes: options.ports.length, publishers: options.publishers, window: options.window, bytes: options.bytes, messages: options.messages,
    publishedPerSecond: Math.round(options.messages / (publishedMs / 1000)),
    deliveredPerSecond: Math.round(delivered / (deliveredMs / 1000)),
    delivered, expected,
    latencyMs: {
      sameNode: { p50: round(percentile(latencies.local, 50)), p99: round(percentile(latencies.local, 99)) },
      otherNodes: { p50: round(percentile(latencies.remote, 50)), p99: round(percentile(latencies.remote, 99)) },
    },
  }));
  for (const client of [...subscribers, ...publishers.map((p) => p.client)]) client.disconnect();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
