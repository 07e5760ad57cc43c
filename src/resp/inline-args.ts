// Splits an inline command line (what a person types into telnet) into arguments with the
// rules of Redis's sdssplitargs(): blanks separate arguments; "double quotes" take the
// escapes \n \r \t \b \a \xHH and \<any>; 'single quotes' take only \'; a closing quote
// must be followed by a blank or the end of the line; a NUL byte ends the line, as it ends
// the C string Redis splits. Returns null for unbalanced quotes.

import { BACKSLASH, DOUBLE_QUOTE, LF, CR, NUL, SINGLE_QUOTE, SPACE, TAB, VERTICAL_TAB, FORM_FEED } from './protocol-bytes.js';

const LOWER_X = 120; // 'x'
const LOWER_N = 110; // 'n'
const LOWER_R = 114; // 'r'
const LOWER_T = 116; // 't'
const LOWER_B = 98; // 'b'
const LOWER_A = 97; // 'a'
const BELL = 7;
const BACKSPACE = 8;

/** C isspace() in the "C" locale. */
function isBlank(byte: number): boolean {
  return byte === SPACE || byte === TAB || byte === LF || byte === CR || byte === VERTICAL_TAB || byte === FORM_FEED;
}

/** Value of a hex digit, or -1. */
function hexValue(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48; // '0'..'9'
  if (byte >= 97 && byte <= 102) return byte - 87; // 'a'..'f'
  if (byte >= 65 && byte <= 70) return byte - 55; // 'A'..'F'
  return -1;
}

/** Reads past the end see NUL, exactly like the C string the Redis code walks. */
function byteAt(source: Uint8Array, end: number, index: number): number {
  return index < end ? (source[index] ?? NUL) : NUL;
}

/**
 * Arguments of source[start, end). Every argument is a subarray of one fresh buffer the
 * size of the line, so the result never aliases `source` (it may be a reused staging buffer).
 */
export function splitInlineArgs(source: Uint8Array, start: number, end: number): Buffer[] | null {
  const out = Buffer.allocUnsafe(end - start);
  let written = 0;
  const args: Buffer[] = [];
  let p = start;
  for (;;) {
    while (byteAt(source, end, p) !== NUL && isBlank(byteAt(source, end, p))) p++;
    if (byteAt(source, end, p) === NUL) return args;
    const tokenStart = written;
    let inDoubleQuotes = false;
    let inSingleQuotes = false;
    let done = false;
    while (!done) {
      const byte = byteAt(source, end, p);
      if (inDoubleQuotes) {
        if (byte === BACKSLASH && byteAt(source, end, p + 1) === LOWER_X && hexValue(byteAt(source, end, p + 2)) >= 0 && hexValue(byteAt(source, end, p + 3)) >= 0) {
          out[written++] = hexValue(byteAt(source, end, p + 2)) * 16 + hexValue(byteAt(source, end, p + 3));
          p += 3;
        } else if (byte === BACKSLASH && byteAt(source, end, p + 1) !== NUL) {
          p++;
          const escaped = byteAt(source, end, p);
          out[written++] =
            escaped === LOWER_N ? LF
            : escaped === LOWER_R ? CR
            : escaped === LOWER_T ? TAB
            : escaped === LOWER_B ? BACKSPACE
            : escaped === LOWER_A ? BELL
            : escaped;
        } else if (byte === DOUBLE_QUOTE) {
          if (byteAt(source, end, p + 1) !== NUL && !isBlank(byteAt(source, end, p + 1))) return null;
          done = true;
        } else if (byte === NUL) {
          return null;
        } else {
          out[written++] = byte;
        }
      } else if (inSingleQuotes) {
        if (byte === BACKSLASH && byteAt(source, end, p + 1) === SINGLE_QUOTE) {
          p++;
          out[written++] = SINGLE_QUOTE;
        } else if (byte === SINGLE_QUOTE) {
          if (byteAt(source, end, p + 1) !== NUL && !isBlank(byteAt(source, end, p + 1))) return null;
          done = true;
        } else if (byte === NUL) {
          return null;
        } else {
          out[written++] = byte;
        }
      } else if (byte === SPACE || byte === LF || byte === CR || byte === TAB || byte === NUL) {
        done = true;
      } else if (byte === DOUBLE_QUOTE) {
        inDoubleQuotes = true;
      } else if (byte === SINGLE_QUOTE) {
        inSingleQuotes = true;
      } else {
        out[written++] = byte;
      }
      if (byteAt(source, end, p) !== NUL) p++;
    }
    args.push(out.subarray(tokenStart, written));
  }
}
