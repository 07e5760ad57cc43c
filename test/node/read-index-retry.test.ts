// A follower's read barrier whose request (or the leader's answer) was lost: Raft messages to
// a peer whose link is reconnecting are dropped, and nothing in the core asks again. Seen after
// a whole-cluster restart under load, as a read answered TIMEOUT after the whole request
// timeout. The driver asks again after --read-index-retry-ms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeError } from '../../src/node/errors.js';
import { MessageType, logIndex, term, type Message, type ReadIndexMessage } from '../../src/raft/types.js';
import { GatedLogStore, N1, N2, startFollower, type FollowerUnderTest } from './harness.js';

const RETRY_MS = 200;
const STEP_MS = 10;

function readIndexRequests(sent: readonly Message[]): ReadIndexMessage[] {
  return sent.filter((m): m is ReadIndexMessage => m.type === MessageType.ReadIndex);
}

/** Moves the follower's clock by `ms` in steps, with the leader's heartbeat at each so that it never campaigns. */
async function passTime(follower: FollowerUnderTest, ms: number): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += STEP_MS) {
    follower.node.receive({ type: MessageType.Heartbeat, from: N1, to: N2, term: term(1), commit: logIndex(0), readRound: 0 });
    await follower.clock.advance(STEP_MS);
  }
}

async function readWithLostRequest(retryMs: number): Promise<{ follower: FollowerUnderTest; outcome: () => NodeError | null | undefined }> {
  const follower = startFollower(N2, new GatedLogStore(false), { readIndexRetryMs: retryMs, requestTimeoutMs: 5000 });
  await passTime(follower, STEP_MS); // n2 hears n1: it knows its leader
  let outcome: NodeError | null | undefined;
  follower.node.read('linearizable', (error) => { outcome = error; });
  await follower.clock.pump();
  assert.equal(readIndexRequests(follower.sent).length, 1, 'the read barrier is asked of the leader');
  return { follower, outcome: () => outcome };
}

test('a read barrier the leader never answered is asked again after read-index-retry-ms, and the answer to the new request serves the read', async () => {
  const { follower, outcome } = await readWithLostRequest(RETRY_MS);
  // The first request is lost: no answer. Before the retry interval nothing more is sent.
  await passTime(follower, RETRY_MS - 3 * STEP_MS);
  assert.equal(readIndexRequests(follower.sent).length, 1);
  assert.equal(outcome(), undefined, 'the read still waits');
  // Deadlines are swept every 50 ms: the retry comes within one sweep of its time.
  await passTime(follower, 3 * STEP_MS + 50);
  const requests = readIndexRequests(follower.sent);
  assert.equal(requests.length, 2, 'asked again once the retry interval passed');
  assert.equal(follower.node.stats().readIndexRetries, 1);
  // An answer to the lost (old) context finds nothing; the new one serves the read.
  const answer = (context: Uint8Array): Message => ({ type: MessageType.ReadIndexResponse, from: N1, to: N2, term: term(1), context, index: logIndex(0), clusterTime: 1, reject: false });
  follower.node.receive(answer(requests[0]!.context));
  await follower.clock.pump();
  assert.equal(outcome(), undefined, 'an answer to the abandoned request serves nothing');
  follower.node.receive(answer(requests[1]!.context));
  await follower.clock.pump();
  assert.equal(outcome(), null, 'the read may run');
  assert.deepEqual(follower.fatal, []);
  follower.node.stop();
});

test('with read-index-retry-ms 0 a lost read barrier is never asked again and times out', async () => {
  const { follower, outcome } = await readWithLostRequest(0);
  await passTime(follower, 5000 + 100);
  assert.equal(readIndexRequests(follower.sent).length, 1);
  assert.equal(outcome()?.code, 'TIMEOUT');
  follower.node.stop();
});
