// COMMAND GETKEYS, GETKEYSANDFLAGS and COMMAND INFO's key specs compared with a real
// redis-server, byte for byte in RESP2 and RESP3: for every command both servers have (and
// every container subcommand raftis has), calls of several lengths built from a vocabulary
// of keys, counts and the keywords key specs search for (STORE, STREAMS, GET, ...), so the
// keyword searches, numkeys counts, ranges with limits and the commands' own key finders
// (SET's GET, BITFIELD's subcommands, SORT's STORE) all meet odd and ordinary arguments.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { encode, RawConnection, type Resp } from '../support/raw-resp.js';
import { missingTool, RedisServer } from '../support/redis-server.js';
import { subcommandCategories } from '../../src/kv/acl/command-categories.js';
import { seededRandom } from '../../src/transport/fault-injector.js';

const skip = missingTool('redis-server');

const SEED = Number(process.env.SEED ?? 16_016);
const CALLS_PER_LENGTH = 3;
const EXTRA_ARGUMENTS_MAX = 5;

const VOCABULARY = [
  'k1', 'k2', 'k3', 'k4', '0', '1', '2', '3', '-1', '02', 'x', 'STORE', 'storedist', 'STREAMS', 'get', 'SET', 'incrby',
  'OVERFLOW', 'LIMIT', 'BY', 'KEYS', 'u8', 'count', 'BLOCK', 'group', 'noack',
];

/** Sends every call pipelined and returns each raw reply. */
async function rawReplies(connection: RawConnection, calls: readonly (readonly string[])[]): Promise<string[]> {
  connection.write(Buffer.concat(calls.map((argv) => encode(argv))));
  const out: string[] = [];
  for (let i = 0; i < calls.length; i++) out.push((await connection.read(30_000)).raw.toString('latin1'));
  return out;
}

/** The calls to ask GETKEYS about: each command (or container subcommand) with 0..EXTRA more arguments than its arity asks for. */
function commandCalls(commands: readonly { readonly prefix: readonly string[]; readonly arity: number }[]): string[][] {
  const random = seededRandom(SEED);
  const calls: string[][] = [];
  for (const { prefix, arity } of commands) {
    const least = Math.max(Math.abs(arity) - prefix.length, 0);
    for (let extra = -1; extra <= (arity < 0 ? EXTRA_ARGUMENTS_MAX : 0); extra++) {
      for (let n = 0; n < CALLS_PER_LENGTH; n++) {
        const args = Array.from({ length: Math.max(least + extra, 0) }, () => VOCABULARY[Math.floor(random() * VOCABULARY.length)] ?? 'x');
        calls.push([...prefix, ...args]);
      }
    }
  }
  return calls;
}

describe('COMMAND GETKEYS / GETKEYSANDFLAGS and key specs compared with redis-server', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  let redisServer: RedisServer;
  const connections: RawConnection[] = [];

  before(async () => {
    [cluster, redisServer] = await Promise.all([TestCluster.start({ nodes: 1 }), RedisServer.start(['--databases', '1'])]);
    await cluster.waitForLeader();
  });

  after(async () => {
    for (const connection of connections) connection.close();
    await Promise.all([cluster?.stop(), redisServer?.stop()]);
  });

  async function pair(protocol: 2 | 3): Promise<[RawConnection, RawConnection]> {
    const ours = await RawConnection.open(cluster.node('n1').port);
    const theirs = await RawConnection.open(redisServer.port);
    connections.push(ours, theirs);
    if (protocol === 3) await Promise.all([ours.call('HELLO', '3'), theirs.call('HELLO', '3')]);
    return [ours, theirs];
  }

  /** Commands both servers have, with Redis's arity, and raftis's container subcommands that Redis has. */
  async function sharedCommands(ours: RawConnection, theirs: RawConnection): Promise<{ prefix: string[]; arity: number }[]> {
    const names = new Set((await ours.call('COMMAND', 'LIST')) as string[]);
    const listed = (await theirs.call('COMMAND')) as Resp[][];
    const out: { prefix: string[]; arity: number }[] = [];
    for (const entry of listed) {
      const name = entry[0] as string;
      if (!names.has(name)) continue;
      out.push({ prefix: [name], arity: entry[1] as number });
      const ourSubcommands = subcommandCategories(name);
      for (const sub of (entry[9] ?? []) as Resp[][]) {
        const subName = (sub[0] as string).split('|')[1] ?? '';
        if (ourSubcommands?.has(subName) === true) out.push({ prefix: [name, subName], arity: sub[1] as number });
      }
    }
    return out;
  }

  for (const protocol of [2, 3] as const) {
    it(`finds the same keys with the same flags as Redis, RESP${protocol} (SEED=${SEED})`, async () => {
      const [ours, theirs] = await pair(protocol);
      const commands = await sharedCommands(ours, theirs);
      assert.ok(commands.length > 200, `compared ${commands.length} commands`);
      const calls = commandCalls(commands).flatMap((argv) => [['COMMAND', 'GETKEYS', ...argv], ['COMMAND', 'GETKEYSANDFLAGS', ...argv]]);
      const [mine, redis] = await Promise.all([rawReplies(ours, calls), rawReplies(theirs, calls)]);
      let keyed = 0;
      for (let i = 0; i < calls.length; i++) {
        assert.equal(mine[i], redis[i], `${(calls[i] ?? []).join(' ')} (SEED=${SEED})`);
        if (redis[i]?.startsWith('*') === true && redis[i] !== '*0\r\n') keyed++;
      }
      assert.ok(keyed > calls.length / 4, `only ${keyed} of ${calls.length} calls found keys`);
    });
  }

  it('answers COMMAND HELP and the GETKEYS arity errors as Redis does', async () => {
    const [ours, theirs] = await pair(2);
    const calls = [['COMMAND', 'HELP'], ['COMMAND', 'GETKEYS', 'GET'], ['COMMAND', 'GETKEYSANDFLAGS'], ['COMMAND', 'GETKEYS', 'NOSUCH', 'a'], ['COMMAND', 'GETKEYS', 'OBJECT', 'NOSUCH', 'a']];
    assert.deepEqual(await rawReplies(ours, calls), await rawReplies(theirs, calls));
  });

  it("prints every command's key specs in COMMAND INFO as Redis does", async () => {
    const [ours, theirs] = await pair(3);
    const names = ((await ours.call('COMMAND', 'LIST')) as string[]).filter((name) => !name.includes('|')); // commands, not their subcommands
    const info = async (connection: RawConnection): Promise<Resp[]> => {
      connection.write(Buffer.concat(names.map((name) => encode(['COMMAND', 'INFO', name]))));
      const out: Resp[] = [];
      for (const _ of names) out.push(((await connection.read(30_000)).value as Resp[][])[0] ?? null);
      return out;
    };
    const [mine, redis] = await Promise.all([info(ours), info(theirs)]);
    let compared = 0;
    for (let i = 0; i < names.length; i++) {
      const theirsEntry = redis[i] as Resp[] | null;
      if (theirsEntry === null) continue; // raftis's own (RAFT.*)
      assert.deepEqual((mine[i] as Resp[])[8], theirsEntry[8], `key specs of ${names[i]}`);
      compared++;
    }
    assert.ok(compared > 200, `compared ${compared} commands`);
  });
});
