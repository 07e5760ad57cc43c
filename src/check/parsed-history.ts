// What every history parser returns: the operations plus what the keys start as, or
// an error naming the line that could not be read.
import type { HistoryOp } from './history.js';

export type HistoryFormat = 'jepsen' | 'edn' | 'jsonl';
export const HISTORY_FORMATS: readonly HistoryFormat[] = ['jepsen', 'edn', 'jsonl'];

export interface ParsedHistory {
  readonly format: HistoryFormat;
  readonly ops: HistoryOp[];
  /** The value of every key before the history starts (null = absent). */
  readonly initialValue: string | null;
}

export type ParseResult =
  | { readonly ok: true; readonly history: ParsedHistory }
  | { readonly ok: false; readonly error: string };

export function parseError(line: number, message: string): ParseResult {
  return { ok: false, error: `line ${line}: ${message}` };
}
