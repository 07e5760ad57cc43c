// A 1-node raftis cluster beside a real redis-server, with a raw connection to each: the
// fixture of the suites that send both the same commands and compare the replies byte for
// byte, and the comparison itself.

import { after, before } from 'node:test';
import { TestCluster, type ClusterOptions } from './cluster.js';
import { RawConnection } from './raw-resp.js';
import { RedisServer } from './redis-server.js';

export interface BesideRedis {
  readonly cluster: TestCluster;
  readonly redisServer: RedisServer;
  readonly raftis: RawConnection;
  readonly redis: RawConnection;
}

/**
 * Inside a describe block: starts both before its tests (raftis with `cluster`'s options,
 * redis-server with one database and `redisArgs`), hands `started` the pair and a connection
 * to each, and stops both after the tests.
 */
export function besideRedisPerSuite(options: { readonly cluster?: ClusterOptions; readonly redisArgs?: readonly string[] }, started: (fixture: BesideRedis) => void): void {
  let fixture: BesideRedis | undefined;
  before(async () => {
    const [cluster, redisServer] = await Promise.all([TestCluster.start({ nodes: 1, ...options.cluster }), RedisServer.start(['--databases', '1', ...(options.redisArgs ?? [])])]);
    await cluster.waitForLeader();
    fixture = { cluster, redisServer, raftis: await RawConnection.open(cluster.node('n1').port), redis: await RawConnection.open(redisServer.port) };
    started(fixture);
  });
  after(async () => {
    fixture?.raftis.close();
    fixture?.redis.close();
    await Promise.all([fixture?.cluster.stop(), fixture?.redisServer.stop()]);
  });
}

function encodeArgv(argv: readonly string[]): Buffer {
  return Buffer.from(`*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
}

/** The raw replies of raftis and redis-server to `argv`, as [raftis, redis]. */
export async function bothReplies(raftis: RawConnection, redis: RawConnection, argv: readonly string[]): Promise<[Buffer, Buffer]> {
  const [ours, theirs] = await Promise.all([raftis, redis].map(async (connection) => {
    connection.write(encodeArgv(argv));
    return (await connection.read()).raw;
  }));
  return [ours as Buffer, theirs as Buffer];
}

/** Each command of `sequences` whose replies differ byte for byte, described (the command as `label` shows it, then both replies). */
export async function replyDifferences(raftis: RawConnection, redis: RawConnection, sequences: readonly (readonly string[])[], label: (argv: readonly string[]) => readonly string[] = (argv) => argv): Promise<string[]> {
  const differences: string[] = [];
  for (const argv of sequences) {
    const [ours, theirs] = await bothReplies(raftis, redis, argv);
    if (!ours.equals(theirs)) differences.push(`${JSON.stringify(label(argv))}: raftis ${JSON.stringify(ours.toString('latin1'))} vs redis ${JSON.stringify(theirs.toString('latin1'))}`);
  }
  return differences;
}
