// CPU per request (and the rate) of the type writes on two running clusters, alternating test by test, so a
// change's effect on the whole replicated path (client parse, propose, WAL, replication, apply on
// every node) is compared within one run on a busy machine: redis-benchmark -P 16 (or -P 1)
// against each cluster's leader, the server CPU (user + system, /proc/PID/stat) of the three
// nodes listening on the given client ports summed over each test's run, per request. SET runs
// first and last in each round, as in the types workload.
//   node --import tsx bench/types-cpu-ab.ts --a PORT,PORT,PORT --b PORT,PORT,PORT [--tests set,zadd,...] [--requests N] [--pipeline P] [--rounds R]
// (the first port of each list must be the leader's).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { typeBenchmarkArgs } from './types-throughput.js';
import { loadAverage } from './machine.js';
import { parseRedisBenchmarkRows } from './pipelined.js';

const TICKS_PER_SECOND = 100;

/** The pid listening on TCP `port` on 127.0.0.1 (from ss). */
function pidOnPort(port: number): number {
  const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const match = /pid=(\d+)/.exec(out);
  if (match === null) throw new Error(`nothing listens on ${port}`);
  return Number(match[1]);
}

function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

function main(): void {
  const { values } = parseArgs({ options: { a: { type: 'string' }, b: { type: 'string' }, tests: { type: 'string', default: 'set,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,mset,set' }, requests: { type: 'string', default: '100000' }, pipeline: { type: 'string', default: '16' }, rounds: { type: 'string', default: '2' } } });
  const systems = (['a', 'b'] as const).map((name) => {
    const ports = (values[name] ?? '').split(',').map(Number);
    return { name, leader: ports[0] as number, pids: ports.map(pidOnPort) };
  });
  const requests = Number(values.requests);
  const results = new Map<string, string[]>();
  console.log(`load average at start: ${loadAverage()}`);
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const test of values.tests.split(',')) {
      for (const system of round % 2 === 0 ? systems : [...systems].reverse()) {
        const before = cpuSeconds(system.pids);
        const out = execFileSync('redis-benchmark', typeBenchmarkArgs(system.leader, test, requests, Number(values.pipeline)), { encoding: 'utf8' });
        const us = ((cpuSeconds(system.pids) - before) * 1e6) / requests;
        const rate = parseRedisBenchmarkRows(out).at(-1)?.requestsPerSecond ?? 0;
        const key = `${test}\t${system.name}`;
        results.set(key, [...(results.get(key) ?? []), `${us.toFixed(1)} µs (${Math.round(rate)}/s)`]);
      }
    }
  }
  for (const [key, runs] of results) {
    const [test, name] = key.split('\t');
    console.log(`${(test as string).padEnd(8)} ${name as string} CPU per request (rate): ${runs.join(', ')}`);
  }
  console.log(`load average at end: ${loadAverage()}`);
}

main();
