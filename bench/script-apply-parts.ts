// Where an EVALSHA's apply CPU goes, by difference: the state machine in-process applies
// EVALSHA of scripts that add one part at a time (entering and leaving the VM; reading KEYS;
// three redis.calls of a command with no handler work, PING; three GETs; issue 17's
// GET + INCR + EXPIRE), beside plain GET and INCR entries, each on 1,000 keys with request
// ids as a pipelining client's. Prints CPU µs per apply (user + system of this process, the
// minimum of the rounds after the first, which warms the JIT):
//   node --import tsx bench/script-apply-parts.ts [--src DIR] [--rounds N] [--only NAME]
// DIR is a checkout's built dist/src (default) or src/.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { TIME_MS } from './in-process.js';
import { RMW_SCRIPT } from './rmw-script.js';

interface Machine { apply(index: number, data: Uint8Array): unknown }
type Encode = (c: { origin: string; client: number; seq: number; firstUnanswered: number; time: number; argv: readonly Uint8Array[] }) => Uint8Array;

/** Each workload: a script body (run by EVALSHA with one key), or a plain command of one key. */
const PARTS: readonly { readonly name: string; readonly script?: string; readonly command?: string }[] = [
  { name: 'EVALSHA return 1', script: 'return 1' },
  { name: 'EVALSHA return KEYS[1]', script: 'return KEYS[1]' },
  { name: 'EVALSHA 3 × PING', script: "redis.call('PING') redis.call('PING') redis.call('PING') return 1" },
  { name: 'EVALSHA 3 × GET', script: "redis.call('GET', KEYS[1]) redis.call('GET', KEYS[1]) redis.call('GET', KEYS[1]) return 1" },
  { name: 'EVALSHA GET + INCR + EXPIRE', script: RMW_SCRIPT },
  { name: 'GET', command: 'GET' },
  { name: 'INCR', command: 'INCR' },
];
const APPLIES = 40_000;
const KEYS = 1000;

async function load(srcDir: string): Promise<{ machine: () => Machine; encode: Encode }> {
  const src = resolve(srcDir);
  const ext = existsSync(`${src}/kv/state-machine.js`) ? 'js' : 'ts';
  const kv = (await import(pathToFileURL(`${src}/kv/state-machine.${ext}`).href)) as { KvStateMachine: new () => Machine };
  const codec = (await import(pathToFileURL(`${src}/kv/command-codec.${ext}`).href)) as { encodeCommand: Encode };
  return { machine: () => new kv.KvStateMachine(), encode: codec.encodeCommand };
}

/** CPU µs per apply of one workload on a new state machine. */
function measure(build: { machine: () => Machine; encode: Encode }, part: (typeof PARTS)[number]): number {
  const machine = build.machine();
  let index = 1;
  let seq = 0;
  const entry = (argv: readonly string[]): Uint8Array => {
    seq++;
    return build.encode({ origin: 'n1/boot', client: 1, seq, firstUnanswered: Math.max(1, seq - 32), time: TIME_MS + index, argv: argv.map((a) => Buffer.from(a)) });
  };
  if (part.script !== undefined) machine.apply(index++, entry(['SCRIPT', 'LOAD', part.script]));
  const sha = part.script === undefined ? '' : createHash('sha1').update(part.script).digest('hex');
  const entries = Array.from({ length: APPLIES }, (_, i) => entry(part.script === undefined ? [part.command as string, `key:${i % KEYS}`] : ['EVALSHA', sha, '1', `key:${i % KEYS}`]));
  const start = process.cpuUsage();
  let reply: unknown = null;
  for (const data of entries) reply = machine.apply(index++, data);
  const used = process.cpuUsage(start);
  if ((reply as { kind?: string } | null)?.kind === 'error') throw new Error(`${part.name} answered an error: ${JSON.stringify(reply)}`);
  return (used.user + used.system) / APPLIES;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { src: { type: 'string', default: 'dist/src' }, rounds: { type: 'string', default: '5' }, only: { type: 'string' } } });
  const build = await load(values.src);
  const parts = PARTS.filter((p) => values.only === undefined || p.name === values.only);
  const runs = new Map<string, number[]>();
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const part of parts) runs.set(part.name, [...(runs.get(part.name) ?? []), measure(build, part)]);
  }
  for (const [name, us] of runs) {
    const warm = us.length > 1 ? us.slice(1) : us;
    process.stdout.write(`${name.padEnd(28)} min ${Math.min(...warm).toFixed(2)} µs (${us.map((u) => u.toFixed(2)).join(', ')})\n`);
  }
}

await main();
