// A cluster seeded only by --aclfile (no --requirepass): the default user has a password and
// other users exist only in the ACL file. A node joining it authenticates with --join-user and
// --join-password (the names of Redis's masteruser/masterauth idea), catches up, holds the
// replicated users, and serves its own clients only as those users allow: a client of the
// new node is never let in unauthenticated, not even before the users reached it.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const NOAUTH = 'NOAUTH Authentication required.';

describe('a node joining a cluster seeded by --aclfile', () => {
  let cluster: TestCluster;
  const clients: Redis[] = [];
  const connect = (id: string): Redis => {
    const client = new Redis({ host: '127.0.0.1', port: cluster.node(id).port, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    client.on('error', () => {});
    clients.push(client);
    return client;
  };
  const reply = (client: Redis, ...args: string[]): Promise<unknown> => client.call(args[0] as string, ...args.slice(1)).catch((error: Error) => error.message);

  before(async () => {
    const aclFile = join(mkdtempSync(join(tmpdir(), 'raftis-acl-join-')), 'users.acl');
    writeFileSync(aclFile, [
      `user default on #${sha256('admin-pw')} ~* &* +@all`,
      `user joiner on #${sha256('join-pw')} resetchannels -@all +raft.clusterinfo +raft.node`,
      `user app on #${sha256('app-pw')} ~app:* resetchannels -@all +get +set +ping`,
      `user looker on #${sha256('look-pw')} resetchannels -@all +raft.clusterinfo`,
      '',
    ].join('\n'));
    // Only the founders have the file: the joiner's users can come from nowhere but the cluster.
    cluster = await TestCluster.start({
      args: ['--join-user', 'joiner', '--join-password', 'join-pw'],
      nodeArgs: (id) => (['n1', 'n2', 'n3'].includes(id) ? ['--aclfile', aclFile] : id === 'n5' ? ['--join-user', 'looker', '--join-password', 'look-pw'] : []),
      auth: { password: 'admin-pw' },
    });
    await cluster.waitForLeader();
    const admin = connect('n1');
    await waitFor('the users seeded', async () => (await reply(admin, 'AUTH', 'default', 'admin-pw')) === 'OK', { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal(await reply(admin, 'SET', 'app:1', 'one'), 'OK');
    assert.equal(await reply(admin, 'SET', 'other:1', 'secret'), 'OK');
  });

  after(async () => {
    for (const client of clients) client.disconnect();
    await cluster?.stop();
  });

  it('joins with the join credentials, and its clients must authenticate from the first moment', async () => {
    const joining = cluster.addNode('n4', 'n2');
    // Probe the new node while it starts: every answer is a refusal (NOAUTH, or LOADING while
    // the users have not reached it), never data.
    const seen = new Set<string>();
    await joining;
    await waitFor('n4 serves the replicated users', async () => {
      const probe = connect('n4');
      const got = String(await reply(probe, 'GET', 'other:1'));
      probe.disconnect();
      seen.add(got.split(' ')[0] ?? got);
      assert.notEqual(got, 'secret', 'an unauthenticated client of the joining node read data');
      return got === NOAUTH;
    }, { timeoutMs: 60_000, intervalMs: 100 });
    // Before its users arrive the new node refuses everything (LOADING): it never lets a
    // client in as a default user without a password, not even to wait for a read (TRYAGAIN).
    assert.ok([...seen].every((word) => word === 'NOAUTH' || word === 'LOADING'), `answers seen: ${[...seen].join(', ')}`);
    await waitFor('n4 is a voter', async () => String(await cluster.call('n1', ['RAFT.INFO'])).includes('n4'), { timeoutMs: 60_000 });
  });

  it('holds the users of the ACL file, replicated, and enforces them for its own clients', async () => {
    const app = connect('n4');
    assert.equal(await reply(app, 'AUTH', 'app', 'app-pw'), 'OK');
    assert.equal(await reply(app, 'GET', 'app:1'), 'one');
    assert.equal(await reply(app, 'GET', 'other:1'), 'NOPERM this user has no permissions to access one of the keys used as arguments');
    assert.equal(await reply(app, 'SET', 'app:2', 'two'), 'OK', 'a write forwarded to the leader as app');
    const admin = connect('n4');
    assert.equal(await reply(admin, 'AUTH', 'wrong'), 'WRONGPASS invalid username-password pair or user is disabled.');
    assert.equal(await reply(admin, 'AUTH', 'admin-pw'), 'OK');
    const lists = await Promise.all(['n1', 'n4'].map(async (id) => {
      const client = connect(id);
      await reply(client, 'AUTH', 'admin-pw');
      return reply(client, 'ACL', 'LIST');
    }));
    assert.deepEqual(lists[1], lists[0]);
    // A change made on the new node holds on the others.
    assert.equal(await reply(admin, 'ACL', 'SETUSER', 'app', '+del'), 'OK');
    const other = connect('n1');
    assert.equal(await reply(other, 'AUTH', 'app', 'app-pw'), 'OK');
    await waitFor('the change on n1', async () => (await reply(other, 'DEL', 'app:2')) === 1);
  });

  it('a joiner the cluster refuses to add (its join user lacks RAFT.NODE) stops at once with 78, saying why', async () => {
    // It may stop before it is seen accepting clients.
    void cluster.addNode('n5', 'n1').catch(() => undefined);
    await waitFor('n5 to exit', () => (cluster.nodes.find((n) => n.id === 'n5')?.exits.length ?? 0) > 0, { timeoutMs: 30_000, intervalMs: 100 });
    const node = cluster.node('n5');
    const log = readFileSync(node.logPath, 'utf8');
    assert.equal(node.exits[0]?.code, 78, log);
    assert.match(log, /the cluster refused to add node n5: NOPERM/);
    // Refused, not timed out: it stopped well before --join-wait-ms (60 s) ran out.
    assert.doesNotMatch(log, /--join-wait-ms/);
    const members = String(await cluster.call('n1', ['RAFT.NODES']));
    assert.doesNotMatch(members, /n5/);
  });
});
