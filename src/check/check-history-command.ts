// `raftis check-history FILE [--format jepsen|edn|jsonl] [--model kv|list-append] [--timeout-ms N]`:
// reads a recorded history, checks it, prints one summary line (and the counterexample when
// there is one) and returns the exit code. Key-value histories are checked for
// linearizability, list-append transaction histories (told apart by their first line, or
// by --model) for strict serializability. The CLI in src/cli/ only forwards argv.
import { readFile } from 'node:fs/promises';
import { CHECK_TIMEOUT_MS_DEFAULT, checkKvHistory } from './check-kv-history.js';
import type { CheckResult } from './check-kv-history.js';
import { formatHistory } from './format-history.js';
import { checkListAppend } from './check-list-append.js';
import { describeListAppendResult } from './format-list-append.js';
import { TxnHistoryError } from './list-append-graph.js';
import { detectFormat, parseHistory } from './parse-history.js';
import { looksLikeTxnHistory, parseTxnHistory } from './parse-txn-history.js';
import { HISTORY_FORMATS } from './parsed-history.js';
import type { HistoryFormat } from './parsed-history.js';

export const EXIT_LINEARIZABLE = 0;
export const EXIT_NOT_LINEARIZABLE = 1;
export const EXIT_UNDECIDED = 2;
/** sysexits.h: EX_USAGE, EX_DATAERR (unreadable history), EX_NOINPUT (no such file). */
export const EXIT_USAGE = 64;
export const EXIT_BAD_INPUT = 65;
export const EXIT_NO_INPUT = 66;

/** Largest --timeout-ms accepted: one day. */
const TIMEOUT_MS_MAX = 86_400_000;

const USAGE = 'usage: raftis check-history FILE [--format jepsen|edn|jsonl] [--model kv|list-append] [--timeout-ms N]';

/** What a history records: single-key operations, or list-append transactions. */
export type HistoryModel = 'kv' | 'list-append';
const HISTORY_MODELS: readonly HistoryModel[] = ['kv', 'list-append'];

export interface CommandOutput {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const processOutput: CommandOutput = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

interface Arguments {
  readonly file: string;
  readonly format?: HistoryFormat;
  readonly model?: HistoryModel;
  readonly timeoutMs: number;
}

export async function checkHistoryCommand(argv: string[], output: CommandOutput = processOutput): Promise<number> {
  const parsed = parseArguments(argv);
  if (typeof parsed === 'string') {
    output.err(`check-history: ${parsed}`);
    output.err(USAGE);
    return EXIT_USAGE;
  }
  let text: string;
  try {
    text = await readFile(parsed.file, 'utf8');
  } catch (error) {
    output.err(`check-history: cannot read ${parsed.file}: ${(error as Error).message}`);
    return EXIT_NO_INPUT;
  }
  if ((parsed.model ?? (looksLikeTxnHistory(text) ? 'list-append' : 'kv')) === 'list-append') return checkTxnFile(parsed, text, output);
  const history = parseHistory(text, parsed.format);
  if (!history.ok) {
    output.err(`check-history: ${parsed.file}: ${history.error}`);
    return EXIT_BAD_INPUT;
  }
  const result = checkKvHistory(history.history.ops, {
    timeoutMs: parsed.timeoutMs,
    initialValue: history.history.initialValue,
  });
  for (const line of describeCheckResult(result)) output.out(line);
  return result.verdict === 'linearizable'
    ? EXIT_LINEARIZABLE
    : result.verdict === 'not-linearizable'
      ? EXIT_NOT_LINEARIZABLE
      : EXIT_UNDECIDED;
}

/** A list-append history: strict serializable exits 0, an anomaly 1. */
function checkTxnFile(parsed: Arguments, text: string, output: CommandOutput): number {
  const format = parsed.format ?? detectFormat(text);
  if (format !== 'edn' && format !== 'jsonl') {
    output.err(`check-history: ${parsed.file}: list-append histories are EDN or JSON lines${format === null ? '; cannot tell which from the first line' : `, not ${format}`}`);
    return EXIT_BAD_INPUT;
  }
  const history = parseTxnHistory(text, format);
  if (!history.ok) {
    output.err(`check-history: ${parsed.file}: ${history.error}`);
    return EXIT_BAD_INPUT;
  }
  try {
    const result = checkListAppend(history.ops);
    for (const line of describeListAppendResult(result, history.ops)) output.out(line);
    return result.valid ? EXIT_LINEARIZABLE : EXIT_NOT_LINEARIZABLE;
  } catch (error) {
    if (!(error instanceof TxnHistoryError)) throw error;
    output.err(`check-history: ${parsed.file}: ${error.message}`);
    return EXIT_BAD_INPUT;
  }
}

/** The summary line, then for a violation the operations around it. */
export function describeCheckResult(result: CheckResult): string[] {
  const size = `${result.ops} ops, ${result.keys} ${result.keys === 1 ? 'key' : 'keys'}`;
  const seconds = `${(result.elapsedMs / 1000).toFixed(2)} s`;
  switch (result.verdict) {
    case 'linearizable':
      return [`linearizable: ${size}, ${seconds}`];
    case 'unknown':
      return [
        `unknown: ${result.reason === 'timeout' ? 'timed out' : 'search memory limit reached'} after ${seconds} ` +
          `with ${result.undecidedKeys.length} of ${result.keys} keys undecided ` +
          `(${result.undecidedKeys.slice(0, 5).map((k) => JSON.stringify(k)).join(', ')}${result.undecidedKeys.length > 5 ? ', …' : ''})`,
      ];
    case 'not-linearizable': {
      const { key, failing, prefix, window, narrowed } = result.violation;
      return [
        `NOT linearizable: key ${JSON.stringify(key)}: the first ${prefix.length} of its ops cannot be linearized ` +
          `(${size}, ${seconds}${narrowed ? '' : '; narrowing ran out of time, the failure may lie earlier'})`,
        `showing ${window.length} ops around the first that cannot be explained (process, call → return, op => result):`,
        formatHistory(window, failing),
      ];
    }
  }
}

function parseArguments(argv: readonly string[]): Arguments | string {
  let file: string | undefined;
  let format: HistoryFormat | undefined;
  let model: HistoryModel | undefined;
  let timeoutMs = CHECK_TIMEOUT_MS_DEFAULT;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '--format' || flag === '--timeout-ms' || flag === '--model') {
      const value = inline ?? argv[++i];
      if (value === undefined) return `${flag} needs a value`;
      if (flag === '--model') {
        if (!(HISTORY_MODELS as readonly string[]).includes(value)) return `unknown model "${value}"`;
        model = value as HistoryModel;
      } else if (flag === '--format') {
        if (!(HISTORY_FORMATS as readonly string[]).includes(value)) return `unknown format "${value}"`;
        format = value as HistoryFormat;
      } else {
        const ms = Number(value);
        if (!/^\d+$/.test(value) || ms < 1 || ms > TIMEOUT_MS_MAX) return `invalid --timeout-ms "${value}": an integer in [1, ${TIMEOUT_MS_MAX}]`;
        timeoutMs = ms;
      }
    } else if (arg.startsWith('-') && arg !== '-') {
      return `unknown option "${arg}"`;
    } else if (file !== undefined) {
      return `one history file only (got "${file}" and "${arg}")`;
    } else {
      file = arg;
    }
  }
  if (file === undefined) return 'missing history FILE';
  return { file, timeoutMs, ...(format === undefined ? {} : { format }), ...(model === undefined ? {} : { model }) };
}
