// Glob matching exactly like Redis's stringmatchlen (util.c), used by KEYS and SCAN MATCH:
// '*', '?', '[abc]', '[^a]', '[a-z]' and '\' escapes. Bytes compare as C's signed char, the
// pattern reads as NUL past its end (Redis patterns are NUL-terminated sds strings), and
// nesting is capped like Redis to bound the work of abusive patterns.

const nestingMax = 1000;

function signedByte(value: number): number {
  return value >= 128 ? value - 256 : value;
}

interface MatchState {
  skipLongerMatches: boolean;
}

function matchFrom(
  pattern: Uint8Array, patternStart: number, text: Uint8Array, textStart: number,
  state: MatchState, nesting: number,
): boolean {
  if (nesting > nestingMax) return false;
  let p = patternStart;
  let s = textStart;
  const at = (index: number): number => (index < pattern.length ? (pattern[index] as number) : 0);
  while (p < pattern.length && s < text.length) {
    const c = at(p);
    if (c === 0x2a /* '*' */) {
      while (p + 1 < pattern.length && at(p + 1) === 0x2a) p++;
      if (p === pattern.length - 1) return true;
      while (s < text.length) {
        if (matchFrom(pattern, p + 1, text, s, state, nesting + 1)) return true;
        if (state.skipLongerMatches) return false;
        s++;
      }
      state.skipLongerMatches = true;
      return false;
    } else if (c === 0x3f /* '?' */) {
      s++;
    } else if (c === 0x5b /* '[' */) {
      p++;
      const negate = at(p) === 0x5e; /* '^' */
      if (negate) p++;
      let matched = false;
      const current = text[s] as number;
      while (true) {
        if (at(p) === 0x5c /* '\' */ && pattern.length - p >= 2) {
          p++;
          if (at(p) === current) matched = true;
        } else if (at(p) === 0x5d /* ']' */) {
          break;
        } else if (p >= pattern.length) {
          p--;
          break;
        } else if (pattern.length - p >= 3 && at(p + 1) === 0x2d /* '-' */) {
          let start = signedByte(at(p));
          let end = signedByte(at(p + 2));
          if (start > end) [start, end] = [end, start];
          const value = signedByte(current);
          p += 2;
          if (value >= start && value <= end) matched = true;
        } else if (at(p) === current) {
          matched = true;
        }
        p++;
      }
      if (negate) matched = !matched;
      if (!matched) return false;
      s++;
    } else {
      if (c === 0x5c /* '\' */ && pattern.length - p >= 2) p++;
      if (at(p) !== text[s]) return false;
      s++;
    }
    p++;
    if (s === text.length) {
      while (at(p) === 0x2a) p++;
      break;
    }
  }
  return p >= pattern.length && s === text.length;
}

/** True when `text` matches the glob `pattern` by Redis's rules. */
export function globMatch(pattern: Uint8Array, text: Uint8Array): boolean {
  return matchFrom(pattern, 0, text, 0, { skipLongerMatches: false }, 0);
}
