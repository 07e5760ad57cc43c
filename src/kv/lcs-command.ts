// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: the longest common subsequence of
// two strings, as Redis 7.0 computes it (t_string.c): the classic (n+1)×(m+1) table, then a
// walk back from its corner that also yields the matching ranges, last match first. The table
// is transient memory on the node serving the read: like Redis, LCS refuses when it would
// exceed proto-max-bulk-len bytes, and an allocation the engine cannot make is refused too.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, command, type CommandSpec } from './command-spec.js';
import { isKeyword, parseInt64 } from './integer-parse.js';
import { bulkReply, bulkText, errorReply, integerReply, notIntegerError, syntaxError } from './replies.js';

const notStringsError = errorReply('ERR The specified keys must contain string values');
const lenAndIdxError = errorReply('ERR If you want both the length and indexes, please just use IDX.');
const tableTooLargeError = errorReply('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
const tableAllocationError = errorReply('ERR Insufficient memory, failed allocating transient memory for LCS');
/** Bytes per table cell (Redis's uint32_t). */
const cellBytes = 4;

interface LcsOptions {
  readonly len: boolean;
  readonly idx: boolean;
  readonly withMatchLen: boolean;
  readonly minMatchLen: number;
}

function parseOptions(argv: readonly Uint8Array[]): LcsOptions | Reply {
  const options = { len: false, idx: false, withMatchLen: false, minMatchLen: 0 };
  for (let j = 3; j < argv.length; j++) {
    const option = arg(argv, j);
    if (isKeyword(option, 'idx')) options.idx = true;
    else if (isKeyword(option, 'len')) options.len = true;
    else if (isKeyword(option, 'withmatchlen')) options.withMatchLen = true;
    else if (isKeyword(option, 'minmatchlen') && j + 1 < argv.length) {
      const value = parseInt64(arg(argv, ++j));
      if (value === null) return notIntegerError;
      // Any length beyond the strings' matches nothing; keep it a safe number.
      options.minMatchLen = value < 0n ? 0 : Number(value > 0xffffffffn ? 0xffffffffn : value);
    } else return syntaxError;
  }
  if (options.idx && options.len) return lenAndIdxError;
  return options;
}

/** The bytes at `key` (empty when absent), or null for another type. */
function stringOrEmpty(context: CommandContext, key: Uint8Array): Buffer | null {
  const entry = context.lookup(key);
  if (entry === undefined) return Buffer.alloc(0);
  const value = entry.value;
  return value.type === 'string' ? value.data : null;
}

/** LCS lengths of every prefix pair: cell [i*(b.length+1) + j] is the LCS of a[0..i) and b[0..j). */
function lcsTable(a: Uint8Array, b: Uint8Array): Uint32Array {
  const width = b.length + 1;
  const table = new Uint32Array((a.length + 1) * width);
  for (let i = 1; i <= a.length; i++) {
    const row = i * width;
    const above = row - width;
    const byte = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      table[row + j] = byte === b[j - 1]
        ? (table[above + j - 1] as number) + 1
        : Math.max(table[above + j] as number, table[row + j - 1] as number);
    }
  }
  return table;
}

/** One matching range: [start, end] in a and in b, inclusive. */
interface Match {
  readonly a: readonly [number, number];
  readonly b: readonly [number, number];
}

/** Walks the table back from its corner: the common subsequence and its ranges, last first (Redis's order). */
function walkBack(a: Uint8Array, b: Uint8Array, table: Uint32Array): { sequence: Buffer; matches: Match[] } {
  const width = b.length + 1;
  const cell = (i: number, j: number): number => table[i * width + j] as number;
  let length = cell(a.length, b.length);
  const sequence = Buffer.alloc(length);
  const matches: Match[] = [];
  let range: { aStart: number; aEnd: number; bStart: number; bEnd: number } | null = null;
  let i = a.length;
  let j = b.length;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      sequence[--length] = a[i - 1] as number;
      if (range === null) range = { aStart: i - 1, aEnd: i - 1, bStart: j - 1, bEnd: j - 1 };
      else if (range.aStart === i && range.bStart === j) {
        range.aStart--;
        range.bStart--;
      } else emit = true;
      if (range.aStart === 0 || range.bStart === 0) emit = true;
      i--;
      j--;
    } else {
      if (cell(i - 1, j) > cell(i, j - 1)) i--;
      else j--;
      if (range !== null) emit = true;
    }
    if (emit && range !== null) {
      matches.push({ a: [range.aStart, range.aEnd], b: [range.bStart, range.bEnd] });
      range = null;
    }
  }
  return { sequence, matches };
}

function matchesReply(matches: readonly Match[], options: LcsOptions, length: number): Reply {
  const pair = ([start, end]: readonly [number, number]): Reply => ({ kind: 'array', value: [integerReply(start), integerReply(end)] });
  const listed = matches
    .map((match) => ({ match, matchLen: match.a[1] - match.a[0] + 1 }))
    .filter(({ matchLen }) => options.minMatchLen === 0 || matchLen >= options.minMatchLen)
    .map(({ match, matchLen }): Reply => ({
      kind: 'array',
      value: options.withMatchLen ? [pair(match.a), pair(match.b), integerReply(matchLen)] : [pair(match.a), pair(match.b)],
    }));
  return { kind: 'map', value: [[bulkText('matches'), { kind: 'array', value: listed }], [bulkText('len'), integerReply(length)]] };
}

function lcs(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  // Like Redis, the keys' types are checked before the options.
  const a = stringOrEmpty(context, arg(argv, 1));
  const b = stringOrEmpty(context, arg(argv, 2));
  if (a === null || b === null) return notStringsError;
  const options = parseOptions(argv);
  if ('kind' in options) return options;
  if ((a.length + 1) * (b.length + 1) * cellBytes > context.protoMaxBulkLen) return tableTooLargeError;
  let table: Uint32Array;
  try {
    table = lcsTable(a, b);
  } catch (error) {
    if (error instanceof RangeError) return tableAllocationError;
    throw error;
  }
  const length = table[table.length - 1] as number;
  if (options.len) return integerReply(length);
  const { sequence, matches } = walkBack(a, b, table);
  return options.idx ? matchesReply(matches, options, length) : bulkReply(sequence);
}

export const lcsCommands: readonly CommandSpec[] = [
  command('lcs', -3, ['readonly'], [1, 2, 1], lcs),
];
