// The log a real BullMQ run left on a 3-node cluster (bench/fixtures/bullmq-jobs.jsonl.gz,
// recorded by bench/bullmq-capture.ts: 600 jobs added, moved to active and completed through
// BullMQ's own Lua scripts) replayed through the state machine, as a replica applies it: every
// script runs without an error, and two replicas fed the log give the same replies and end in
// the same keyspace. It is the in-process measurement's input too (bench/bullmq-apply.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { encodeCommand } from '../../src/kv/command-codec.js';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import { writeReply } from '../../src/kv/reply-codec.js';
import { ByteWriter } from '../../src/kv/binary.js';
import type { Reply } from '../../src/kv/reply.js';
import { fixtureArgv, readFixture } from '../../bench/bullmq-fixture.js';

const { header, commands } = readFixture();
const entries = commands.map((command) => encodeCommand({ ...command, argv: fixtureArgv(command) }));

function replay(): { replies: Reply[]; digest: string; keyspace: string } {
  const machine = new KvStateMachine();
  const replies = entries.map((entry, i) => machine.apply(i + 1, entry));
  const hash = createHash('sha1');
  for (const reply of replies) {
    const writer = new ByteWriter();
    writeReply(writer, reply);
    hash.update(writer.finish());
  }
  const { keys, hash: keyspace } = machine.digest();
  return { replies, digest: hash.digest('hex'), keyspace: `${keys} ${keyspace}` };
}

test('a recorded BullMQ log replays without script errors, the same on two replicas', () => {
  const first = replay();
  const scriptRuns = commands.filter((c) => /^evalsha$/i.test(Buffer.from(c.argv[0] ?? '', 'base64').toString('latin1')));
  assert.ok(scriptRuns.length >= header.jobs * 2, `${scriptRuns.length} EVALSHA entries for ${header.jobs} jobs`);
  const errors = first.replies.filter((reply) => reply.kind === 'error');
  assert.deepEqual(errors, [], 'no BullMQ script or command answers an error');
  const second = replay();
  assert.equal(second.digest, first.digest, 'the replies of two replicas');
  assert.equal(second.keyspace, first.keyspace, 'the keyspaces of two replicas');
});
