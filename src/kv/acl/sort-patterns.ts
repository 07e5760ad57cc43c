// SORT's BY and GET options read keys named by patterns filled in with the elements, which no
// key position shows the ACL check. Redis 7.0 (sortCommandGeneric) therefore lets a user use
// them only through a selector that allows the call and reads every key (allkeys, ~* or
// %R~*); anyone else gets an error naming the option. The options are walked in Redis's
// order, so an earlier syntax or LIMIT error is left for SORT itself to report.

import { isKeyword, parseInt64 } from '../integer-parse.js';

export type SortPatternOption = 'BY' | 'GET';

/** The first option of a SORT / SORT_RO call that reads keys by pattern, or null. */
export function sortPatternOption(argv: readonly Uint8Array[], readonly: boolean): SortPatternOption | null {
  for (let j = 2; j < argv.length; j++) {
    const option = argv[j] as Uint8Array;
    const left = argv.length - j - 1;
    if (isKeyword(option, 'asc') || isKeyword(option, 'desc') || isKeyword(option, 'alpha')) continue;
    if (isKeyword(option, 'limit') && left >= 2) {
      if (parseInt64(argv[j + 1] as Uint8Array) === null || parseInt64(argv[j + 2] as Uint8Array) === null) return null;
      j += 2;
    } else if (!readonly && isKeyword(option, 'store') && left >= 1) {
      j += 1;
    } else if (isKeyword(option, 'by') && left >= 1) {
      // A BY pattern without '*' (up to a NUL, as C sees it) only turns sorting off.
      if (hasStar(argv[++j] as Uint8Array)) return 'BY';
    } else if (isKeyword(option, 'get') && left >= 1) {
      return 'GET';
    } else {
      return null;
    }
  }
  return null;
}

function hasStar(pattern: Uint8Array): boolean {
  for (const byte of pattern) {
    if (byte === 0) return false;
    if (byte === 0x2a) return true;
  }
  return false;
}

export function sortPatternError(option: SortPatternOption): string {
  return `ERR ${option} option of SORT denied due to insufficient ACL permissions.`;
}
