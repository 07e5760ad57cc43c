// Picks the parser for a history file: the one named, or the one its first meaningful
// line looks like.
import { parseEdn } from './parse-edn.js';
import { parseJepsen } from './parse-jepsen.js';
import { parseJsonl } from './parse-jsonl.js';
import type { HistoryFormat, ParseResult } from './parsed-history.js';

export function detectFormat(text: string): HistoryFormat | null {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';')) continue;
    if (/^\{\s*"/.test(line)) return 'jsonl';
    if (/^\{\s*:/.test(line)) return 'edn';
    if (/\bjepsen\.util\b/.test(line)) return 'jepsen';
    return null;
  }
  return null;
}

export function parseHistory(text: string, format?: HistoryFormat): ParseResult {
  const chosen = format ?? detectFormat(text);
  switch (chosen) {
    case 'jepsen':
      return parseJepsen(text);
    case 'edn':
      return parseEdn(text);
    case 'jsonl':
      return parseJsonl(text);
    case null:
      return { ok: false, error: 'cannot tell the format from the first line; pass --format jepsen|edn|jsonl' };
  }
}
