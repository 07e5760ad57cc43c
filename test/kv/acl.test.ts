// ACL users in the state machine: RAFTIS.ACL entries applied in log order, rules as Redis 7.0
// reads and describes them (compared with a real redis-server where one is installed), the
// permission check (commands, subcommands, first arguments, %R~/%W~ keys, selectors), the
// users in snapshots, and the calling user of a script's redis.call.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, argvOf, plain } from './harness.js';
import { takeSnapshot, restore } from './snapshot-support.js';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import { commandTable, lookupCommand } from '../../src/kv/commands.js';
import { commandCategories } from '../../src/kv/acl/command-categories.js';
import { nopermReply } from '../../src/kv/acl/acl-users.js';
import { wrapAsUser } from '../../src/kv/acl/as-user.js';
import { encodeCommand } from '../../src/kv/command-codec.js';
import { hashPasswordRules, originalModifier } from '../../src/server/acl-passwords.js';
import { redisServerPath, startRedis, type RedisInstance } from './redis-server.js';

const hashOfA = 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb'; // sha256("a")

function setUser(h: Harness, name: string, ...rules: string[]): ReturnType<typeof plain> {
  return plain(h.apply('raftis.acl', 'setuser', name, ...rules));
}

function line(h: Harness, name: string): string | undefined {
  return h.kv.acl.lines().find((entry) => entry.startsWith(`user ${name} `));
}

/** The check's verdict as the NOPERM text, or 'OK'. */
function verdict(h: Harness, user: string, ...args: string[]): string {
  const argv = argvOf(args);
  const spec = lookupCommand(argv[0] as Uint8Array);
  assert.ok(spec !== undefined, `no command ${args[0]}`);
  const found = h.kv.acl.get(user);
  assert.ok(found !== undefined);
  const denial = h.kv.acl.check(found, spec, argv);
  if (denial === null) return 'OK';
  const reply = nopermReply(denial);
  return reply.kind === 'error' ? `${reply.message} (${denial.object})` : '';
}

describe('ACL rules', () => {
  test('the default user allows everything; new users start off with nothing', () => {
    const h = new Harness();
    assert.equal(line(h, 'default'), 'user default on nopass ~* &* +@all');
    assert.equal(setUser(h, 'u'), 'OK');
    assert.equal(line(h, 'u'), 'user u off resetchannels -@all');
    assert.equal(verdict(h, 'u', 'get', 'k'), "NOPERM this user has no permissions to run the 'get' command (get)");
  });

  test('passwords are stored as hashes; errors are Redis texts and change nothing', () => {
    const h = new Harness();
    assert.equal(setUser(h, 'u', 'on', `#${hashOfA}`, '~app:*', '+get'), 'OK');
    assert.deepEqual(setUser(h, 'u', '+nocmd'), { err: "ERR Error in ACL SETUSER modifier '+nocmd': Unknown command or category name in ACL" });
    assert.deepEqual(setUser(h, 'u', 'off', '#abc'), { err: "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters" });
    assert.equal(h.kv.acl.get('u')?.enabled, true, 'a refused SETUSER changes nothing');
    assert.equal(h.kv.acl.get('u')?.accepts(hashOfA), true);
    assert.deepEqual(setUser(h, 'u', 'allkeys', '~x'), { err: "ERR Error in ACL SETUSER modifier '~x': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns" });
    assert.deepEqual(setUser(h, 'u', '(+get', '~a'), { err: "ERR Unmatched parenthesis in acl selector starting at '(+get'." });
    assert.deepEqual(setUser(h, 'a b'), { err: "ERR Usernames can't contain spaces or null characters" });
    assert.deepEqual(plain(h.apply('raftis.acl', 'deluser', 'default')), { err: "ERR The 'default' user cannot be removed" });
    assert.equal(plain(h.apply('raftis.acl', 'deluser', 'u', 'nobody')), 1);
  });

  test('commands, subcommands and first arguments', () => {
    const h = new Harness();
    setUser(h, 'u', 'on', 'nopass', 'allkeys', '-@all', '+@hash', '+memory|usage');
    assert.equal(verdict(h, 'u', 'hset', 'k', 'f', 'v'), 'OK');
    assert.equal(verdict(h, 'u', 'memory', 'usage', 'k'), 'OK');
    assert.match(verdict(h, 'u', 'memory', 'doctor'), /'memory\|doctor' command/);
    assert.match(verdict(h, 'u', 'set', 'k', 'v'), /'set' command/);
    assert.equal(line(h, 'u'), 'user u on nopass ~* resetchannels -@all +@hash +memory|usage');
    setUser(h, 'u', '+@all', '-@dangerous', '+get');
    assert.equal(line(h, 'u'), 'user u on nopass ~* resetchannels +@all -@dangerous');
  });

  test('%R~ and %W~ patterns: reads, writes, read-modify-writes, existence tests', () => {
    const h = new Harness();
    setUser(h, 'u', 'on', 'nopass', '+@all', '%R~read*', '%W~write*', '~rw*');
    assert.equal(verdict(h, 'u', 'get', 'read'), 'OK');
    assert.match(verdict(h, 'u', 'get', 'write'), /keys used as arguments \(write\)/);
    assert.equal(verdict(h, 'u', 'lpush', 'write', 'x'), 'OK');
    assert.match(verdict(h, 'u', 'set', 'write', 'x', 'get'), /keys/, 'SET ... GET reads the key');
    assert.equal(verdict(h, 'u', 'set', 'write', 'x'), 'OK');
    assert.match(verdict(h, 'u', 'incr', 'write'), /keys/);
    assert.equal(verdict(h, 'u', 'incr', 'rw1'), 'OK');
    assert.equal(verdict(h, 'u', 'exists', 'write'), 'OK');
    assert.match(verdict(h, 'u', 'exists', 'nothing'), /keys/);
    assert.equal(verdict(h, 'u', 'copy', 'read', 'write'), 'OK');
    assert.match(verdict(h, 'u', 'copy', 'write', 'read'), /keys/);
    assert.equal(verdict(h, 'u', 'eval', '', '1', 'rw1'), 'OK');
    assert.match(verdict(h, 'u', 'eval', '', '1', 'read'), /arguments \(read\)/);
    assert.equal(verdict(h, 'u', 'eval', '', '0', 'read'), 'OK');
    assert.equal(verdict(h, 'u', 'sort', 'read', 'store', 'write'), 'OK');
    assert.match(verdict(h, 'u', 'sort', 'read', 'store', 'read'), /arguments \(read\)/);
    assert.equal(line(h, 'u'), 'user u on nopass %R~read* %W~write* ~rw* resetchannels +@all');
  });

  test('selectors: any one allowing the call is enough; the most relevant refusal is reported', () => {
    const h = new Harness();
    setUser(h, 'u', 'on', 'nopass', '+mget', '~key', '(+mget ~key ~otherkey)');
    assert.equal(verdict(h, 'u', 'mget', 'key', 'otherkey'), 'OK');
    assert.match(verdict(h, 'u', 'get', 'key'), /'get' command/);
    assert.match(verdict(h, 'u', 'mget', 'otherkey', 'someotherkey'), /\(someotherkey\)/);
    assert.equal(line(h, 'u'), 'user u on nopass ~key resetchannels -@all +mget (~key ~otherkey resetchannels -@all +mget)');
    setUser(h, 'u', 'clearselectors');
    assert.equal(h.kv.acl.get('u')?.selectors.length, 0);
  });

  test('users survive a snapshot; a snapshot of a cluster with no users restores the default one', () => {
    const h = new Harness();
    setUser(h, 'u', 'on', `#${hashOfA}`, '~app:*', '+@read', '(+set ~w*)');
    const copy = new KvStateMachine();
    assert.equal(restore(copy, takeSnapshot(h.kv, 64)), null);
    assert.deepEqual(copy.acl.lines(), h.kv.acl.lines());
    assert.equal(copy.acl.seeded, true);
    const fresh = new KvStateMachine();
    assert.equal(restore(h.kv, takeSnapshot(fresh, 64)), null);
    assert.deepEqual(h.kv.acl.names(), ['default']);
  });

  test('LOAD replaces every user at once and reports the removed ones; SEED applies only to a cluster never set', () => {
    const h = new Harness();
    const removed: string[][] = [];
    h.kv.acl.onChange((names) => removed.push([...names]));
    setUser(h, 'old', 'on');
    assert.deepEqual(plain(h.apply('raftis.acl', 'load', 'user a on nopass ~* +@all', 'user default off')), 'OK');
    assert.deepEqual(h.kv.acl.names().sort(), ['a', 'default']);
    assert.deepEqual(removed.at(-1), ['old']);
    assert.deepEqual(plain(h.apply('raftis.acl', 'load', 'user a on', 'user a off')), { err: "ERR line 2: Duplicate user 'a' found" });
    assert.deepEqual(plain(h.apply('raftis.acl', 'seed', 'user b on')), 'OK');
    assert.equal(h.kv.acl.get('b'), undefined, 'SEED after users were set changes nothing');
  });

  test("a script's redis.call runs as the entry's user", () => {
    const h = new Harness();
    setUser(h, 's', 'on', 'nopass', '+eval', '+get', '~app:*');
    h.index++;
    const entry = (argv: string[]) => encodeCommand({ origin: 'n1', client: 0, seq: 0, firstUnanswered: 0, time: h.time, argv: wrapAsUser('s', argvOf(argv)) });
    assert.deepEqual(plain(h.kv.apply(h.index, entry(['eval', "return redis.call('get', 'app:1')", '0']))), null);
    h.index++;
    const denied = plain(h.kv.apply(h.index, entry(['eval', "return redis.call('set', 'app:1', 'v')", '0'])));
    assert.match(JSON.stringify(denied), /The user executing the script can't run this command or subcommand/);
    h.index++;
    const keyDenied = plain(h.kv.apply(h.index, entry(['eval', "return redis.call('get', 'other:1')", '0'])));
    assert.match(JSON.stringify(keyDenied), /can't access at least one of the keys/);
    assert.deepEqual(plain(h.apply('eval', "return redis.call('set', 'other:1', 'v')", '0')), 'OK', 'an entry with no user is unchecked');
  });
});

/** SETUSER sequences whose replies and described users must match Redis 7.0's. */
const comparedSequences: readonly (readonly string[])[] = [
  ['c1', 'on', `#${hashOfA}`, '~app:*', '%R~r*', '&ch*', '+@all', '-@dangerous', '+get', '-set', '+set'],
  ['c2', '+@string', '-get', '+@read', '-@all', '+get'],
  ['c3', '+client|id', '+client'],
  ['c4', '+client', '-client|kill'],
  ['c5', '-@all', '+select|0', '+select|1', '-select|1'],
  ['c6', '+config|get|x'],
  ['c7', '+get|x|y'],
  ['c8', 'foo'],
  ['c9', '%X~a'],
  ['c10', '%RW~*', '~a'],
  ['c11', '&a', '&a', '%R~x', '~x', '%w~y'],
  ['c12', 'reset'],
  ['c13', 'on', '(+get ~a*)', '(+set %W~b*)', '&*'],
  ['c14', '(foo)'],
  ['c15', '<nopw'],
  ['c16', 'resetchannels', '&a', 'allchannels'],
  ['c17', '+@all', '-@keyspace'],
  ['c18', '-@all', '+@sortedset', '+memory|usage'],
];

describe('ACL rules compared with redis-server', { skip: redisServerPath() === null ? 'redis-server not installed' : false }, () => {
  let redis: RedisInstance;
  before(async () => {
    redis = await startRedis(redisServerPath() as string);
  });
  after(async () => {
    await redis.stop();
  });

  test("every data command's ACL categories are Redis's (COMMAND INFO)", async () => {
    let compared = 0;
    for (const row of commandTable) {
      if (row.flags.includes('internal')) continue;
      const [info] = (await redis.client.call('command', 'info', row.name)) as (unknown[] | null)[];
      if (info === null || info === undefined) continue; // a command Redis does not have
      assert.deepEqual(commandCategories(row).map((category) => `@${category}`), info[6], row.name);
      compared++;
    }
    assert.ok(compared > 150, `compared ${compared} commands`);
  });

  test('SORT BY and GET patterns need a selector that reads every key, with the errors Redis gives (unit/acl-v2)', async () => {
    const h = new Harness();
    const sorts = [
      ['sort', 'mylist', 'by', 'v*'], ['sort', 'mylist', 'get', 'v*'], ['sort', 'mylist', 'get', '#'], ['sort', 'mylist', 'by', 'nosort'],
      ['sort', 'mylist', 'limit', 'x', '1', 'by', 'v*'], ['sort', 'mylist', 'bogus', 'by', 'v*'], ['sort', 'mylist', 'by', 'v*', 'bogus'],
      ['sort', 'mylist', 'alpha', 'desc', 'limit', '0', '1', 'get', 'v*'], ['sort_ro', 'mylist', 'by', 'v*'], ['sort_ro', 'mylist', 'store', 'x', 'get', '#'],
      ['sort', 'other', 'by', 'v*'], ['sort', 'mylist', 'store', 'dest', 'by', 'v*'],
    ];
    const ruleSets = [
      ['+sort', '+sort_ro', '~mylist'], ['+sort', '+sort_ro', '~mylist', '~v*'], ['+sort', '+sort_ro', '~mylist', '%W~*'], ['+sort', '+sort_ro', '~mylist', '%R~*'],
      ['+sort', '+sort_ro', 'allkeys'], ['+sort', '~mylist', '(+sort_ro ~*)'], ['+sort_ro', '~mylist', '(+sort %R~*)'],
    ];
    const asUser = redis.client.duplicate({ lazyConnect: true });
    await asUser.connect();
    try {
      await redis.client.call('rpush', 'mylist', '1');
      for (const rules of ruleSets) {
        await redis.client.call('acl', 'setuser', 'sorter', 'reset', 'on', 'nopass', ...rules);
        assert.equal(setUser(h, 'sorter', 'reset', 'on', 'nopass', ...rules), 'OK');
        await asUser.call('auth', 'sorter', 'x');
        const user = h.kv.acl.get('sorter');
        assert.ok(user !== undefined);
        for (const args of sorts) {
          const theirs = await asUser.call(args[0] as string, ...args.slice(1)).then(() => 'OK', (error: Error) => error.message);
          const argv = argvOf(args);
          const spec = lookupCommand(argv[0] as Uint8Array);
          assert.ok(spec !== undefined);
          const denial = h.kv.acl.check(user, spec, argv);
          const refusal: ReturnType<typeof nopermReply> | null = denial === null ? h.kv.acl.optionRefusal(user, spec, argv) : nopermReply(denial);
          const ours: string = refusal === null ? 'OK' : refusal.kind === 'error' ? refusal.message : '';
          // A call we let through may still fail inside SORT (a syntax error) as it does in Redis.
          const expected = /^(NOPERM|ERR (BY|GET) option)/.test(theirs) ? theirs : 'OK';
          assert.equal(ours, expected, `${rules.join(' ')}: ${args.join(' ')}`);
        }
      }
    } finally {
      asUser.disconnect();
    }
  });

  test('SETUSER replies and ACL LIST lines', async () => {
    const h = new Harness();
    // Some of the server's rows, as the server adds them (connection, transaction, containers).
    h.kv.addAclCommands([
      { name: 'ping', flags: ['fast'] }, { name: 'select', flags: ['fast'] }, { name: 'client', flags: [] }, { name: 'config', flags: ['admin'] },
      { name: 'echo', flags: ['fast'] }, { name: 'hello', flags: ['fast'] }, { name: 'auth', flags: ['fast'] }, { name: 'quit', flags: ['fast'] },
      { name: 'reset', flags: ['fast'] }, { name: 'command', flags: [] }, { name: 'multi', flags: ['fast'] }, { name: 'exec', flags: [] }, { name: 'info', flags: [] }, { name: 'acl', flags: [] },
    ]);
    for (const [name, ...rules] of comparedSequences) {
      const expected = await redis.client.call('acl', 'setuser', name as string, ...rules).then((ok) => ok, (error: Error) => ({ err: error.message }));
      const given = rules.map((rule) => Buffer.from(rule, 'latin1'));
      const hashed = hashPasswordRules(given);
      const reply = setUser(h, name as string, ...hashed);
      const actual = typeof reply === 'object' && reply !== null && 'err' in reply ? { err: originalModifier(reply.err, hashed, given) } : reply;
      assert.deepEqual(actual, expected, `ACL SETUSER ${name} ${rules.join(' ')}`);
      const lines = (await redis.client.call('acl', 'list')) as string[];
      assert.equal(line(h, name as string), lines.find((entry) => entry.startsWith(`user ${name} `)), `ACL LIST of ${name}`);
    }
  });
});
