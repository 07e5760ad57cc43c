// Rapid leader changes on real processes: leadership is handed around the cluster several
// times in a row (RAFT.TRANSFER-LEADER) while clients on every node write and read a few
// keys. Every reply must be a success or an error that says what happened (TRYAGAIN: not
// applied; TIMEOUT: unknown), never a wrong value: the recorded history is checked for
// linearizability with the project's checker (src/check).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { HistoryRecorder, OK, checkKvHistory, formatHistory } from '../../src/check/index.js';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';

const TRANSFERS = 8;
const WORKERS = 6;
const KEYS = ['t:a', 't:b', 't:c'];

/** Error replies a client may see while leadership moves; anything else is a failure of the test. */
const CERTAINLY_NOT_APPLIED = /^TRYAGAIN /;
const OUTCOME_UNKNOWN = /^(TIMEOUT |SHUTDOWN )/;

describe('repeated leadership transfers under load', () => {
  let cluster: TestCluster;

  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster } = started));

  it('clients see only successes or errors, and the history is linearizable', async () => {
    const ids = cluster.nodes.map((n) => n.id);
    const recorder = new HistoryRecorder();
    const unexpected: string[] = [];
    let running = true;
    let sequence = 0;
    let completed = 0;

    const worker = async (processId: number, redis: Redis): Promise<void> => {
      while (running) {
        const key = KEYS[(processId + sequence) % KEYS.length] ?? '';
        const write = (sequence++ + processId) % 2 === 0;
        const value = `${processId}-${sequence}`;
        const id = recorder.invoke(processId, write ? { f: 'put', key, value } : { f: 'get', key }, performance.now());
        try {
          const reply = write ? await redis.set(key, value) : await redis.get(key);
          if (write) {
            assert.equal(reply, 'OK');
            recorder.ok(id, OK, performance.now());
          } else {
            recorder.ok(id, reply, performance.now());
          }
          completed++;
        } catch (error) {
          const message = (error as Error).message;
          if (!write || CERTAINLY_NOT_APPLIED.test(message)) recorder.fail(id, performance.now());
          else recorder.info(id, performance.now());
          if (!CERTAINLY_NOT_APPLIED.test(message) && !OUTCOME_UNKNOWN.test(message)) unexpected.push(`${write ? 'SET' : 'GET'} ${key}: ${message}`);
        }
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w, cluster.client(ids[w % ids.length] ?? '')));

    let leader = await cluster.waitForLeader();
    const completedBefore: number[] = [];
    for (let i = 0; i < TRANSFERS; i++) {
      const target = ids[(ids.indexOf(leader) + 1) % ids.length] ?? '';
      completedBefore.push(completed);
      await cluster.moveLeadershipTo(target, 15_000);
      leader = target;
    }
    const duringTransfers = completed - (completedBefore[0] ?? 0);
    running = false;
    await Promise.all(workers);

    assert.deepEqual(unexpected, [], 'every reply is a success, TRYAGAIN or TIMEOUT');
    assert.ok(duringTransfers > 50, `clients kept being served across ${TRANSFERS} transfers (${duringTransfers} operations)`);
    const history = recorder.history();
    const check = checkKvHistory(history, { timeoutMs: 30_000 });
    assert.equal(check.verdict, 'linearizable', check.verdict === 'not-linearizable' ? formatHistory(check.violation.window) : JSON.stringify(check));
    assert.deepEqual(cluster.crashes(), []);
  });
});
