// `raftis sim`: argument handling, exit codes, and the replay line a failure prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { faultKinds, formatFaults, parseFaults, reproduceCommand, simCommand } from '../../src/sim/index.js';

async function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await simCommand(argv, (line) => lines.push(line));
  return { code, lines };
}

test('one clean seed exits 0 and describes the run', async () => {
  const { code, lines } = await run(['--seed', '3', '--faults', 'none', '--duration-ms', '1500']);
  assert.equal(code, 0);
  assert.match(lines.at(-1) ?? '', /^seed 3: ok; \d+ events/);
});

test('--trace prints the events before the summary', async () => {
  const { code, lines } = await run(['--seed', '3', '--faults', 'none', '--duration-ms', '1500', '--trace']);
  assert.equal(code, 0);
  assert.ok(lines.length > 100, `${lines.length} lines`);
  assert.match(lines[0] ?? '', /^\d+\.\d{3} (n\d|sim) /);
});

test('a sweep prints a summary with the rate', async () => {
  const { code, lines } = await run(['--seeds', '2', '--from', '5', '--faults', 'none', '--duration-ms', '1500']);
  assert.equal(code, 0);
  assert.match(lines.at(-1) ?? '', /^2 seeds \(5\.\.6\) in [\d.]+ s, [\d.]+ seeds\/s, 0 failed$/);
});

test('a sweep over child processes runs every seed once', async () => {
  const { code, lines } = await run(['--seeds', '3', '--from', '5', '--jobs', '2', '--faults', 'none', '--duration-ms', '1500']);
  assert.equal(code, 0);
  assert.match(lines.at(-1) ?? '', /^3 seeds \(5\.\.7\) in [\d.]+ s, [\d.]+ seeds\/s, 0 failed$/);
});

test('a sweep with a progress display tells it every seed done and the end, instead of progress lines', async () => {
  const updates: number[] = [];
  const finished: string[] = [];
  let total = 0;
  const lines: string[] = [];
  const code = await simCommand(['--seeds', '3', '--from', '5', '--faults', 'none', '--duration-ms', '1500'], (line) => lines.push(line), (seeds) => {
    total = seeds;
    return { update: (done) => updates.push(done), finish: (summary) => finished.push(summary) };
  });
  assert.equal(code, 0);
  assert.equal(total, 3);
  assert.deepEqual(updates, [1, 2, 3]);
  assert.deepEqual(finished, ['3 seeds, 0 failed']);
  assert.deepEqual(lines.length, 1, lines.join('\n')); // the summary alone on stdout
});

test('bad arguments exit 2 with the usage', async () => {
  for (const argv of [[], ['--seed', 'x'], ['--seeds', '2', '--jobs', '0'], ['--seed', '1', '--seeds', '2'], ['--nodes', '4', '--seed', '1'], ['--faults', 'fire', '--seed', '1'], ['--bogus', '1']]) {
    const { code, lines } = await run(argv);
    assert.equal(code, 2, argv.join(' '));
    assert.match(lines.join('\n'), /usage: raftis sim/);
  }
});

test('targeted fault kinds are named one by one, and the replay line keeps them and the Append split', async () => {
  const faults = parseFaults('all,cut-leader');
  assert.ok(!(faults instanceof Error));
  assert.equal(faults.size, faultKinds.length + 1);
  assert.equal(formatFaults(faults), 'all,cut-leader');
  assert.equal(formatFaults(new Set(faultKinds)), 'all');
  const only = parseFaults('cut-leader,crash');
  assert.ok(!(only instanceof Error));
  assert.equal(formatFaults(only), 'crash,cut-leader');
  const options = { seed: 4, nodes: 3, durationMs: 1_500, faults, clients: 2, keys: 3, snapshotEntries: 64, trace: false, bugs: {}, appendEntriesMax: 1 } as const;
  assert.equal(reproduceCommand(options), 'raftis sim --seed 4 --faults all,cut-leader --duration-ms 1500 --clients 2 --append-entries 1 --trace');
  const { code, lines } = await run(['--seed', '4', '--faults', 'cut-leader', '--append-entries', '1', '--duration-ms', '1500']);
  assert.equal(code, 0, lines.join('\n'));
  assert.equal((await run(['--seed', '4', '--append-entries', '0'])).code, 2);
});

test('--pipeline runs clients with several operations in flight and the replay line keeps it', async () => {
  const { code, lines } = await run(['--seed', '4', '--pipeline', '3', '--duration-ms', '1500']);
  assert.equal(code, 0, lines.join('\n'));
  const options = { seed: 4, nodes: 3, durationMs: 1_500, faults: new Set(faultKinds), clients: 6, keys: 3, snapshotEntries: 64, trace: false, bugs: {}, pipeline: 3 } as const;
  assert.equal(reproduceCommand(options), 'raftis sim --seed 4 --faults all --duration-ms 1500 --pipeline 3 --trace');
  assert.equal((await run(['--seed', '4', '--pipeline', '0'])).code, 2);
  const tooDeep = await run(['--seed', '4', '--pipeline', '17']);
  assert.equal(tooDeep.code, 2, 'above SIM_PIPELINE_MAX');
  assert.match(tooDeep.lines.join('\n'), /pipeline must be an integer in \[1, 16\] \(got 17\)/);
});
