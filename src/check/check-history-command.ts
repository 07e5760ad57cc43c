// `raftis check-history FILE [--format jepsen|edn|jsonl] [--timeout-ms N]`: reads a
// recorded history, checks it, prints one summary line (and the counterexample when
// there is one) and returns the exit code. The CLI in src/cli/ only forwards argv.
import { readFile } from 'node:fs/promises';
import { CHECK_TIMEOUT_MS_DEFAULT, checkKvHistory } from './check-kv-history.js';
import type { CheckResult } from './check-kv-history.js';
import { formatHistory } from './format-history.js';
import { parseHistory } from './parse-history.js';
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

const USAGE = 'usage: raftis check-history FILE [--format jepsen|edn|jsonl] [--timeout-ms N]';

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
  let timeoutMs = CHECK_TIMEOUT_MS_DEFAULT;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '--format' || flag === '--timeout-ms') {
      const value = inline ?? argv[++i];
      if (value === undefined) return `${flag} needs a value`;
      if (flag === '--format') {
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
  return format === undefined ? { file, timeoutMs } : { file, format, timeoutMs };
}
