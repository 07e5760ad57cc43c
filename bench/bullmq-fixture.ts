// The log of a real BullMQ run, as bench/bullmq-capture.ts records it and bench/bullmq-apply.ts
// (and test/kv/bullmq-replay.test.ts) replay it: gzipped JSON lines, a header, then one command
// per line in log order with its request id and cluster time (arguments base64).

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const BULLMQ_FIXTURE = resolve('bench/fixtures/bullmq-jobs.jsonl.gz');

export interface FixtureHeader {
  readonly bullmq: string;
  readonly jobs: number;
  readonly capturedAt: string;
  /** SHA-1 of each BullMQ script's text → its name (addStandardJob, moveToActive, ...). */
  readonly scripts: Record<string, string>;
}

/** One command as the log carried it (argv base64). */
export interface FixtureCommand {
  readonly origin: string;
  readonly client: number;
  readonly seq: number;
  readonly firstUnanswered: number;
  readonly time: number;
  readonly argv: readonly string[];
}

export function readFixture(path = BULLMQ_FIXTURE): { header: FixtureHeader; commands: FixtureCommand[] } {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n').filter((line) => line.length > 0);
  const [first, ...rest] = lines;
  if (first === undefined) throw new Error(`${path} is empty`);
  return { header: JSON.parse(first) as FixtureHeader, commands: rest.map((line) => JSON.parse(line) as FixtureCommand) };
}

/** A command's arguments as bytes. */
export function fixtureArgv(command: FixtureCommand): Buffer[] {
  return command.argv.map((a) => Buffer.from(a, 'base64'));
}
