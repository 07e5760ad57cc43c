// Consumer-group throughput on a running cluster: a stream is filled with entries, then
// consumers spread over the nodes read them with XREADGROUP (COUNT n) and acknowledge each
// batch with XACK until the group has consumed them all. Reports entries consumed per second
// (each a delivery and an acknowledgement, both log entries) and XREADGROUP+XACK round trips.
//
//   node --import tsx bench/stream-groups.ts --ports 7001,7002,7003 [--entries 20000] [--consumers 4] [--count 10]

import { Redis } from 'ioredis';

function option(argv: readonly string[], flag: string, fallback: number): number {
  const at = argv.indexOf(flag);
  const value = at >= 0 ? Number(argv[at + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`invalid ${flag}`);
  return value;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--ports');
  const ports = (at >= 0 ? argv[at + 1] ?? '' : '').split(',').filter((p) => p !== '').map(Number);
  if (ports.length === 0) throw new Error('--ports: a comma-separated list of client ports');
  const entries = option(argv, '--entries', 20_000);
  const consumerCount = option(argv, '--consumers', 4);
  const count = option(argv, '--count', 10);
  const key = `bench:groups:${process.pid}`;
  const loader = new Redis({ port: ports[0] as number, maxRetriesPerRequest: 0 });
  await loader.xgroup('CREATE', key, 'g', '$', 'MKSTREAM');
  for (let sent = 0; sent < entries; sent += 500) {
    const pipeline = loader.pipeline();
    for (let i = sent; i < Math.min(entries, sent + 500); i++) pipeline.xadd(key, '*', 'n', String(i));
    await pipeline.exec();
  }
  const consumers = Array.from({ length: consumerCount }, (_, i) => new Redis({ port: ports[i % ports.length] as number, maxRetriesPerRequest: 0 }));
  let consumed = 0;
  let roundTrips = 0;
  const started = process.hrtime.bigint();
  await Promise.all(consumers.map(async (client, i) => {
    for (;;) {
      const reply = await client.call('XREADGROUP', 'GROUP', 'g', `c${i}`, 'COUNT', String(count), 'STREAMS', key, '>') as [string, [string, string[]][]][] | null;
      const ids = (reply?.[0]?.[1] ?? []).map(([id]) => id);
      if (ids.length === 0) return;
      await client.xack(key, 'g', ...ids);
      consumed += ids.length;
      roundTrips++;
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ nodes: ports.length, consumers: consumerCount, count, entries, consumed, entriesPerSecond: Math.round(consumed / seconds), readAckPairsPerSecond: Math.round(roundTrips / seconds) }));
  await loader.del(key);
  for (const client of [loader, ...consumers]) client.disconnect();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
