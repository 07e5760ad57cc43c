// The register workload's operations: GET, SET, APPEND, SET … IFEQ, INCR and DEL on a few
// keys, some run as scripts (EVAL_RO, EVAL) with the same effect and reply, plus lists and
// sorted sets on keys of their own; every operation is recorded for the linearizability
// checker, which judges the history at the end of the run.
import { HistoryRecorder, checkKvHistory, formatOp, type KvOp, type KvResult } from '../check/index.js';
import type { Reply } from '../kv/reply.js';
import { SimViolation } from './safety-monitor.js';
import type { SimRandom } from './sim-random.js';
import { args, type OperationSource, type SimOperation } from './operation-source.js';

/** Checker time budget for one run's history. */
const CHECK_TIMEOUT_MS = 20_000;

export class RegisterOps implements OperationSource {
  readonly history = new HistoryRecorder();

  /** `longScripts`: some scripted increments run long first (SimOptions.scriptSlices). */
  constructor(
    private readonly random: SimRandom,
    private readonly keys: number,
    private readonly longScripts = false,
  ) {}

  begin(process: number, now: number): SimOperation {
    const { op, argv } = this.choose();
    const id = this.history.invoke(process, op, now);
    const history = this.history;
    const refuse = (reply: Reply): never => {
      throw new SimViolation('client', `${op.f} ${op.key} answered ${JSON.stringify(reply)}`);
    };
    return {
      argv,
      write: isWrite(op),
      label: `${op.f} ${op.key}`,
      answered: (reply, time) => {
        if (isWrite(op) && reply.kind === 'error') {
          // The command ran and was refused (e.g. INCR of a non-integer): no effect.
          history.fail(id, time);
          return 'failed';
        }
        const result = isWrite(op) ? writeResult(op, reply) : readResult(op, reply);
        if (result === undefined) return refuse(reply);
        history.ok(id, result, time);
        return 'ok';
      },
      unanswered: (outcome, time) => (outcome === 'unknown' ? history.info(id, time) : history.fail(id, time)),
    };
  }

  check(): SimViolation | null {
    // A run that both lost an answer and broke linearizability reports the worse of the two: the caller checks this first.
    const verdict = checkKvHistory(this.history.history(), { timeoutMs: CHECK_TIMEOUT_MS });
    if (verdict.verdict === 'not-linearizable') {
      const window = verdict.violation.window.map((op) => `    ${formatOp(op)}`).join('\n');
      return new SimViolation('linearizability', `key ${verdict.violation.key}: ${formatOp(verdict.violation.failing)} cannot be explained\n${window}`);
    }
    if (verdict.verdict === 'unknown') return new SimViolation('linearizability', `checker gave up (${verdict.reason}) on keys ${verdict.undecidedKeys.join(', ')}`);
    return null;
  }

  private choose(): { op: KvOp; argv: Uint8Array[] } {
    const random = this.random;
    const roll = random.int(100);
    if (roll < 20) return this.chooseCollectionOp(roll);
    const key = `k${random.int(this.keys)}`;
    const digit = (): string => String(random.int(10));
    // Some reads, puts and increments go through a script instead (EVAL_RO, EVAL): the same
    // effect and reply, so the register model checks scripts too (chosen by the roll, so a
    // seed draws the same numbers as before scripts were added).
    if (roll < 40) return { op: { f: 'get', key }, argv: roll < 34 ? args('GET', key) : args('EVAL_RO', scriptGet, '1', key) };
    if (roll < 48) {
      const value = digit();
      return { op: { f: 'put', key, value }, argv: roll < 45 ? args('SET', key, value) : args('EVAL', scriptSet, '1', key, value) };
    }
    if (roll < 60) {
      const value = digit();
      return { op: { f: 'append', key, value }, argv: args('APPEND', key, value) };
    }
    if (roll < 75) {
      const expected = digit();
      const value = digit();
      return { op: { f: 'cas', key, expected, value }, argv: args('SET', key, value, 'IFEQ', expected) };
    }
    if (roll < 90) return { op: { f: 'incr', key, by: 1 }, argv: roll < 85 ? args('INCR', key) : this.scriptedIncr(key) };
    return { op: { f: 'del', key }, argv: args('DEL', key) };
  }

  /**
   * INCR through a script; with long scripts, half of them count first: some past a few
   * slices (LONG_SCRIPT_LOOPS), one in four of those past the kill point (KILLABLE_LOOPS: the
   * run's write waits for its decision entry).
   */
  private scriptedIncr(key: string): Uint8Array[] {
    if (!this.longScripts || this.random.int(2) === 0) return args('EVAL', scriptIncr, '1', key);
    const loops = this.random.int(4) === 0 ? KILLABLE_LOOPS : LONG_SCRIPT_LOOPS;
    return args('EVAL', scriptCountThenIncr, '1', key, String(loops));
  }

  /** Lists (keys l0…) and sorted sets (keys z0…): one op in five, each key keeping its own type. */
  private chooseCollectionOp(roll: number): { op: KvOp; argv: Uint8Array[] } {
    const random = this.random;
    const slot = random.int(this.keys);
    const digit = (): string => String(random.int(10));
    if (roll < 6) {
      const key = `l${slot}`;
      const value = digit();
      return { op: { f: 'rpush', key, value }, argv: args('RPUSH', key, value) };
    }
    if (roll < 10) return { op: { f: 'lrange', key: `l${slot}` }, argv: args('LRANGE', `l${slot}`, '0', '-1') };
    if (roll < 16) {
      const key = `z${slot}`;
      const member = `m${digit()}`;
      const score = random.int(10);
      return { op: { f: 'zadd', key, member, score }, argv: args('ZADD', key, String(score), member) };
    }
    return { op: { f: 'zrange', key: `z${slot}` }, argv: args('ZRANGE', `z${slot}`, '0', '-1', 'WITHSCORES') };
  }
}

function isWrite(op: KvOp): boolean {
  return op.f !== 'get' && op.f !== 'lrange' && op.f !== 'zrange';
}

const scriptGet = "return redis.call('get', KEYS[1])";
const scriptSet = "return redis.call('set', KEYS[1], ARGV[1])";
const scriptIncr = "return redis.call('incr', KEYS[1])";
/** A script that runs a while before its write: about two Lua instructions per loop. */
const scriptCountThenIncr = "local n = 0 for i = 1, tonumber(ARGV[1]) do n = n + 1 end return redis.call('incr', KEYS[1])";
/** Loops of a long script: ~10,000 instructions, ten of the VM's checks for a pause. */
const LONG_SCRIPT_LOOPS = 5_000;
/** Loops of a script past the kill point (KILLABLE_AFTER_INSTRUCTIONS, 100,000) before its write. */
const KILLABLE_LOOPS = 60_000;

/** A read's result as the history records it (history.ts), or undefined for a reply that does not fit. */
function readResult(op: KvOp, reply: Reply): KvResult | undefined {
  const text = (item: Reply | undefined): string | undefined =>
    item?.kind === 'bulk' && item.value !== null ? Buffer.from(item.value).toString('latin1') : undefined;
  switch (op.f) {
    case 'get':
      return reply.kind === 'bulk' ? (reply.value === null ? null : text(reply)) : undefined;
    case 'lrange': {
      if (reply.kind !== 'array' || reply.value === null) return undefined;
      const items = reply.value.map(text);
      return items.every((item) => item !== undefined) ? items.join('') : undefined;
    }
    case 'zrange': {
      // WITHSCORES: (member, score) pairs; the workload's scores are small integers.
      if (reply.kind !== 'pairs') return undefined;
      const pairs = reply.value.map(([member, score]) => (score.kind === 'double' ? `${text(member) ?? '?'}:${score.value}` : undefined));
      return pairs.every((pair) => pair !== undefined) ? pairs.join(',') : undefined;
    }
    default:
      return undefined;
  }
}

function writeResult(op: KvOp, reply: Reply): KvResult | undefined {
  switch (op.f) {
    case 'put':
      return reply.kind === 'simple' ? 'ok' : undefined;
    case 'append':
    case 'del':
      return reply.kind === 'integer' ? 'ok' : undefined;
    case 'incr':
    case 'rpush':
    case 'zadd':
      return reply.kind === 'integer' ? Number(reply.value) : undefined;
    case 'cas':
      if (reply.kind === 'simple') return true;
      if ((reply.kind === 'bulk' && reply.value === null) || reply.kind === 'null') return false;
      return undefined;
    case 'get':
    case 'lrange':
    case 'zrange':
      return undefined;
  }
}
