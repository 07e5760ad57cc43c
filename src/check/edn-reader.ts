// Reads the part of EDN that Jepsen histories use, one event map per line: keywords,
// strings, integers, nil and booleans, nested in vectors `[...]`, lists `(...)` (both read
// as arrays) and maps `{...}` (read as a Map keyed by the key's keyword or text).
// Enough for `{:process 0, :type :ok, :f :txn, :value [[:append 3 1] [:r 3 [1]]]}`.

export type EdnScalar = string | number | boolean | null | { readonly keyword: string };
export type EdnValue = EdnScalar | readonly EdnValue[] | ReadonlyMap<string, EdnValue>;

/** Reads one EDN map `{:k v, ...}` filling the whole line, or says where it went wrong. */
export function readEdnMap(line: string): Map<string, EdnValue> | string {
  const reader = new EdnReader(line);
  if (!reader.take('{')) return 'expected an EDN map {...}';
  const map = reader.map();
  if (typeof map === 'string') return map;
  reader.skipSpace();
  if (!reader.done()) return `unexpected text after the map at column ${reader.at + 1}`;
  return map;
}

export function keywordOf(value: EdnValue | undefined): string | null {
  return isKeyword(value) ? value.keyword : null;
}

function isKeyword(value: EdnValue | undefined): value is { readonly keyword: string } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map) && 'keyword' in value;
}

/** A string or a number, as text; null for anything else. */
export function textOf(value: EdnValue): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

const DELIMITER = /[\s,{}[\]()]/;
const CLOSING: Readonly<Record<string, string>> = { '[': ']', '(': ')' };
/** Nesting deeper than this is no history line: refuse it rather than recurse without end. */
const NESTING_MAX = 32;

class EdnReader {
  at = 0;
  #depth = 0;
  constructor(private readonly text: string) {}

  done(): boolean {
    return this.at >= this.text.length;
  }

  skipSpace(): void {
    while (!this.done() && /[\s,]/.test(this.text[this.at]!)) this.at++;
  }

  take(char: string): boolean {
    this.skipSpace();
    if (this.text[this.at] !== char) return false;
    this.at++;
    return true;
  }

  /** The map after its '{'. Keys are keywords (by name) or scalars (by text). */
  map(): Map<string, EdnValue> | string {
    const map = new Map<string, EdnValue>();
    while (true) {
      this.skipSpace();
      if (this.done()) return 'unterminated map';
      if (this.take('}')) return map;
      const key = this.scalar();
      const name = isKeyword(key) ? key.keyword : key === undefined ? null : textOf(key);
      if (name === null) return `expected a keyword key at column ${this.at + 1}`;
      const value = this.value();
      if (value === undefined) return `cannot read the value of :${name} at column ${this.at + 1}`;
      map.set(name, value);
    }
  }

  value(): EdnValue | undefined {
    this.skipSpace();
    const open = this.text[this.at];
    if (open !== '[' && open !== '(' && open !== '{') return this.scalar();
    if (++this.#depth > NESTING_MAX) return undefined;
    this.at++;
    const value = open === '{' ? this.map() : this.sequence(CLOSING[open]!);
    this.#depth--;
    return typeof value === 'string' ? undefined : value;
  }

  /** The items of a vector or list after its opening bracket; undefined when malformed. */
  sequence(close: string): EdnValue[] | undefined {
    const items: EdnValue[] = [];
    while (true) {
      this.skipSpace();
      if (this.done()) return undefined;
      if (this.take(close)) return items;
      const item = this.value();
      if (item === undefined) return undefined;
      items.push(item);
    }
  }

  scalar(): EdnScalar | undefined {
    this.skipSpace();
    if (this.text[this.at] === '"') return this.string();
    const start = this.at;
    while (!this.done() && !DELIMITER.test(this.text[this.at]!)) this.at++;
    const token = this.text.slice(start, this.at);
    if (token === '') return undefined;
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token.startsWith(':') && token.length > 1) return { keyword: token.slice(1) };
    if (/^-?\d+$/.test(token)) return Number(token);
    return undefined;
  }

  string(): string | undefined {
    let out = '';
    this.at++;
    while (!this.done()) {
      const char = this.text[this.at++]!;
      if (char === '"') return out;
      if (char !== '\\') {
        out += char;
        continue;
      }
      const escaped = this.text[this.at++];
      if (escaped === 'n') out += '\n';
      else if (escaped === 't') out += '\t';
      else if (escaped === 'r') out += '\r';
      else if (escaped === '"' || escaped === '\\') out += escaped;
      else return undefined;
    }
    return undefined;
  }
}
