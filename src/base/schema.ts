// Shapes that JSON read from outside the process must have before it is used: files in the
// data directory, snapshot metadata, headers and membership contexts sent by peers or carried
// in the log. A cast (`JSON.parse(...) as T`) trusts the bytes; these check them, so a bad
// structure is refused with an error naming what is wrong and where, never a TypeError deep
// inside the code that used it.

export class SchemaError extends Error {
  override readonly name = 'SchemaError';
}

/** Checks `value` (found at `path`, e.g. "members[2].peer") and returns it typed, or throws SchemaError. */
export type Schema<T> = (value: unknown, path: string) => T;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

export function fail(path: string, expected: string, value: unknown): never {
  throw new SchemaError(`${path === '' ? 'the value' : path}: expected ${expected}, got ${describe(value)}`);
}

/** A string of at most `charsMax` characters (and at least one with `nonEmpty`). */
export function string(charsMax = 4096, nonEmpty = false): Schema<string> {
  return (value, path) => {
    if (typeof value !== 'string' || value.length > charsMax || (nonEmpty && value === '')) {
      fail(path, `a ${nonEmpty ? 'non-empty ' : ''}string of at most ${charsMax} characters`, value);
    }
    return value;
  };
}

/** A safe integer in [min, max]. */
export function integer(min = 0, max = Number.MAX_SAFE_INTEGER): Schema<number> {
  return (value, path) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) fail(path, `an integer in [${min}, ${max}]`, value);
    return value;
  };
}

export const boolean: Schema<boolean> = (value, path) => (typeof value === 'boolean' ? value : fail(path, 'true or false', value));

/** An array of at most `itemsMax` items, each checked by `item`. */
export function array<T>(item: Schema<T>, itemsMax: number): Schema<T[]> {
  return (value, path) => {
    if (!Array.isArray(value) || value.length > itemsMax) fail(path, `an array of at most ${itemsMax} items`, value);
    return value.map((element, i) => item(element, `${path}[${i}]`));
  };
}

/** Absent (undefined) or checked by `schema`. */
export function optional<T>(schema: Schema<T>): Schema<T | undefined> {
  return (value, path) => (value === undefined ? undefined : schema(value, path));
}

/** An object used as a map: at most `entriesMax` keys, each value checked by `value`. */
export function record<T>(value: Schema<T>, entriesMax: number): Schema<Map<string, T>> {
  return (found, path) => {
    if (typeof found !== 'object' || found === null || Array.isArray(found)) fail(path, 'an object', found);
    const entries = Object.entries(found);
    if (entries.length > entriesMax) fail(path, `at most ${entriesMax} entries`, found);
    return new Map(entries.map(([key, item]) => [key, value(item, path === '' ? key : `${path}.${key}`)]));
  };
}

type Shape = Record<string, Schema<unknown>>;
type Checked<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };

/** An object with (at least) the fields of `shape`; unknown fields are ignored, as a newer writer may add some. */
export function object<S extends Shape>(shape: S): Schema<Checked<S>> {
  return (value, path) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
    const checked: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(shape)) {
      const field = schema((value as Record<string, unknown>)[key], path === '' ? key : `${path}.${key}`);
      if (field !== undefined) checked[key] = field;
    }
    return checked as Checked<S>;
  };
}

/** Parses UTF-8 JSON and checks it; `what` names the structure in the error ("snapshot membership: …"). */
export function parseJson<T>(bytes: Uint8Array | string, schema: Schema<T>, what: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw new SchemaError(`${what}: not JSON (${(error as Error).message})`);
  }
  try {
    return schema(parsed, '');
  } catch (error) {
    if (error instanceof SchemaError) throw new SchemaError(`${what}: ${error.message}`);
    throw error;
  }
}
