// The check-history command: exit codes, the summary line, and usage errors.
import { sharedHistoriesFolder } from '../support/shared-histories.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHistoryCommand, describeCheckResult } from '../../src/check/check-history-command.js';
import { OK } from '../../src/check/history.js';
import { formatJsonl } from '../../src/check/parse-jsonl.js';
import { done, get, put, unknown } from './helpers.js';

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await checkHistoryCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const folder = mkdtempSync(join(tmpdir(), 'raftis-check-'));
test.after(() => rmSync(folder, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

const goodOps = [done(0, 0, 1, put('k', 'a'), OK), unknown(1, 1, put('j', 'b')), done(1, 2, 3, get('k'), 'a')];
const badOps = [done(0, 0, 1, put('k', 'a'), OK), done(1, 2, 3, get('k'), 'b')];

test('a linearizable history exits 0 with one summary line', async () => {
  const { code, out, err } = await run([file('good.jsonl', formatJsonl(goodOps))]);
  assert.equal(code, 0);
  assert.equal(out.length, 1);
  assert.match(out[0]!, /^linearizable: 3 ops, 2 keys, \d+\.\d\d s$/);
  assert.deepEqual(err, []);
});

test('a violation exits 1 and prints the failing sub-history one op per line', async () => {
  const { code, out } = await run([file('bad.txt', formatJsonl(badOps)), '--format', 'jsonl']);
  assert.equal(code, 1);
  assert.match(out[0]!, /^NOT linearizable: key "k": the first 2 of its ops cannot be linearized/);
  const listing = out.slice(2).join('\n').split('\n');
  assert.equal(listing.length, 2);
  assert.match(listing[0]!, /p0 +0 → 1 +put "k" "a" => "ok"$/);
  assert.match(listing[1]!, /p1 +2 → 3 +get "k" => "b" +<-- cannot be linearized$/);
});

test('an undecided check is reported as unknown', () => {
  const lines = describeCheckResult({ verdict: 'unknown', ops: 9, keys: 2, elapsedMs: 10_000, reason: 'timeout', undecidedKeys: ['a'] });
  assert.deepEqual(lines, ['unknown: timed out after 10.00 s with 1 of 2 keys undecided ("a")']);
});

test('usage errors exit 64 with a message', async () => {
  for (const argv of [[], ['a', 'b'], ['x', '--format'], ['x', '--format', 'xml'], ['x', '--timeout-ms', '0'], ['x', '--timeout-ms', '1.5'], ['x', '--verbose']]) {
    const { code, err } = await run(argv);
    assert.equal(code, 64, `argv ${JSON.stringify(argv)}`);
    assert.match(err[0]!, /^check-history: /);
    assert.match(err[1]!, /^usage: raftis check-history FILE/);
  }
});

test('options take values inline or separately', async () => {
  const path = file('inline.jsonl', formatJsonl(goodOps));
  assert.equal((await run([`--format=jsonl`, '--timeout-ms=5000', path])).code, 0);
  assert.equal((await run(['--timeout-ms', '5000', path])).code, 0);
});

test('a missing file exits 66 and an unreadable history 65', async () => {
  assert.equal((await run([join(folder, 'absent.jsonl')])).code, 66);
  const { code, err } = await run([file('garbage.jsonl', '{"process": 0}\n')]);
  assert.equal(code, 65);
  assert.match(err[0]!, /line 1: "call" must be a number/);
});

test('reference files are checked with their format detected', async () => {
  const shared = sharedHistoriesFolder();
  const jepsen = await run([join(shared, 'jepsen-etcd', 'etcd_000.log')]);
  assert.equal(jepsen.code, 1);
  assert.match(jepsen.out[0]!, /^NOT linearizable: key "register": /);
  const edn = await run([join(shared, 'kv', 'c01-ok.txt'), '--timeout-ms', '10000']);
  assert.equal(edn.code, 0);
  assert.match(edn.out[0]!, /^linearizable: \d+ ops, \d+ keys, /);
});
