#!/usr/bin/env node
// Runs every test file under test/ with node:test through tsx. Files ending in
// `.slow.test.ts` run only when RAFTIS_SLOW_TESTS=1 (long sweeps, large states); the chaos
// suite (test/chaos/: faults on real clusters, ten minutes of the run) only when a filter names
// it (`npm run test:chaos`; CI runs it after the default run).
// Extra arguments filter by path substring: `node scripts/run-tests.mjs raft/`;
// RAFTIS_TEST_SKIP=a/,b/ leaves out the files whose path contains any of those substrings.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const slow = process.env.RAFTIS_SLOW_TESTS === '1';
const skipped = (process.env.RAFTIS_TEST_SKIP ?? '').split(',').filter((s) => s !== '');
const CHAOS = 'test/chaos/';
const chaos = filters.some((s) => s.includes('chaos'));
const files = walk('test')
  .filter((f) => slow || !f.endsWith('.slow.test.ts'))
  .filter((f) => chaos || !f.startsWith(CHAOS))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .filter((f) => !skipped.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// TAP as before, then the failures again at the very end (scripts/failures-reporter.mjs).
const reporters = [
  '--test-reporter=tap', '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/failures-reporter.mjs', '--test-reporter-destination=stdout',
];
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...reporters, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
