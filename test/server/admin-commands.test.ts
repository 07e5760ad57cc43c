// INFO and the RAFT.* commands on a real 3-node cluster: INFO's sections exist and their
// numbers move with the workload; RAFT.INFO/LEADER agree across nodes; RAFT.TRANSFER-LEADER
// moves leadership while writes keep working; RAFT.DIGEST converges; RAFT.CONSISTENCY sets
// the read mode per connection.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { RawConnection, type Resp } from '../support/raw-resp.js';
import { waitFor } from '../support/wait.js';
import { field, number, parseInfo } from '../support/info.js';

/** RAFT.INFO lines as a map. */
function raftInfo(reply: unknown): Map<string, string> {
  assert.equal(typeof reply, 'string', `RAFT.INFO reply ${String(reply)}`);
  return new Map((reply as string).split('\r\n').filter((l) => l !== '').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
}

describe('INFO and RAFT.* on a 3-node cluster', () => {
  let cluster: TestCluster;
  let leader: string;
  let ids: string[];

  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster, leader, ids } = started));

  it('INFO has the server, clients, memory, stats, keyspace and raft sections with numbers that move', async () => {
    const redis = cluster.client(leader);
    const before = parseInfo(await redis.info());
    for (const section of ['server', 'clients', 'memory', 'stats', 'keyspace', 'raft']) assert.ok(before.has(section), `INFO has # ${section}`);
    assert.match(field(before, 'server', 'redis_version'), /^\d+\.\d+\.\d+$/);
    assert.equal(number(before, 'server', 'tcp_port'), cluster.node(leader).port);
    assert.equal(number(before, 'server', 'process_id'), cluster.node(leader).process?.pid);
    assert.ok(number(before, 'clients', 'connected_clients') >= 1);
    assert.ok(number(before, 'memory', 'used_memory') >= 0);
    assert.equal(field(before, 'raft', 'role'), 'leader');
    assert.equal(field(before, 'raft', 'leader'), leader);
    assert.equal(field(before, 'raft', 'node_id'), leader);
    assert.ok(number(before, 'raft', 'term') >= 1);
    const keysBefore = /keys=(\d+)/.exec(before.get('keyspace')?.get('db0') ?? 'keys=0')?.[1];

    const writes = 40;
    for (let i = 0; i < writes; i++) await redis.set(`info:${i}`, 'x'.repeat(100));
    await redis.set('info:ttl', 'x', 'EX', 1000);
    const extra = cluster.client(leader);
    await extra.ping();
    const after = parseInfo(await redis.info());
    assert.equal(field(after, 'keyspace', 'db0').replace(/avg_ttl=\d+/, ''), `keys=${Number(keysBefore) + writes + 1},expires=1,`);
    assert.ok(number(after, 'raft', 'applied_index') >= number(before, 'raft', 'applied_index') + writes + 1, 'every write is one applied entry');
    assert.ok(number(after, 'raft', 'commit_index') >= number(after, 'raft', 'applied_index'));
    assert.ok(number(after, 'stats', 'total_commands_processed') >= number(before, 'stats', 'total_commands_processed') + writes + 1);
    assert.ok(number(after, 'stats', 'total_connections_received') > number(before, 'stats', 'total_connections_received'));
    assert.ok(number(after, 'clients', 'connected_clients') >= 2);
    assert.ok(number(after, 'memory', 'used_memory') > number(before, 'memory', 'used_memory'), 'used_memory grows with the data');
    // The leader knows how far each follower has replicated.
    for (const peer of ids.filter((id) => id !== leader)) {
      assert.match(field(after, 'raft', `peer_${peer}`), /^match=\d+,next=\d+,state=\w+/);
    }
    await waitFor('followers to match the leader\'s log', async () => {
      const info = parseInfo(await redis.info('raft'));
      const applied = number(info, 'raft', 'applied_index');
      return ids.filter((id) => id !== leader).every((peer) => Number(/match=(\d+)/.exec(field(info, 'raft', `peer_${peer}`))?.[1]) >= applied);
    });

    // A follower's INFO shows the same data and the same leader.
    for (const id of ids.filter((n) => n !== leader)) {
      await waitFor(`${id} to apply the writes`, async () => {
        const info = parseInfo(await cluster.client(id).info());
        return field(info, 'raft', 'role') === 'follower' && field(info, 'raft', 'leader') === leader
          && field(info, 'keyspace', 'db0').startsWith(`keys=${Number(keysBefore) + writes + 1},`);
      });
    }

    // INFO <section> returns only that section.
    const only = parseInfo(await redis.info('keyspace'));
    assert.deepEqual([...only.keys()], ['keyspace']);
  });

  it('INFO sections as Redis 7 chooses them; commandstats, errorstats and replication count what happened', async () => {
    // The leader now: an earlier test's load may have moved it on a busy machine.
    const leader = await cluster.waitForLeader();
    const follower = ids.find((id) => id !== leader) ?? '';
    const redis = cluster.client(follower);
    const sectionsOf = async (...args: string[]): Promise<string[]> => [...parseInfo(await redis.info(...(args as []))).keys()];
    assert.deepEqual(await sectionsOf(), ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace', 'raft']);
    assert.deepEqual(await sectionsOf('CPU'), ['cpu']);
    assert.deepEqual(await sectionsOf('cpu', 'keyspace', 'cpu'), ['cpu', 'keyspace']);
    const all = await sectionsOf('all');
    assert.ok(all.includes('commandstats') && all.includes('latencystats'), `all: ${all.join(',')}`);
    assert.ok(!(await sectionsOf('default')).includes('commandstats'));

    await redis.set('info:stats', 'x');
    await assert.rejects(redis.incr('info:stats'), /not an integer/);
    await assert.rejects(redis.call('GET'), /wrong number of arguments/);
    const stats = parseInfo(await redis.info('commandstats', 'errorstats'));
    assert.match(field(stats, 'commandstats', 'cmdstat_incr'), /^calls=[1-9]\d*,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=[1-9]\d*$/);
    assert.match(field(stats, 'commandstats', 'cmdstat_get'), /rejected_calls=[1-9]\d*,/);
    assert.match(field(stats, 'errorstats', 'errorstat_ERR'), /^count=([2-9]|\d{2,})$/);
    assert.match(field(parseInfo(await redis.info('latencystats')), 'latencystats', 'latency_percentiles_usec_set'), /^p50=[\d.]+,p99=[\d.]+,p99\.9=[\d.]+$/);
    assert.match(field(parseInfo(await redis.info('cpu')), 'cpu', 'used_cpu_user'), /^\d+\.\d{6}$/);
    const scriptsBefore = number(parseInfo(await redis.info('memory')), 'memory', 'number_of_cached_scripts');
    await redis.script('LOAD', `return ${Date.now()}`);
    await waitFor('the cached script in INFO', async () => number(parseInfo(await redis.info('memory')), 'memory', 'number_of_cached_scripts') === scriptsBefore + 1);
    // Redis 7.0's scripting fields, in its order, with the VM's real size (script/lua-memory.ts).
    const memory = parseInfo(await redis.info('memory'));
    const scriptFields = [...(memory.get('memory') ?? new Map()).keys()].filter((name) => /lua|_vm_|script|function|librar/.test(name));
    assert.deepEqual(scriptFields, ['used_memory_lua', 'used_memory_vm_eval', 'used_memory_lua_human', 'used_memory_scripts_eval', 'number_of_cached_scripts',
      'number_of_functions', 'number_of_libraries', 'used_memory_vm_functions', 'used_memory_vm_total', 'used_memory_vm_total_human', 'used_memory_functions',
      'used_memory_scripts', 'used_memory_scripts_human']);
    assert.ok(number(memory, 'memory', 'used_memory_lua') > 16 * 1024, 'a VM with its libraries');
    assert.equal(number(memory, 'memory', 'used_memory_vm_total'), number(memory, 'memory', 'used_memory_vm_eval') + number(memory, 'memory', 'used_memory_vm_functions'));

    const onLeader = parseInfo(await cluster.client(leader).info('replication'));
    assert.equal(field(onLeader, 'replication', 'role'), 'master');
    assert.equal(number(onLeader, 'replication', 'connected_slaves'), ids.length - 1);
    const onFollower = parseInfo(await redis.info('replication'));
    assert.equal(field(onFollower, 'replication', 'role'), 'slave');
    // The master is the leader at the client address this node's membership holds for it
    // (guessed from its peer address for a cluster bootstrapped with other ports).
    assert.match(`${field(onFollower, 'replication', 'master_host')}:${field(onFollower, 'replication', 'master_port')}`, /^127\.0\.0\.1:\d+$/);
    assert.equal(field(onFollower, 'replication', 'master_link_status'), 'up');

    await redis.config('RESETSTAT');
    const reset = parseInfo(await redis.info('commandstats', 'errorstats'));
    assert.deepEqual([...(reset.get('errorstats') ?? new Map()).keys()], [], 'CONFIG RESETSTAT clears errorstats');
    assert.deepEqual([...(reset.get('commandstats') ?? new Map()).keys()], ['cmdstat_config|resetstat'], 'and commandstats, but for itself (counted by subcommand, as Redis 7 does)');
  });

  it('SAVE takes a snapshot and moves LASTSAVE; it is not allowed inside MULTI; BGSAVE starts one', async () => {
    const redis = cluster.client(leader);
    const before = await redis.lastsave();
    const changes = async (): Promise<number> => number(parseInfo(await redis.info('persistence')), 'persistence', 'rdb_changes_since_last_save');
    await redis.setbit('save:bits', 3, 1);
    assert.ok(await changes() > 0);
    assert.equal(await redis.save(), 'OK');
    assert.ok(await redis.lastsave() >= before);
    assert.equal(await changes(), 0, 'a snapshot saves every change');
    await redis.setbit('save:bits', 3, 1);
    assert.equal(await changes(), 0, 'a SETBIT that changes nothing is no change');
    await redis.setbit('save:bits', 4, 1);
    assert.equal(await changes(), 1);
    assert.equal(await redis.bgsave(), 'Background saving started');
    const connection = await RawConnection.open(cluster.node(leader).port);
    assert.equal(await connection.call('MULTI'), 'OK');
    assert.deepEqual(await connection.call('SAVE'), { error: 'ERR Command not allowed inside a transaction' });
    assert.deepEqual(await connection.call('EXEC'), { error: 'EXECABORT Transaction discarded because of previous errors.' });
    connection.close();
  });

  it('SLOWLOG keeps what took longer than its threshold, cut as Redis cuts it; LATENCY HISTOGRAM counts every call', async () => {
    const redis = cluster.client(leader);
    assert.equal(await redis.config('SET', 'slowlog-log-slower-than', '0', 'slowlog-max-len', '3'), 'OK');
    assert.equal(await redis.call('SLOWLOG', 'RESET'), 'OK');
    await redis.set('slow:k', 'v'.repeat(200));
    await redis.call('MSET', ...Array.from({ length: 40 }, (_, i) => `slow:${i}`));
    const entries = await redis.call('SLOWLOG', 'GET', '2') as unknown[][];
    assert.equal(entries.length, 2);
    const [newest, older] = entries as [unknown[], unknown[]];
    assert.ok((newest[0] as number) > (older[0] as number), 'newest first, ids rising');
    assert.equal((newest[3] as string[]).length, 32);
    assert.equal((newest[3] as string[])[31], '... (10 more arguments)', '41 arguments: 31 kept and a note for the other 10');
    assert.deepEqual((older[3] as string[]).slice(0, 2), ['set', 'slow:k']);
    assert.equal((older[3] as string[])[2], `${'v'.repeat(128)}... (72 more bytes)`);
    assert.ok(await redis.call('SLOWLOG', 'LEN') as number <= 3, 'slowlog-max-len bounds it');
    assert.equal(await redis.config('SET', 'slowlog-log-slower-than', '-1'), 'OK');
    await redis.call('SLOWLOG', 'RESET');
    await redis.set('slow:k', 'x');
    assert.equal(await redis.call('SLOWLOG', 'LEN'), 0, 'a negative threshold logs nothing');
    assert.equal(await redis.config('SET', 'slowlog-log-slower-than', '10000', 'slowlog-max-len', '128'), 'OK');

    const histogram = await redis.call('LATENCY', 'HISTOGRAM', 'set') as unknown[];
    assert.equal(histogram[0], 'set');
    const [, calls, , buckets] = histogram[1] as [string, number, string, number[]];
    assert.ok(calls >= 2);
    const counts = buckets.filter((_, i) => i % 2 === 1);
    for (let i = 1; i < counts.length; i++) assert.ok((counts[i] as number) >= (counts[i - 1] as number), 'cumulative');
    assert.equal(counts[counts.length - 1], calls, 'the last bound counts every call');
    assert.deepEqual(await redis.call('LATENCY', 'LATEST'), []);
    assert.match(String(await redis.call('LATENCY', 'DOCTOR')), /Latency monitoring is disabled/);
  });

  it('SLOWLOG and LATENCY time a write\'s execution, not its wait for the log: a write held up by a stalled quorum is not slow', async () => {
    const redis = cluster.client(leader);
    const followers = ids.filter((id) => id !== leader);
    assert.equal(await redis.config('SET', 'slowlog-log-slower-than', '0', 'latency-monitor-threshold', '100'), 'OK');
    try {
      assert.equal(await redis.call('SLOWLOG', 'RESET'), 'OK');
      await redis.call('LATENCY', 'RESET');
      // With both followers stopped the write cannot commit: it waits until they are resumed.
      const stallMs = 300; // below the election timeout (600 ms by default): the leader keeps its role
      for (const id of followers) cluster.pause(id);
      const started = Date.now();
      const resume = setTimeout(() => { for (const id of followers) cluster.resume(id); }, stallMs);
      try {
        assert.equal(await redis.set('slow:stalled', 'v'), 'OK');
      } finally {
        clearTimeout(resume);
        for (const id of followers) cluster.resume(id);
      }
      const waitedMs = Date.now() - started;
      assert.ok(waitedMs >= stallMs, `the write waited for its quorum (${waitedMs} ms)`);
      const entries = await redis.call('SLOWLOG', 'GET', '-1') as unknown[][];
      const set = entries.find((entry) => (entry[3] as string[])[0] === 'set');
      assert.ok(set !== undefined, `the SET is in the slow log: ${JSON.stringify(entries)}`);
      assert.ok((set[2] as number) < (stallMs * 1000) / 2, `its time is its apply, not the ${waitedMs} ms wait: ${String(set[2])} µs`);
      const events = await redis.call('LATENCY', 'LATEST') as unknown[][];
      assert.ok(!events.some((event) => event[0] === 'command'), `no command event over 100 ms: ${JSON.stringify(events)}`);

      // Through a follower the leader's time comes back with the reply.
      const follower = cluster.client(followers[0] as string);
      assert.equal(await follower.config('SET', 'slowlog-log-slower-than', '0'), 'OK');
      assert.equal(await follower.call('SLOWLOG', 'RESET'), 'OK');
      assert.equal(await follower.call('MULTI'), 'OK');
      await follower.call('SET', 'slow:tx', '1');
      await follower.call('INCR', 'slow:tx');
      assert.deepEqual(await follower.call('EXEC'), ['OK', 2]);
      const logged = (await follower.call('SLOWLOG', 'GET', '-1') as unknown[][]).map((entry) => (entry[3] as string[]).join(' ').toLowerCase());
      assert.deepEqual(logged.filter((line) => !line.startsWith('slowlog')), ['incr slow:tx', 'set slow:tx 1', 'multi'],
        'EXEC is not logged; the commands it ran are, newest first');
      await follower.config('SET', 'slowlog-log-slower-than', '10000');
    } finally {
      await redis.config('SET', 'slowlog-log-slower-than', '10000', 'latency-monitor-threshold', '0');
    }
  });

  it('LATENCY records an entry-apply event on every node an expensive entry stalls, not only where its client is', async () => {
    const follower = ids.find((id) => id !== leader) as string;
    const observer = cluster.client(follower);
    assert.equal(await observer.config('SET', 'latency-monitor-threshold', '1'), 'OK');
    try {
      await observer.call('LATENCY', 'RESET');
      // A script with no flags goes through the log; its loop is the same work on every replica.
      const reply = await cluster.client(leader).call('EVAL', 'local n = 0 for i = 1, 50000 do n = n + i end return n', '0');
      assert.equal(reply, 1250025000);
      await waitFor('the follower to note its own stall', async () => {
        const events = await observer.call('LATENCY', 'LATEST') as unknown[][];
        return events.some((event) => event[0] === 'entry-apply' && (event[2] as number) >= 1);
      });
      assert.match(String(await observer.call('LATENCY', 'DOCTOR')), /entry-apply: \d+ latency spikes/);
    } finally {
      await observer.config('SET', 'latency-monitor-threshold', '0');
    }
  });

  it('ROLE, WAIT and WAITAOF map Redis replication onto Raft', async () => {
    const follower = ids.find((id) => id !== leader) ?? '';
    const role = await cluster.call(leader, ['ROLE']) as unknown[];
    assert.equal(role[0], 'master');
    assert.equal((role[2] as unknown[]).length, ids.length - 1);
    const replica = await cluster.call(follower, ['ROLE']) as unknown[];
    assert.deepEqual([replica[0], replica[3]], ['slave', 'connected']);
    const redis = cluster.client(leader);
    await redis.set('wait:k', 'v');
    assert.equal(await redis.call('WAIT', String(ids.length - 1), '10000'), ids.length - 1);
    assert.match(String((await cluster.call(follower, ['WAIT', '1', '0']) as Error).message), /^ERR WAIT cannot be used with replica instances/);
    // WAITAOF (Redis 7.2): this node's own sync and the followers' both count.
    assert.deepEqual(await redis.call('WAITAOF', '1', String(ids.length - 1), '10000'), [1, ids.length - 1]);
    assert.deepEqual(await redis.call('WAITAOF', '0', '0', '0'), [1, ids.length - 1]);
    assert.match(String((await cluster.call(follower, ['WAITAOF', '1', '0', '0']) as Error).message), /^ERR WAITAOF cannot be used with replica instances/);
    const errors = await Promise.all([['2', '0', '0'], ['0', '-1', '0'], ['0', '0', '-1'], ['x', '0', '0'], ['0', '0', 'x']].map((args) => cluster.call(leader, ['WAITAOF', ...args])));
    assert.deepEqual(errors.map((e) => (e as Error).message), [
      'ERR value is out of range, value must between 0 and 1', 'ERR value is out of range, must be positive', 'ERR timeout is negative',
      'ERR value is not an integer or out of range', 'ERR timeout is not an integer or out of range',
    ]);
    // More replicas than there are: the timeout ends the wait with the count there is.
    assert.deepEqual(await redis.call('WAITAOF', '1', String(ids.length), '50'), [1, ids.length - 1]);
  });

  it('FAILOVER hands leadership over as a Raft transfer, to the voter named by its client address or to any', async () => {
    const follower = ids.find((id) => id !== leader) ?? '';
    // The client addresses the cluster lists for its members (INFO raft; ROLE lists the same).
    const addressOf = async (id: string): Promise<string[]> => field(parseInfo(await cluster.call(leader, ['INFO', 'raft'])), 'raft', `member_${id}`).replace(/^.*client=/, '').split(':');
    assert.equal((await cluster.call(follower, ['FAILOVER']) as Error).message, 'ERR FAILOVER is not valid when server is a replica.');
    assert.equal((await cluster.call(leader, ['FAILOVER', 'TO', ...await addressOf(leader)]) as Error).message, 'ERR FAILOVER target HOST and PORT is not a replica.');
    assert.equal((await cluster.call(leader, ['FAILOVER', 'TO', '127.0.0.1', '1']) as Error).message, 'ERR FAILOVER target HOST and PORT is not a replica.');
    assert.equal((await cluster.call(leader, ['FAILOVER', 'TO', ...await addressOf(follower), 'FORCE']) as Error).message,
      'ERR FAILOVER with force option requires both a timeout and target HOST and IP.');
    const infoLine = async (id: string, key: string): Promise<string> => field(parseInfo(await cluster.call(id, ['INFO', 'replication'])), 'replication', key);
    assert.equal(await infoLine(leader, 'master_failover_state'), 'no-failover');

    assert.equal(await cluster.call(leader, ['FAILOVER', 'TO', ...await addressOf(follower), 'TIMEOUT', '20000']), 'OK');
    await waitFor(`leadership to move to ${follower}`, async () => (await Promise.all(ids.map((id) => cluster.call(id, ['RAFT.LEADER'])))).every((l) => l === follower), { timeoutMs: 20_000 });
    await waitFor('the old leader to see the failover done', async () => await infoLine(leader, 'master_failover_state') === 'no-failover');
    assert.equal(await infoLine(leader, 'role'), 'slave');
    const previous = leader;
    leader = follower;

    assert.equal(await cluster.call(leader, ['FAILOVER']), 'OK');
    await waitFor('leadership to move off the node asked', async () => {
      const leaders = await Promise.all(ids.map((id) => cluster.call(id, ['RAFT.LEADER'])));
      return leaders.every((l) => l === leaders[0]) && leaders[0] !== follower;
    }, { timeoutMs: 20_000 });
    leader = await cluster.waitForLeader();
    assert.ok(ids.includes(leader) && leader !== follower, `${leader} leads after ${previous} → ${follower} → any`);
    await cluster.client(leader).set('failover:after', 'x');
  });

  it('FAILOVER to a voter that cannot catch up: ABORT ends it and a write made meanwhile completes; TIMEOUT abandons it', async () => {
    const stuck = ids.find((id) => id !== leader) ?? '';
    const redis = cluster.client(leader);
    const infoLine = async (key: string): Promise<string> => field(parseInfo(await redis.info('replication')), 'replication', key);
    const stuckAddress = field(parseInfo(await redis.info('raft')), 'raft', `member_${stuck}`).replace(/^.*client=/, '').split(':');
    cluster.pause(stuck);
    try {
      // A write it misses: it cannot catch up, so the leader never sends it TimeoutNow.
      await redis.set('failover:missed', '1');
      assert.equal(await cluster.call(leader, ['FAILOVER', 'TO', ...stuckAddress]), 'OK');
      assert.notEqual(await infoLine('master_failover_state'), 'no-failover');
      assert.equal((await cluster.call(leader, ['FAILOVER']) as Error).message, 'ERR FAILOVER already in progress.');
      // The core refuses proposals while it transfers: a write waits (Redis pauses writes too).
      const write = redis.set('failover:held', '1');
      assert.equal(await cluster.call(leader, ['FAILOVER', 'ABORT']), 'OK');
      assert.equal(await infoLine('master_failover_state'), 'no-failover');
      assert.equal(await write, 'OK');
      assert.equal(await redis.get('failover:held'), '1');
      assert.equal((await cluster.call(leader, ['FAILOVER', 'ABORT']) as Error).message, 'ERR No failover in progress.');

      assert.equal(await cluster.call(leader, ['FAILOVER', 'TO', ...stuckAddress, 'TIMEOUT', '300']), 'OK');
      await waitFor('the failover to be abandoned at its timeout', async () => await infoLine('master_failover_state') === 'no-failover', { timeoutMs: 10_000 });
      assert.equal(await cluster.call(leader, ['RAFT.LEADER']), leader);
      await redis.set('failover:after-timeout', '1');
    } finally {
      cluster.resume(stuck);
    }
    await waitFor('every node to follow the same leader again', async () => {
      const leaders = await Promise.all(ids.map((id) => cluster.call(id, ['RAFT.LEADER'])));
      return leaders.every((l) => l === leaders[0] && typeof l === 'string');
    }, { timeoutMs: 20_000 });
    leader = await cluster.waitForLeader();
  });

  it('RANDOMKEY draws different keys on repeated reads', async () => {
    const redis = cluster.client(leader);
    for (let i = 0; i < 20; i++) await redis.set(`rk:${i}`, 'x');
    const seen = new Set<string | null>();
    for (let i = 0; i < 40; i++) seen.add(await redis.randomkey());
    assert.ok(seen.size > 5, `40 draws gave ${seen.size} distinct keys`);
  });

  it('RAFT.INFO and RAFT.LEADER agree on every node', async () => {
    const leaders = await Promise.all(ids.map((id) => cluster.call(id, ['RAFT.LEADER'])));
    assert.deepEqual(leaders, ids.map(() => leader));
    for (const id of ids) {
      const info = raftInfo(await cluster.call(id, ['RAFT.INFO']));
      assert.equal(info.get('node_id'), id);
      assert.equal(info.get('leader'), leader);
      assert.equal(info.get('role'), id === leader ? 'leader' : 'follower');
      assert.equal(info.get('voters')?.split(',').sort().join(','), ids.join(','));
      for (const key of ['term', 'commit_index', 'applied_index']) assert.match(info.get(key) ?? '', /^\d+$/, `RAFT.INFO ${key}`);
    }
    const error = await cluster.call(ids[0] ?? '', ['RAFT.LEADER', 'extra']);
    assert.ok(error instanceof Error && /wrong number of arguments/.test(error.message), String(error));
  });

  it('RAFT.TRANSFER-LEADER moves leadership to the named node and writes keep working', async () => {
    const writer = cluster.client(ids.find((id) => id !== leader) ?? '', { retry: true });
    let written = 0;
    let stop = false;
    const load = (async () => {
      while (!stop) {
        await writer.set(`transfer:${written}`, String(written));
        written++;
      }
    })();
    for (let round = 0; round < 2; round++) {
      const target = ids.find((id) => id !== leader) ?? '';
      const follower = ids.find((id) => id !== leader && id !== target) ?? '';
      const refused = await cluster.call(follower, ['RAFT.TRANSFER-LEADER', target]);
      assert.ok(refused instanceof Error && /not the leader/.test(refused.message), `a follower refuses: ${String(refused)}`);
      const notVoter = await cluster.call(leader, ['RAFT.TRANSFER-LEADER', 'nosuchnode']);
      assert.ok(notVoter instanceof Error && /not a voter/.test(notVoter.message), String(notVoter));
      assert.equal(await cluster.call(leader, ['RAFT.TRANSFER-LEADER', target]), 'OK');
      await waitFor(`leadership to move to ${target}`, async () => {
        const leaders = await Promise.all(ids.map((id) => cluster.call(id, ['RAFT.LEADER'])));
        return leaders.every((l) => l === target);
      }, { timeoutMs: 10_000 });
      leader = target;
      const before = written;
      await waitFor('writes to continue under the new leader', () => written >= before + 5, { timeoutMs: 10_000 });
    }
    stop = true;
    await load;
    const reader = cluster.client(leader);
    assert.equal(await reader.get(`transfer:${written - 1}`), String(written - 1));
  });

  it('RAFT.DIGEST is equal on every node after writes', async () => {
    const redis = cluster.client(ids[0] ?? '');
    for (let i = 0; i < 30; i++) await redis.set(`digest:${i}`, String(i));
    const first = await cluster.call(ids[0] ?? '', ['RAFT.DIGEST']);
    assert.ok(Array.isArray(first) && first.length === 2, `RAFT.DIGEST is [applied index, hash]: ${String(first)}`);
    await waitFor('equal digests at equal applied indexes', async () => {
      const digests = await Promise.all(ids.map((id) => cluster.call(id, ['RAFT.DIGEST'])));
      return digests.every((d) => JSON.stringify(d) === JSON.stringify(digests[0])) ? digests : null;
    });
    // The digest covers the data: a write changes it.
    const [, hashBefore] = first as [string, string];
    await redis.set('digest:0', 'changed');
    const after = await cluster.call(ids[0] ?? '', ['RAFT.DIGEST']) as [string, string];
    assert.notEqual(after[1], hashBefore);
    assert.ok(Number(after[0]) > Number((first as [string, string])[0]));
  });

  it('RAFT.CONSISTENCY sets the read mode for its connection only', async () => {
    const id = ids.find((n) => n !== leader) ?? '';
    const a = await RawConnection.open(cluster.node(id).port);
    const b = await RawConnection.open(cluster.node(id).port);
    assert.equal(await a.call('RAFT.CONSISTENCY'), 'linearizable', 'the default from --read-consistency');
    for (const mode of ['lease', 'stale', 'LINEARIZABLE']) {
      assert.equal(await a.call('RAFT.CONSISTENCY', mode), 'OK');
      assert.equal(await a.call('RAFT.CONSISTENCY'), mode.toLowerCase());
      assert.equal(await b.call('RAFT.CONSISTENCY'), 'linearizable', 'another connection keeps its own mode');
      await a.call('SET', `mode:${mode}`, 'v');
      if (mode !== 'stale') assert.equal(await a.call('GET', `mode:${mode}`), 'v');
    }
    const invalid: Resp = await a.call('RAFT.CONSISTENCY', 'eventual');
    assert.deepEqual(invalid, { error: "ERR unknown consistency 'eventual': use linearizable, lease, stale" });
    assert.deepEqual(await a.call('RAFT.CONSISTENCY', 'a', 'b'), { error: "ERR wrong number of arguments for 'raft.consistency' command" });
    assert.equal(await a.call('RAFT.CONSISTENCY'), 'linearizable', 'an invalid mode leaves the mode unchanged');
    assert.equal(await a.call('RAFT.CONSISTENCY', 'stale'), 'OK');
    assert.equal(await a.call('RESET'), 'RESET');
    assert.equal(await a.call('RAFT.CONSISTENCY'), 'linearizable', 'RESET restores the default');
    a.close();
    b.close();
    assert.deepEqual(cluster.crashes(), []);
  });
});
