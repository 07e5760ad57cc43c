// ACL users on a real 3-node cluster: what Redis's unit/auth, unit/acl and unit/acl-v2 check
// (they skip external servers, so they cannot run against raftis), plus what replication
// adds: a change made on one node holds on the others at once, after a restart and after a
// snapshot install; a `~app:*` user cannot reach `other:*` through a follower's forwarding, a
// transaction or a script; a deleted user's connections close on every node; --requirepass
// seeds a new cluster. Replies are Redis 7.0's texts (compared with redis-server in
// test/kv/acl.test.ts for the rules themselves).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { waitFor } from '../support/wait.js';
import { redisServerPath, startRedis } from '../kv/redis-server.js';

const NOPERM_KEYS = 'NOPERM this user has no permissions to access one of the keys used as arguments';
const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

/** The reply of a command, or its error's message. */
async function reply(client: Redis, ...args: (string | number)[]): Promise<unknown> {
  const [name, ...rest] = args;
  return client.call(String(name), ...rest).catch((error: Error) => error.message);
}

/** A client on `port` authenticated as `user` (HELLO 2 AUTH, as redis-cli --user does). */
async function login(cluster: TestCluster, id: string, user: string, password: string): Promise<Redis> {
  const client = cluster.client(id);
  assert.equal(await reply(client, 'AUTH', user, password), 'OK');
  return client;
}

describe('ACL users on a 3-node cluster', () => {
  let cluster: TestCluster;
  let leader: string;
  let followers: string[];

  // A short log, so a node kept down must catch up by a snapshot.
  clusterPerSuite({ args: ['--snapshot-entries', '200', '--log-retain-entries', '20'] }, (started) => ({ cluster, leader, followers } = started));

  it('connections start as the default user; AUTH with one argument is refused while it has no password', async () => {
    const client = cluster.client(followers[0] as string);
    assert.equal(await reply(client, 'ACL', 'WHOAMI'), 'default');
    assert.equal(await reply(client, 'AUTH', 'foo'), 'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
    assert.equal(await reply(client, 'AUTH', 'a', 'b', 'c'), 'ERR syntax error');
    assert.match(String(await reply(client, 'CLIENT', 'INFO')), / user=default /);
  });

  it('a user set on one node is enforced on every node at once', async () => {
    const [first, second] = followers as [string, string];
    const admin = cluster.client(first);
    assert.equal(await reply(admin, 'ACL', 'SETUSER', 'app', 'on', '>s3cret', '~app:*', '+@all', '-@dangerous'), 'OK');
    // Each node has it once it applied the entry: the one asked before its reply, the others within a heartbeat or so.
    await waitFor('the user on every node', async () => {
      const lists = await Promise.all(cluster.nodes.map((node) => cluster.call(node.id, ['ACL', 'LIST'])));
      return lists.every((list) => JSON.stringify(list) === JSON.stringify(lists[0]) && JSON.stringify(list).includes('user app on'));
    });
    for (const node of cluster.nodes) {
      const client = await login(cluster, node.id, 'app', 's3cret');
      assert.equal(await reply(client, 'SET', 'app:1', 'v'), 'OK', `SET on ${node.id}`);
      assert.equal(await reply(client, 'GET', 'app:1'), 'v');
      assert.equal(await reply(client, 'GET', 'other:1'), NOPERM_KEYS, `a read of other:* on ${node.id}`);
      assert.equal(await reply(client, 'SET', 'other:1', 'x'), NOPERM_KEYS, `a write of other:* on ${node.id} (forwarded from a follower)`);
      assert.equal(await reply(client, 'KEYS', '*'), "NOPERM this user has no permissions to run the 'keys' command");
      assert.equal(await reply(client, 'ACL', 'WHOAMI'), 'app');
      assert.match(String(await reply(client, 'CLIENT', 'INFO')), / user=app /);
    }
    assert.equal(await reply(cluster.client(second), 'AUTH', 'app', 'wrong'), WRONGPASS);
    assert.equal(await reply(cluster.client(second), 'GET', 'other:1'), null, 'the default user still reads everything');
  });

  it('a transaction with a forbidden command is aborted at queue time', async () => {
    const client = await login(cluster, followers[0] as string, 'app', 's3cret');
    assert.equal(await reply(client, 'MULTI'), 'OK');
    assert.equal(await reply(client, 'SET', 'app:tx', '1'), 'QUEUED');
    assert.equal(await reply(client, 'GET', 'other:1'), NOPERM_KEYS);
    assert.equal(await reply(client, 'EXEC'), 'EXECABORT Transaction discarded because of previous errors.');
    assert.equal(await reply(client, 'GET', 'app:tx'), null, 'nothing of the aborted transaction ran');
    // ACL LOG is this node's own: the refusal is there, in the transaction's context.
    const [entry] = (await reply(cluster.client(followers[0] as string), 'ACL', 'LOG', '1')) as unknown[][];
    assert.deepEqual(entry?.slice(0, 10), ['count', 1, 'reason', 'key', 'context', 'multi', 'object', 'other:1', 'username', 'app']);
  });

  it("a script cannot reach other keys through redis.call, on a follower as on the leader", async () => {
    for (const id of [followers[0] as string, leader]) {
      const client = await login(cluster, id, 'app', 's3cret');
      assert.equal(await reply(client, 'EVAL', "return redis.call('set', 'app:s', 'ok')", 0), 'OK');
      const denied = String(await reply(client, 'EVAL', "return redis.call('get', 'other:1')", 0));
      assert.match(denied, /^ERR The user executing the script can't access at least one of the keys mentioned in the command arguments/);
      const readDenied = String(await reply(client, 'EVAL_RO', "return redis.call('get', 'other:1')", 0));
      assert.match(readDenied, /can't access at least one of the keys/);
      // SORT's BY and GET patterns read keys no ACL pattern vets: refused without read access to
      // every key. (SORT is @dangerous: allowed here; the node asked applies it before replying,
      // a follower too: Dispatcher.onceAppliedHere.)
      assert.equal(await reply(cluster.client(id), 'ACL', 'SETUSER', 'app', '+sort', '+sort_ro'), 'OK');
      assert.equal(await reply(client, 'SORT_RO', 'app:list', 'BY', 'other:*'), 'ERR BY option of SORT denied due to insufficient ACL permissions.');
      assert.equal(await reply(client, 'SORT', 'app:list', 'GET', '#'), 'ERR GET option of SORT denied due to insufficient ACL permissions.');
      assert.match(String(await reply(client, 'EVAL', "return redis.call('sort', 'app:list', 'get', 'other:*')", 0)), /GET option of SORT denied/);
      assert.deepEqual(await reply(client, 'SORT', 'app:list', 'BY', 'nosort'), []);
    }
  });

  it('ACL DRYRUN, CAT, GETUSER and errors answer as Redis does', async () => {
    const client = cluster.client(followers[1] as string);
    assert.equal(await reply(client, 'ACL', 'DRYRUN', 'app', 'GET', 'app:1'), 'OK');
    assert.equal(await reply(client, 'ACL', 'DRYRUN', 'app', 'GET', 'other'), "This user has no permissions to access the 'other' key");
    assert.equal(await reply(client, 'ACL', 'DRYRUN', 'nobody', 'GET', 'x'), "ERR User 'nobody' not found");
    assert.equal(await reply(client, 'ACL', 'DRYRUN', 'app', 'nocmd'), "ERR Command 'nocmd' not found");
    assert.equal(await reply(client, 'ACL', 'DRYRUN', 'app', 'SET', 'v'), "ERR wrong number of arguments for 'set' command");
    assert.equal(await reply(client, 'ACL', 'CAT', 'NON_EXISTS'), "ERR Unknown category 'NON_EXISTS'");
    const transaction = (await reply(client, 'ACL', 'CAT', 'transaction')) as string[];
    assert.ok(transaction.includes('multi'));
    assert.ok(((await reply(client, 'ACL', 'CAT', 'raft')) as string[]).includes('raft.info'), 'RAFT.* commands have their own category');
    assert.equal(await reply(client, 'ACL', 'SETUSER', 'app', '+nocmd'), "ERR Error in ACL SETUSER modifier '+nocmd': Unknown command or category name in ACL");
    assert.equal(await reply(client, 'ACL', 'DELUSER', 'default'), "ERR The 'default' user cannot be removed");
    const user = (await reply(client, 'ACL', 'GETUSER', 'app')) as unknown[];
    assert.deepEqual(user.slice(0, 2), ['flags', ['on']]);
    assert.equal(String(user[3]).length, 64, 'a SHA-256 hash, never the password');
    assert.match(String(await reply(client, 'ACL', 'GENPASS')), /^[0-9a-f]{64}$/);
    assert.equal(((await reply(client, 'ACL', 'GENPASS', 5)) as string).length, 2);
  });

  it("every command's ACL categories (COMMAND INFO) are Redis 7.0's", { skip: redisServerPath() === null ? 'redis-server not installed' : false }, async () => {
    const redis = await startRedis(redisServerPath() as string);
    try {
      const client = cluster.client(leader);
      let compared = 0;
      for (const name of ((await client.call('COMMAND', 'LIST')) as string[]).filter((listed) => !listed.includes('|'))) {
        const [theirs] = (await redis.client.call('COMMAND', 'INFO', name)) as (unknown[] | null)[];
        if (theirs === null || theirs === undefined) continue; // raftis's own (RAFT.*) or a command Redis lacks
        const [ours] = (await client.call('COMMAND', 'INFO', name)) as unknown[][];
        assert.deepEqual(ours?.[6], theirs[6], name);
        compared++;
      }
      assert.ok(compared > 200, `compared ${compared} commands`);
    } finally {
      await redis.stop();
    }
  });

  it('ACL replies and errors are the same as redis-server\'s, command by command', { skip: redisServerPath() === null ? 'redis-server not installed' : false }, async () => {
    const redis = await startRedis(redisServerPath() as string);
    const commands: string[][] = [
      ['ACL', 'GENPASS', '-236'], ['ACL', 'GENPASS', '5000'], ['ACL', 'GENPASS', '1', '2'], ['ACL', 'HELP', 'xxx'], ['ACL', 'CAT', 'NON_EXISTS'],
      ['ACL', 'CAT', 'NON_EXISTS', 'NON_EXISTS2'], ['ACL', 'LOG', '-1'], ['ACL', 'LOG', 'xyz'], ['ACL', 'SETUSER'], ['ACL', 'GETUSER', 'nouser'],
      ['ACL', 'DELUSER', 'nouser'], ['ACL', 'WHOAMI', 'extra'], ['ACL', 'NOSUCH'], ['ACL', 'DRYRUN', 'default'], ['ACL', 'LIST', 'extra'],
      ['ACL', 'SETUSER', 'cmp', 'on', '>a', '(~key1 +get )', '( ~key2 +get )', '%R~r*', '&ch', '-@all', '+@hash', '+client|id'],
      ['ACL', 'GETUSER', 'cmp'], ['ACL', 'SETUSER', 'cmp', 'on', '(+get nope)'], ['ACL', 'SETUSER', 'cmp', '(&* &fail)'], ['ACL', 'SETUSER', 'cmp', '<nothere'],
      ['ACL', 'SETUSER', 'cmp', '+config|get|x'], ['ACL', 'SETUSER', 'cmp', '-select|1'], ['ACL', 'SETUSER', 'cmp', '%RX~k'], ['ACL', 'SETUSER', 'bad name'],
      ['ACL', 'DRYRUN', 'cmp', 'HGET', 'k', 'f'], ['ACL', 'DRYRUN', 'cmp', 'HGET', 'r1', 'f'], ['ACL', 'DRYRUN', 'cmp', 'HSET', 'r1', 'f', 'v'],
      ['ACL', 'DRYRUN', 'cmp', 'CLIENT', 'ID'], ['ACL', 'DRYRUN', 'cmp', 'CLIENT', 'KILL', 'ID', '1'], ['ACL', 'DRYRUN', 'cmp', 'GET', 'k'],
      ['ACL', 'DELUSER', 'cmp', 'nouser'], ['AUTH'], ['ACL', 'SAVE'], ['ACL', 'LOAD'],
    ];
    try {
      const client = cluster.client(followers[0] as string);
      for (const [name, ...args] of commands) {
        const theirs = await reply(redis.client, name as string, ...args);
        assert.deepEqual(await reply(client, name as string, ...args), theirs, [name, ...args].join(' '));
      }
    } finally {
      await redis.stop();
    }
  });

  it('RAFT.* commands are their own category', async () => {
    assert.equal(await reply(cluster.client(leader), 'ACL', 'SETUSER', 'ops', 'on', 'nopass', '-@all', '+@raft'), 'OK');
    const client = await waitFor('ops on the follower', async () => {
      const candidate = cluster.client(followers[0] as string);
      return (await reply(candidate, 'AUTH', 'ops', 'x')) === 'OK' ? candidate : null;
    });
    assert.match(String(await reply(client, 'RAFT.INFO')), /role:/);
    assert.equal(await reply(client, 'GET', 'k'), "NOPERM this user has no permissions to run the 'get' command");
    assert.ok(Array.isArray(await reply(client, 'HELLO', '2', 'AUTH', 'ops', 'x')), 'HELLO (like AUTH, QUIT, RESET) needs no permission');
  });

  it("deleting a user closes its connections on every node", async () => {
    await reply(cluster.client(leader), 'ACL', 'SETUSER', 'temp', 'on', '>t', '~*', '+@all');
    const clients = await Promise.all(cluster.nodes.map((node) => waitFor(`temp on ${node.id}`, async () => {
      const client = cluster.client(node.id);
      return (await reply(client, 'AUTH', 'temp', 't')) === 'OK' ? client : null;
    })));
    assert.equal(await reply(cluster.client(followers[1] as string), 'ACL', 'DELUSER', 'temp'), 1);
    for (const client of clients) await waitFor('the connection closed', () => client.status === 'end' || client.status === 'close');
  });

  it('subscribers are closed on every node when their user loses one of their channels, and kept otherwise', async () => {
    const admin = cluster.client(leader);
    assert.equal(await reply(admin, 'ACL', 'SETUSER', 'listener', 'on', '>l', '~*', '+@all', 'resetchannels', '&foo', '&bar*'), 'OK');
    const subscribe = async (id: string, kind: 'subscribe' | 'psubscribe', name: string): Promise<Redis> => waitFor(`${kind} ${name} on ${id}`, async () => {
      const client = cluster.client(id);
      if ((await reply(client, 'AUTH', 'listener', 'l')) !== 'OK') return null;
      await (kind === 'subscribe' ? client.subscribe(name) : client.psubscribe(name));
      return client;
    });
    const onFoo = await Promise.all(cluster.nodes.map((node) => subscribe(node.id, 'subscribe', 'foo')));
    const onBar = await Promise.all(cluster.nodes.map((node) => subscribe(node.id, 'psubscribe', 'bar*')));
    const appliedEverywhere = (text: string): Promise<boolean> => waitFor(text, async () => {
      const lists = await Promise.all(cluster.nodes.map((node) => cluster.call(node.id, ['ACL', 'LIST'])));
      return lists.every((list) => JSON.stringify(list).includes(text));
    });
    // Keeping every channel (and gaining one) closes nobody.
    assert.equal(await reply(admin, 'ACL', 'SETUSER', 'listener', 'resetchannels', '&foo', '&bar*', '&baz'), 'OK');
    await appliedEverywhere('&foo &bar* &baz');
    assert.equal(await reply(cluster.client(leader), 'PUBLISH', 'foo', 'still here'), 1, "the publisher's node counts its own subscriber");
    for (const client of [...onFoo, ...onBar]) assert.equal(client.status, 'ready');
    // Losing foo closes its subscribers on every node; the pattern's subscribers stay.
    assert.equal(await reply(admin, 'ACL', 'SETUSER', 'listener', 'resetchannels', '&bar*'), 'OK');
    for (const client of onFoo) await waitFor('a foo subscriber closed', () => client.status === 'end' || client.status === 'close');
    for (const client of onBar) assert.equal(client.status, 'ready');
  });

  it('users survive a restart and reach a node that catches up by a snapshot', async () => {
    const lagging = followers[1] as string;
    await cluster.kill(lagging);
    assert.equal(await reply(cluster.client(leader), 'ACL', 'SETUSER', 'late', 'on', '>late', '%R~r:*', '+get'), 'OK');
    // More entries than --snapshot-entries and --log-retain-entries: the leader compacts past what `lagging` has.
    const writer = cluster.client(leader);
    for (let i = 0; i < 300; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => writer.set(`fill:${i + j}`, 'x')));
    cluster.startNode(lagging);
    await cluster.waitForListening(lagging);
    const client = await waitFor('late on the node restored from a snapshot', async () => {
      const candidate = cluster.client(lagging);
      return (await reply(candidate, 'AUTH', 'late', 'late')) === 'OK' ? candidate : null;
    }, { timeoutMs: 30_000 });
    assert.equal(await reply(client, 'GET', 'r:1'), null);
    assert.equal(await reply(client, 'GET', 'w:1'), NOPERM_KEYS);
    // And a whole restart of another node keeps every user.
    const other = followers[0] as string;
    await cluster.restart(other);
    await cluster.waitForListening(other);
    // ACL LIST reads replicated state at a read point: each node answers once a leader is known again.
    const lists = await Promise.all([leader, other, lagging].map((id) => waitFor(`ACL LIST on ${id}`, async () => {
      const listed = await cluster.call(id, ['ACL', 'LIST']).catch((error: unknown) => error);
      return listed instanceof Error && listed.message.startsWith('TRYAGAIN') ? null : listed;
    }, { timeoutMs: 30_000 })));
    assert.deepEqual(lists[1], lists[0]);
    assert.deepEqual(lists[2], lists[0]);
  });
});

describe('a cluster started with --requirepass', () => {
  let cluster: TestCluster;
  const clients: Redis[] = [];
  /** A client that sends nothing before the test's commands (ioredis's ready check would be refused with NOAUTH). */
  const connect = (id: string): Redis => {
    const client = new Redis({ host: '127.0.0.1', port: cluster.node(id).port, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    clients.push(client);
    return client;
  };

  before(async () => {
    cluster = await TestCluster.start({ args: ['--requirepass', 'pw-for-default'] });
  });

  after(async () => {
    for (const client of clients) client.disconnect();
    await cluster.stop();
  });

  it('asks every client to authenticate, on every node, and HELLO AUTH authenticates', async () => {
    for (const node of cluster.nodes) {
      // LOADING until the leader's seed entry is applied on the node, then NOAUTH.
      // A new connection per try: the node may not listen yet, and a refused connection stays closed.
      const client = await waitFor(`${node.id} seeded`, async () => {
        const candidate = connect(node.id);
        return (await reply(candidate, 'PING')) === 'NOAUTH Authentication required.' ? candidate : null;
      }, { timeoutMs: 30_000, intervalMs: 200 });
      assert.equal(await reply(client, 'GET', 'k'), 'NOAUTH Authentication required.');
      assert.equal(await reply(client, 'HELLO', '3'), 'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
      assert.equal(await reply(client, 'AUTH', 'nope'), WRONGPASS);
      assert.equal(await reply(client, 'AUTH', 'pw-for-default'), 'OK');
      assert.equal(await reply(client, 'PING'), 'PONG');
      const other = connect(node.id);
      const hello = await reply(other, 'HELLO', '2', 'AUTH', 'default', 'pw-for-default', 'SETNAME', 'x');
      assert.ok(Array.isArray(hello), String(hello));
      assert.equal(await reply(other, 'CLIENT', 'GETNAME'), 'x');
    }
  });
});

/** What the server sends on a connection given `request`, up to its close. */
function everythingSent(host: string, port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.write(request));
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

/** A non-loopback address of this host, if it has one (protected mode needs a client beyond loopback). */
function outsideAddress(): string | null {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return null;
}

describe('a cluster started with --aclfile, bound beyond loopback', () => {
  let cluster: TestCluster;
  let aclFile: string;
  const outside = outsideAddress();

  before(async () => {
    aclFile = join(mkdtempSync(join(tmpdir(), 'raftis-acl-')), 'users.acl');
    writeFileSync(aclFile, 'user default on nopass ~* &* +@all\n');
    // n2 is restarted listening on every address (its port is known only once the cluster started).
    let bindAll = false;
    cluster = await TestCluster.start({ args: ['--aclfile', aclFile], nodeArgs: (id) => (bindAll && id === 'n2' ? ['--listen', `0.0.0.0:${cluster.node(id).port}`] : []) });
    await cluster.waitForLeader();
    bindAll = true;
    await cluster.restart('n2');
    await cluster.waitForListening('n2');
  });

  after(async () => {
    await cluster.stop();
  });

  it('protected mode: with no password and no ACL user, clients beyond loopback are refused with Redis\'s text', { skip: outside === null ? 'no non-loopback address' : false }, async () => {
    const id = 'n2';
    // A raw connection, as redis-cli's: ioredis would send CLIENT SETINFO first and lose the answer with the connection.
    const answer = await everythingSent(outside as string, cluster.node(id).port, 'PING\r\n');
    assert.match(answer, /^-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user\. .* 4\) Setup a an authentication password for the default user\. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside\.\r\n$/);
    assert.equal(await reply(cluster.client(id), 'PING'), 'PONG', 'loopback clients are served');
    // Once an ACL user exists the node is no longer open by default: remote clients are served.
    assert.equal(await reply(cluster.client(id), 'ACL', 'SETUSER', 'alice', 'on', '>alicepw', '~a:*', '+@read'), 'OK');
    await waitFor('alice on every node', async () => (await Promise.all(cluster.nodes.map((node) => cluster.call(node.id, ['ACL', 'USERS'])))).every((users) => JSON.stringify(users).includes('alice')));
    const later = new Redis({ host: outside as string, port: cluster.node(id).port, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    later.on('error', () => {});
    try {
      assert.equal(await reply(later, 'AUTH', 'alice', 'alicepw'), 'OK');
      assert.equal(await reply(later, 'GET', 'a:1'), null);
    } finally {
      later.disconnect();
    }
  });

  it('ACL SAVE writes the users to the file of the node asked; ACL LOAD replaces every user on every node', async () => {
    const [first, second, third] = cluster.nodes.map((node) => node.id) as [string, string, string];
    await reply(cluster.client(first), 'ACL', 'SETUSER', 'carol', 'on', '>carolpw', '~c:*', '+get');
    await waitFor('carol on the node asked to save', async () => JSON.stringify(await cluster.call(second, ['ACL', 'USERS'])).includes('carol'));
    assert.equal(await reply(cluster.client(second), 'ACL', 'SAVE'), 'OK');
    const saved = readFileSync(aclFile, 'latin1');
    assert.match(saved, /^user carol on #[0-9a-f]{64} ~c:\* resetchannels -@all \+get$/m);
    assert.doesNotMatch(saved, /carolpw/, 'no password in clear');
    // An edited file: carol goes, dave comes (with a clear-text password, hashed before it is proposed).
    writeFileSync(aclFile, 'user default on nopass ~* &* +@all\nuser dave on >davepw ~d:* +@all\n');
    const carol = await login(cluster, third, 'carol', 'carolpw');
    assert.equal(await reply(cluster.client(second), 'ACL', 'LOAD'), 'OK');
    await waitFor('dave on every node, carol gone', async () => {
      const users = await Promise.all(cluster.nodes.map((node) => cluster.call(node.id, ['ACL', 'USERS'])));
      return users.every((list) => JSON.stringify(list) === JSON.stringify(['dave', 'default']));
    });
    await waitFor("carol's connection closed", () => carol.status === 'end' || carol.status === 'close');
    const dave = await login(cluster, first, 'dave', 'davepw');
    assert.equal(await reply(dave, 'SET', 'd:1', 'v'), 'OK');
    writeFileSync(aclFile, 'user default on nopass ~* &* +@all\nuser dave on >x ~d:* +nocmd\n');
    assert.match(String(await reply(cluster.client(first), 'ACL', 'LOAD')), /Unknown command or category name in ACL/);
  });
});
