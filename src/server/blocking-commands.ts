// The blocking commands' rows: for each, which keys it waits on, for which type, where its
// timeout is, and the command that serves it from one ready key. The state machine applies a
// blocking command as its non-blocking form (kv/list-commands.ts, kv/zset-*.ts), so serving a
// waiter is proposing its own command again with only the ready key: a waiter on `BLPOP a b
// 0` is served from b by `BLPOP b 0`, answered in the same shape as the first attempt.
// Arguments reach these rows only after the state machine's parse accepted them.

import { parseBlockingTimeout } from '../kv/blocking-form.js';
import type { CollectionTypeName } from '../kv/value.js';
import type { Reply } from '../kv/reply.js';
import { WAIT_MARK } from '../kv/stream-commands.js';

/** The IDs of a stream read's wait marker (kv/stream-commands.ts), or null for any other reply. */
function streamWaitIds(reply: Reply): Buffer[] | null {
  if (reply.kind !== 'push') return null;
  const [mark, ...ids] = reply.value;
  if (mark?.kind !== 'bulk' || mark.value === null || !WAIT_MARK.equals(mark.value)) return null;
  return ids.map((id) => Buffer.from(id.kind === 'bulk' && id.value !== null ? id.value : new Uint8Array(0)));
}

export interface BlockingRow {
  /** The type a waited key must hold to serve the command. */
  readonly type: CollectionTypeName;
  /** The keys waited on, in the command's order (may repeat). */
  keys(argv: readonly Buffer[]): Buffer[];
  /** The timeout argument. */
  timeout(argv: readonly Buffer[]): Buffer;
  /** The command that serves this one from `key` alone. */
  serveFrom(argv: readonly Buffer[], key: Buffer): Buffer[];
  /** Most elements one serving takes (COUNT): what a ready key must still hold for the next waiter. */
  takes(argv: readonly Buffer[]): number;
  /** The timeout in ms (0 = forever) when it is not in seconds (XREAD's BLOCK). */
  timeoutMs?(argv: readonly Buffer[]): number;
  /**
   * When its answers are not nil for "nothing": the command to wait with after `reply`
   * (a stream read's wait marker names the IDs to read from), or null when `reply` is the answer.
   */
  waitArgv?(argv: readonly Buffer[], reply: Reply): readonly Buffer[] | null;
  /** The answer when a waited key no longer holds the type waited for, or null to keep waiting. */
  gone?(argv: readonly Buffer[]): Reply | null;
  /** False when this call cannot wait (XREAD without BLOCK): it runs as the plain read or write it is. */
  mayBlock?(argv: readonly Buffer[]): boolean;
}

function argAt(argv: readonly Buffer[], index: number): Buffer {
  const value = argv[index];
  if (value === undefined) throw new Error(`blocking: argument ${index} missing from ${argv.length} (parsed before?)`);
  return value;
}

/** BLPOP key [key ...] timeout, and the same shape (BZPOPMIN). */
function keysThenTimeout(type: CollectionTypeName): BlockingRow {
  return {
    type,
    keys: (argv) => argv.slice(1, -1),
    timeout: (argv) => argAt(argv, argv.length - 1),
    serveFrom: (argv, key) => [argAt(argv, 0), key, argAt(argv, argv.length - 1)],
    takes: () => 1,
  };
}

/** BLMOVE source destination from to timeout, BRPOPLPUSH source destination timeout: one source. */
function sourceThenTimeoutAt(timeoutAt: number): BlockingRow {
  return {
    type: 'list',
    keys: (argv) => [argAt(argv, 1)],
    timeout: (argv) => argAt(argv, timeoutAt),
    serveFrom: (argv) => [...argv],
    takes: () => 1,
  };
}

/** BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count], and BZMPOP (MIN|MAX). */
function multiPop(type: CollectionTypeName): BlockingRow {
  const numkeys = (argv: readonly Buffer[]): number => Number(argAt(argv, 2).toString('latin1'));
  const options = (argv: readonly Buffer[]): Buffer[] => argv.slice(3 + numkeys(argv));
  return {
    type,
    keys: (argv) => argv.slice(3, 3 + numkeys(argv)),
    timeout: (argv) => argAt(argv, 1),
    serveFrom: (argv, key) => [argAt(argv, 0), argAt(argv, 1), Buffer.from('1'), key, ...options(argv)],
    takes: (argv) => {
      const rest = options(argv);
      const count = rest.findIndex((word, i) => i > 0 && word.toString('latin1').toLowerCase() === 'count');
      return count < 0 ? 1 : Number(argAt(rest, count + 1).toString('latin1'));
    },
  };
}

/**
 * XREAD and XREADGROUP [COUNT n] [BLOCK ms] [NOACK] STREAMS key... id...: without BLOCK the
 * first answer is final; with it, "nothing" is the state machine's wait marker carrying the
 * IDs the read started from (`$` resolved at its entry), which replace the command's IDs.
 */
function streamRead(group: boolean): BlockingRow {
  const streamsAt = (argv: readonly Buffer[]): number => argv.findIndex((word, i) => i > 0 && word.toString('latin1').toLowerCase() === 'streams') + 1;
  const blockAt = (argv: readonly Buffer[]): number => argv.findIndex((word, i) => i > 0 && i < streamsAt(argv) && word.toString('latin1').toLowerCase() === 'block');
  const half = (argv: readonly Buffer[]): number => (argv.length - streamsAt(argv)) / 2;
  return {
    type: 'stream',
    keys: (argv) => argv.slice(streamsAt(argv), streamsAt(argv) + half(argv)),
    timeout: (argv) => argAt(argv, blockAt(argv) + 1),
    timeoutMs: (argv) => (blockAt(argv) < 0 ? 0 : Number(argAt(argv, blockAt(argv) + 1).toString('latin1'))),
    serveFrom: (argv, key) => {
      const at = streamsAt(argv);
      const index = argv.slice(at, at + half(argv)).findIndex((candidate) => candidate.equals(key));
      return [...argv.slice(0, at), key, argAt(argv, at + half(argv) + index)];
    },
    takes: () => 1,
    // A group reader's stream went (deleted, replaced, flushed): Redis answers it this error; a plain reader waits on.
    gone: () => (group ? { kind: 'error', message: 'UNBLOCKED the stream key no longer exists' } : null),
    mayBlock: (argv) => blockAt(argv) >= 0,
    waitArgv: (argv, reply) => {
      const ids = streamWaitIds(reply);
      if (ids === null || blockAt(argv) < 0) return null;
      // A serving from one key answers with that key's ID, which was already concrete: the command stays.
      if (ids.length !== half(argv)) return argv;
      return [...argv.slice(0, streamsAt(argv) + half(argv)), ...ids];
    },
  };
}

const rows = new Map<string, BlockingRow>([
  ['xread', streamRead(false)],
  ['xreadgroup', streamRead(true)],
  ['blpop', keysThenTimeout('list')],
  ['brpop', keysThenTimeout('list')],
  ['blmove', sourceThenTimeoutAt(5)],
  ['brpoplpush', sourceThenTimeoutAt(3)],
  ['blmpop', multiPop('list')],
  ['bzpopmin', keysThenTimeout('zset')],
  ['bzpopmax', keysThenTimeout('zset')],
  ['bzmpop', multiPop('zset')],
]);

/** The row of a command the state machine flags 'blocking'; undefined for any other. */
export function blockingRow(name: string): BlockingRow | undefined {
  return rows.get(name);
}

/** Whether a command flagged blocking may wait this time (XREAD without BLOCK never does: a plain read). */
export function mayBlock(argv: readonly Buffer[]): boolean {
  const row = blockingRow((argv[0] ?? Buffer.alloc(0)).toString('latin1').toLowerCase());
  return row?.mayBlock?.(argv) ?? true;
}

/** A row's timeout in ms (0 = forever); the state machine's parse accepted it before. */
export function timeoutMsOf(row: BlockingRow, argv: readonly Buffer[]): number {
  return row.timeoutMs !== undefined ? row.timeoutMs(argv) : parseBlockingTimeout(row.timeout(argv));
}
