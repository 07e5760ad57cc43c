// The stored fuzz inputs: test/fuzz/corpus/<target>/ holds every input a fuzz run found a
// problem with (named crash-<sha1 prefix>), kept as regression cases once fixed.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CORPUS_DIR = join(import.meta.dirname, 'corpus');

/** The inputs stored in `dir`, by name (none when it does not exist). */
export function storedInputs(dir: string): Uint8Array[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().map((name) => readFileSync(join(dir, name)));
}
