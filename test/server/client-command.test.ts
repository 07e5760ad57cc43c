// CLIENT and COMMAND as Redis 7 has them, on a real cluster: CLIENT LIST fields and filters,
// KILL, UNBLOCK of a client blocked on a follower, and COMMAND describing every command the
// server answers (data, connection, transaction, introspection and membership alike).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { RawConnection } from '../support/raw-resp.js';
import { waitFor } from '../support/wait.js';

/** CLIENT LIST's lines as field maps, by client id. */
function clients(list: unknown): Map<number, Map<string, string>> {
  const byId = new Map<number, Map<string, string>>();
  for (const line of String(list).split('\n').filter((l) => l !== '')) {
    const fields = new Map(line.split(' ').map((field) => [field.slice(0, field.indexOf('=')), field.slice(field.indexOf('=') + 1)] as const));
    byId.set(Number(fields.get('id')), fields);
  }
  return byId;
}

describe('CLIENT and COMMAND', () => {
  let cluster: TestCluster;
  let leader: string;
  let follower: string;

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
    leader = await cluster.waitForLeader();
    follower = cluster.nodes.map((n) => n.id).find((id) => id !== leader) ?? '';
  });

  after(async () => {
    await cluster?.stop();
  });

  it('CLIENT LIST has Redis 7 fields; a client in MULTI shows flags=x and its queue length; ID and TYPE filter', async () => {
    const port = cluster.node(follower).port;
    const a = await RawConnection.open(port);
    const b = await RawConnection.open(port);
    const aId = await a.call('CLIENT', 'ID') as number;
    const bId = await b.call('CLIENT', 'ID') as number;
    assert.equal(await b.call('MULTI'), 'OK');
    assert.equal(await b.call('SET', 'cl:k', 'v'), 'QUEUED');
    const listed = clients(await a.call('CLIENT', 'LIST'));
    assert.deepEqual([...(listed.get(aId)?.keys() ?? [])], ['id', 'addr', 'laddr', 'fd', 'name', 'age', 'idle', 'flags', 'db', 'sub', 'psub', 'ssub', 'multi',
      'qbuf', 'qbuf-free', 'argv-mem', 'multi-mem', 'rbs', 'rbp', 'obl', 'oll', 'omem', 'tot-mem', 'events', 'cmd', 'user', 'redir', 'resp']);
    assert.equal(listed.get(aId)?.get('flags'), 'N');
    assert.equal(listed.get(aId)?.get('multi'), '-1');
    assert.equal(listed.get(aId)?.get('cmd'), 'client|list');
    assert.equal(listed.get(bId)?.get('flags'), 'x');
    assert.equal(listed.get(bId)?.get('multi'), '1');
    assert.deepEqual([...clients(await a.call('CLIENT', 'LIST', 'ID', String(bId), '999999')).keys()], [bId]);
    assert.ok(clients(await a.call('CLIENT', 'LIST', 'TYPE', 'normal')).has(aId));
    assert.equal(await a.call('CLIENT', 'LIST', 'TYPE', 'pubsub'), '');
    assert.deepEqual(await a.call('CLIENT', 'LIST', 'TYPE', 'nosuch'), { error: "ERR Unknown client type 'nosuch'" });
    assert.deepEqual(await a.call('CLIENT', 'LIST', 'ID', 'x'), { error: 'ERR Invalid client ID' });
    assert.match(String(await a.call('CLIENT', 'INFO')), new RegExp(`^id=${aId} .* cmd=client\\|info user=default redir=-1 resp=2\\n$`));
    a.close();
    b.close();
  });

  it('CLIENT KILL ID closes that connection and counts it; SKIPME keeps the caller', async () => {
    const port = cluster.node(follower).port;
    const killer = await RawConnection.open(port);
    const victim = await RawConnection.open(port);
    const victimId = await victim.call('CLIENT', 'ID') as number;
    const killerId = await killer.call('CLIENT', 'ID') as number;
    assert.equal(await killer.call('CLIENT', 'KILL', 'ID', String(victimId)), 1);
    await waitFor('the killed connection to close', () => victim.closed);
    assert.equal(await killer.call('CLIENT', 'KILL', 'ID', String(victimId)), 0);
    assert.equal(await killer.call('CLIENT', 'KILL', 'ID', String(killerId)), 0, 'SKIPME defaults to yes');
    assert.deepEqual(await killer.call('CLIENT', 'KILL', '1.2.3.4:5'), { error: 'ERR No such client' });
    assert.deepEqual(await killer.call('CLIENT', 'KILL', 'NOSUCH', 'x'), { error: 'ERR syntax error' });
    killer.close();
  });

  it('CLIENT UNBLOCK answers a client blocked on a follower with a timeout or the UNBLOCKED error', async () => {
    const port = cluster.node(follower).port;
    const control = await RawConnection.open(port);
    for (const [how, expected] of [['TIMEOUT', null], ['ERROR', { error: 'UNBLOCKED client unblocked via CLIENT UNBLOCK' }]] as const) {
      const blocked = await RawConnection.open(port);
      const id = await blocked.call('CLIENT', 'ID') as number;
      const reply = blocked.call('BLPOP', `cl:empty:${how}`, '0');
      await waitFor('the client to block', async () => clients(await control.call('CLIENT', 'LIST', 'ID', String(id))).get(id)?.get('flags') === 'b');
      assert.equal(await control.call('CLIENT', 'UNBLOCK', String(id), how), 1);
      assert.deepEqual(await reply, expected);
      assert.equal(await control.call('CLIENT', 'UNBLOCK', String(id)), 0, 'no longer blocked');
      assert.equal(await blocked.call('PING'), 'PONG', 'the connection goes on');
      blocked.close();
    }
    assert.deepEqual(await control.call('CLIENT', 'UNBLOCK', '1', 'NOSUCH'), { error: 'ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR' });
    control.close();
  });

  it('CLIENT PAUSE WRITE holds this node\'s writes (reads and refusals answer) until UNPAUSE; PAUSE ALL until its timeout', async () => {
    const port = cluster.node(follower).port;
    const control = await RawConnection.open(port);
    const writer = await RawConnection.open(port);
    const reader = await RawConnection.open(port);
    const blocked = async (): Promise<number> => Number(/blocked_clients:(\d+)/.exec(String(await control.call('INFO', 'clients')))?.[1]);
    assert.equal(await control.call('CLIENT', 'PAUSE', '60000', 'WRITE'), 'OK');
    const write = writer.call('SET', 'pause:k', 'v');
    await waitFor('the write to wait', async () => (await blocked()) === 1);
    assert.equal(await reader.call('GET', 'pause:k'), null, 'reads go on');
    assert.deepEqual(await reader.call('SET', 'pause:k'), { error: "ERR wrong number of arguments for 'set' command" }, 'a refusal answers at once');
    assert.equal(await control.call('CLIENT', 'UNPAUSE'), 'OK');
    assert.equal(await write, 'OK');
    assert.equal(await reader.call('GET', 'pause:k'), 'v');
    assert.equal(await blocked(), 0);

    const started = Date.now();
    assert.equal(await control.call('CLIENT', 'PAUSE', '300'), 'OK');
    assert.equal(await reader.call('PING'), 'PONG');
    assert.ok(Date.now() - started >= 300, 'PAUSE ALL held even a PING until the timeout');
    assert.deepEqual(await control.call('CLIENT', 'PAUSE', '-1'), { error: 'ERR timeout is negative' });
    assert.deepEqual(await control.call('CLIENT', 'PAUSE', '10', 'SOME'), { error: 'ERR syntax error' });
    for (const c of [control, writer, reader]) c.close();
  });

  it('CLIENT PAUSE WRITE lets scripts that declare no-writes through (EVAL, EVAL_RO, EVALSHA, FCALL, SCRIPT LOAD) and holds one that declares nothing', async () => {
    const port = cluster.node(follower).port;
    const control = await RawConnection.open(port);
    const client = await RawConnection.open(port);
    const writer = await RawConnection.open(port);
    assert.equal(await control.call('SET', 'pause:ro', 'y'), 'OK');
    const library = "#!lua name=pauselib\nredis.register_function{function_name='pause_ro', callback=function() return 'hello' end, flags={'no-writes'}}";
    assert.equal(await control.call('FUNCTION', 'LOAD', 'REPLACE', library), 'pauselib');
    assert.equal(await control.call('CLIENT', 'PAUSE', '60000', 'WRITE'), 'OK');
    try {
      const readOnly = '#!lua flags=no-writes\nreturn redis.call("GET", KEYS[1])';
      assert.equal(await client.call('EVAL', readOnly, '1', 'pause:ro'), 'y', 'EVAL of a script not yet cached');
      assert.equal(await client.call('EVAL_RO', 'return redis.call("GET", KEYS[1])', '1', 'pause:ro'), 'y');
      const sha = await client.call('SCRIPT', 'LOAD', '#!lua flags=no-writes\nreturn 2');
      assert.equal(typeof sha, 'string', 'SCRIPT LOAD is not held');
      assert.equal(await client.call('EVALSHA', sha as string, '0'), 2);
      assert.equal(await client.call('FCALL', 'pause_ro', '0'), 'hello');
      assert.match(String(await client.call('FUNCTION', 'LIST')), /pauselib/, 'FUNCTION LIST reads');
      const held = writer.call('EVAL', 'return 1', '0');
      await waitFor('the script that may write to wait', async () => /blocked_clients:1\b/.test(String(await control.call('INFO', 'clients'))));
      assert.equal(await control.call('CLIENT', 'UNPAUSE'), 'OK');
      assert.equal(await held, 1);
    } finally {
      await control.call('CLIENT', 'UNPAUSE');
      for (const c of [control, client, writer]) c.close();
    }
  });

  it('MONITOR shows the commands this node\'s clients run, quoted as Redis quotes them, passwords redacted, MULTI in EXEC\'s order', async () => {
    const port = cluster.node(follower).port;
    const monitor = await RawConnection.open(port);
    const client = await RawConnection.open(port);
    assert.equal(await monitor.call('MONITOR'), 'OK');
    await client.call('SET', 'mon:k', 'a "b"\n\x01');
    await client.call('MULTI');
    await client.call('INCR', 'mon:n');
    await client.call('EXEC');
    await client.call('AUTH', 'secret');
    await client.call('CONFIG', 'GET', 'maxmemory'); // admin commands are not shown
    await client.call('PING');
    const lines: string[] = [];
    for (let i = 0; i < 6; i++) lines.push(String((await monitor.read()).value));
    const address = String(await client.call('CLIENT', 'INFO')).match(/addr=(\S+)/)?.[1];
    assert.match(lines[0] ?? '', new RegExp(`^\\d+\\.\\d{6} \\[0 ${address?.replace(/\./g, '\\.')}\\] "SET" "mon:k" "a \\\\"b\\\\"\\\\n\\\\x01"$`));
    assert.deepEqual(lines.slice(1).map((line) => line.replace(/^\S+ \[0 \S+\] /, '')), ['"MULTI"', '"INCR" "mon:n"', '"EXEC"', '"AUTH" "(redacted)"', '"PING"']);
    // A script's calls show as `[0 lua]` after the EVAL, on the node serving it as on the others, which run it too.
    const other = await RawConnection.open(cluster.node(leader).port);
    assert.equal(await other.call('MONITOR'), 'OK');
    await client.call('EVAL', "redis.call('set', KEYS[1], ARGV[1])", '1', 'mon:lua', 'v');
    assert.match(String((await monitor.read()).value), /\] "CLIENT" "INFO"$/);
    assert.match(String((await monitor.read()).value), /\] "EVAL" /);
    assert.match(String((await monitor.read()).value), /^\S+ \[0 lua\] "set" "mon:lua" "v"$/);
    assert.match(String((await other.read()).value), /^\S+ \[0 lua\] "set" "mon:lua" "v"$/);
    other.close();
    monitor.close();
    client.close();
  });

  it('CLIENT INFO shows the running command in qbuf and no queued reply; CLIENT KILL of its own connection answers first, then closes', async () => {
    const client = await RawConnection.open(cluster.node(follower).port);
    // *2 $6 client $4 info: 26 bytes, still in the query buffer while the command runs, as in Redis.
    assert.match(String(await client.call('CLIENT', 'INFO')), / qbuf=26 .* oll=0 /);
    assert.deepEqual(await client.call('CLIENT', 'KILL', 'USER', 'nosuch'), { error: "ERR No such user 'nosuch'" });
    const id = String(await client.call('CLIENT', 'ID'));
    assert.equal(await client.call('CLIENT', 'KILL', 'ID', id, 'SKIPME', 'no'), 1);
    await client.waitClosed();
  });

  it('COMMAND describes every command the server answers, with COUNT, LIST, INFO and GETKEYS agreeing', async () => {
    const connection = await RawConnection.open(cluster.node(follower).port);
    const all = await connection.call('COMMAND') as unknown[][];
    const names = all.map((entry) => entry[0]);
    assert.equal(await connection.call('COMMAND', 'COUNT'), all.length);
    // COMMAND LIST names the commands, and after a container each subcommand ('client|list'), as Redis 7 does.
    const listed = await connection.call('COMMAND', 'LIST') as string[];
    assert.deepEqual(new Set(listed.filter((name) => !name.includes('|'))), new Set(names));
    for (const name of ['client|list', 'config|get', 'acl|getuser', 'cluster|info', 'script|exists']) assert.ok(listed.includes(name), `COMMAND LIST lists ${name}`);
    assert.deepEqual(await connection.call('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'config|re*'), ['config|resetstat', 'config|rewrite']);
    assert.deepEqual(await connection.call('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'nosuch'), []);
    assert.deepEqual(await connection.call('COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'nosuch'), []);
    assert.deepEqual(await connection.call('COMMAND', 'LIST', 'FILTERBY', 'NOSUCH', 'x'), { error: 'ERR syntax error' });
    assert.deepEqual(await connection.call('CLUSTER', 'INFO'), { error: 'ERR This instance has cluster support disabled' });
    for (const name of ['get', 'hset', 'ping', 'multi', 'exec', 'watch', 'client', 'info', 'config', 'command', 'raft.node', 'raft.info', 'quit']) {
      assert.ok(names.includes(name), `COMMAND lists ${name}`);
    }
    assert.ok(!names.includes('raftis.expire'), 'internal commands are not listed');
    const [watch] = await connection.call('COMMAND', 'INFO', 'watch') as unknown[][];
    assert.equal(watch?.length, 10, "Redis 7's ten fields");
    assert.deepEqual(watch?.slice(0, 2), ['watch', -2]);
    assert.deepEqual(watch?.slice(3, 6), [1, -1, 1]);
    assert.deepEqual(await connection.call('COMMAND', 'GETKEYS', 'MSET', 'a', '1', 'b', '2'), ['a', 'b']);
    assert.deepEqual(await connection.call('COMMAND', 'GETKEYSANDFLAGS', 'LMOVE', 'a', 'b', 'left', 'right'), [['a', ['RW', 'access', 'delete']], ['b', ['RW', 'insert']]]);
    assert.deepEqual(await connection.call('COMMAND', 'GETKEYS', 'PING', 'x'), { error: 'ERR The command has no key arguments' });
    assert.deepEqual(await connection.call('COMMAND', 'GETKEYS', 'GET', 'a', 'b'), { error: 'ERR Invalid number of arguments specified for command' });
    assert.deepEqual(await connection.call('COMMAND', 'GETKEYS', 'GET'), { error: "ERR wrong number of arguments for 'command|getkeys' command" });
    assert.deepEqual(await connection.call('PING', 'a', 'b'), { error: "ERR wrong number of arguments for 'ping' command" });
    connection.close();
  });
});
