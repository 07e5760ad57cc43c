// Runs the checker over every reference history in ../shared/histories/ and requires
// the verdict expected.json gives for it. The folder is part of the workplace: if it is
// missing, this test fails rather than skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkKvHistory } from '../../src/check/check-kv-history.js';
import { sharedHistoriesFolder } from '../support/shared-histories.js';
import { describeCheckResult } from '../../src/check/check-history-command.js';
import { parseHistory } from '../../src/check/parse-history.js';

/** expected.json covers 102 Jepsen etcd logs and 6 kv files. */
const REFERENCE_FILES_MIN = 108;

const folder = sharedHistoriesFolder();
const expected = (JSON.parse(readFileSync(join(folder, 'expected.json'), 'utf8')) as { linearizable: Record<string, boolean> }).linearizable;

test('expected.json lists every reference history', () => {
  assert.ok(Object.keys(expected).length >= REFERENCE_FILES_MIN, `only ${Object.keys(expected).length} files listed`);
});

for (const [file, linearizable] of Object.entries(expected)) {
  test(`${file} is ${linearizable ? '' : 'not '}linearizable`, () => {
    const parsed = parseHistory(readFileSync(join(folder, file), 'utf8'));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    assert.ok(parsed.history.ops.length > 0, 'the file holds operations');
    const result = checkKvHistory(parsed.history.ops, { initialValue: parsed.history.initialValue });
    assert.equal(result.verdict, linearizable ? 'linearizable' : 'not-linearizable', describeCheckResult(result).join('\n'));
    if (result.verdict === 'not-linearizable') {
      // The narrowed counterexample must itself fail the check.
      const again = checkKvHistory(result.violation.prefix, { initialValue: parsed.history.initialValue });
      assert.equal(again.verdict, 'not-linearizable');
    }
  });
}
