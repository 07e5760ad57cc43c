// List-append histories in Jepsen's EDN and in JSON lines, and check-history on them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHistoryCommand } from '../../src/check/check-history-command.js';
import { formatTxnJsonl, looksLikeTxnHistory, parseTxnEdn, parseTxnJsonl } from '../../src/check/parse-txn-history.js';
import { ok, txn } from './list-append-helpers.js';

const folder = mkdtempSync(join(tmpdir(), 'raftis-list-append-'));
process.on('exit', () => rmSync(folder, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await checkHistoryCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/** Jepsen's list-append history shape: a nemesis line, an :info never completed, a :fail. */
const JEPSEN_EDN = [
  '{:type :invoke, :f :txn, :value [[:append 5 1] [:r 6 nil]], :time 100, :process 0, :index 0}',
  '{:type :invoke, :f :start-partition, :value nil, :process :nemesis, :time 110, :index 1}',
  '{:type :invoke, :f :txn, :value [[:r 5 nil]], :time 120, :process 1, :index 2}',
  '{:type :ok, :f :txn, :value [[:append 5 1] [:r 6 []]], :time 130, :process 0, :index 3}',
  '{:type :ok, :f :txn, :value [[:r 5 [1]]], :time 140, :process 1, :index 4}',
  '{:type :invoke, :f :txn, :value [[:append 6 2]], :time 150, :process 2, :index 5}',
  '{:type :fail, :f :txn, :value [[:append 6 2]], :time 160, :process 2, :index 6, :error [:tryagain "TRYAGAIN no leader"]}',
  '{:type :invoke, :f :txn, :value [[:append 6 3]], :time 170, :process 3, :index 7}',
].join('\n');

describe('list-append parsers', () => {
  it('reads Jepsen EDN: completions, failures, unknown outcomes, non-client lines skipped', () => {
    const parsed = parseTxnEdn(JEPSEN_EDN);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    assert.deepEqual(parsed.ops, [
      ok(0, 1, 4, 'a 5 1', 'r 6'),
      ok(1, 3, 5, 'r 5 1'),
      txn('fail', 2, 6, 7, 'a 6 2'),
      txn('info', 3, 8, null, 'a 6 3'),
    ]);
  });

  it('reads its own JSON lines back', () => {
    const ops = [ok(0, 1, 4, 'a x 1', 'r y 1 2'), txn('info', 1, 2, null, 'a y 3', 'r x ?'), txn('fail', 2, 3, 5, 'a z 9')];
    const parsed = parseTxnJsonl(formatTxnJsonl(ops));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.ops, ops);
  });

  it('tells list-append histories by their first line', () => {
    assert.ok(looksLikeTxnHistory(JEPSEN_EDN));
    assert.ok(looksLikeTxnHistory(formatTxnJsonl([ok(0, 1, 2, 'a x 1')])));
    assert.ok(!looksLikeTxnHistory('{"process":1,"call":10,"ret":14,"op":{"f":"put","key":"a","value":"x"},"result":"ok"}'));
  });

  it('names the line and the problem of a malformed history', () => {
    const cases: [string, RegExp][] = [
      ['{:type :invoke, :f :txn, :value [[:append 5]], :process 0}', /^line 1: each micro-operation/],
      ['{:type :invoke, :f :txn, :value [[:r 5 nil]], :process 0}\n{:type :ok, :f :txn, :value [[:r 5 nil]], :process 0}', /^line 2: a completed read of "5" needs its list/],
      ['{:type :ok, :f :txn, :value [[:r 5 []]], :process 0}', /^line 1: process 0 completes a :txn without an open :invoke/],
      ['{:type :invoke, :f :txn, :value [[:write 5 1]], :process 0}', /^line 1: unknown micro-operation "write"/],
      ['{:type :invoke, :f :txn, :value [[:r 5 nil]], :process 0}\n{:type :ok, :f :txn, :value [[:r 6 []]], :process 0}', /^line 2: the :ok transaction differs/],
    ];
    for (const [text, error] of cases) {
      const parsed = parseTxnEdn(text);
      assert.ok(!parsed.ok && error.test(parsed.error), `${text}: ${parsed.ok ? 'parsed' : parsed.error}`);
    }
    const json = parseTxnJsonl('{"process":0,"type":"ok","call":1,"ret":0,"txn":[["append","x",1]]}');
    assert.ok(!json.ok && /^line 1: return 0 is before call 1/.test(json.error));
  });
});

describe('check-history on list-append histories', () => {
  it('a strict serializable EDN history exits 0', async () => {
    const { code, out } = await run([file('good.edn', JEPSEN_EDN)]);
    assert.equal(code, 0);
    assert.match(out[0]!, /^strict serializable: 4 transactions, 2 keys, \d+ dependency edges, \d+\.\d\d s$/);
  });

  it('an anomaly exits 1 with the cycle, from JSON lines named by flags', async () => {
    const history = [ok(0, 0, 1, 'a x 1'), ok(1, 2, 3, 'r x'), ok(2, 4, 5, 'r x 1')];
    const { code, out } = await run([file('stale.txt', formatTxnJsonl(history)), '--format', 'jsonl', '--model', 'list-append']);
    assert.equal(code, 1);
    assert.match(out[0]!, /^NOT strict serializable: G-single-realtime ×1/);
    assert.deepEqual(out.slice(1), [
      'G-single-realtime cycle of 2 transactions:',
      '  T1 p1 ok 2 → 3 [r "x" []]',
      '    -rw-> T0: T1 read "x" before 1, which T0 appended',
      '  T0 p0 ok 0 → 1 [append "x" 1]',
      '    -rt-> T1: T0 returned at 1 before T1 was called at 2',
    ]);
  });

  it('a value appended twice, or an unknown model, is refused', async () => {
    const twice = await run([file('twice.jsonl', formatTxnJsonl([ok(0, 0, 1, 'a x 1'), ok(1, 2, 3, 'a x 1')]))]);
    assert.equal(twice.code, 65);
    assert.match(twice.err[0]!, /value 1 is appended to key "x" twice/);
    const usage = await run(['h.edn', '--model', 'bank']);
    assert.equal(usage.code, 64);
  });
});
