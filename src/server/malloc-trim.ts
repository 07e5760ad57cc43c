// glibc's malloc_trim(0), for the idle collection (idle-collection.ts). glibc returns freed
// memory to the system only from the top of its heap; after a load, small live blocks sit
// above tens of MiB of free space (docs/benchmarks.md, a list's memory after its load: a
// leader's main arena 34–37 MiB with ~4 live). malloc_trim(0) gives back the whole free
// pages inside it too (madvise), which nothing else in a Node.js process asks for.
//
// It is called through koffi, an FFI library whose npm package ships prebuilt binaries (no
// compiler at install), loaded on the first trim only: a node that never trims loads nothing.

import { createRequire } from 'node:module';

/** One trim: the C function's result (1 if memory went back to the system). */
export type MallocTrim = () => number;

/** The trim, or why this process has none. */
export type MallocTrimLoad = { readonly trim: MallocTrim } | { readonly unavailable: string };

interface KoffiLike {
  load(path: string): { func(definition: string): (pad: number) => number };
}

/** The C library's version if it is glibc (Node.js reports it), else null. */
function glibcVersion(): string | null {
  if (process.platform !== 'linux') return null;
  // Without excludeNetwork (Node.js 20.13+) the report looks up the name of every open
  // socket's addresses, synchronously: where the resolver does not answer (the chaos suite's
  // network namespaces) that held each node's event loop for 80–140 s, 50 s for a single
  // connection (docs/testing.md, the rerun of the stale-read membership run).
  const report = process.report as NodeJS.ProcessReport & { excludeNetwork: boolean };
  const excludeNetwork = report.excludeNetwork;
  report.excludeNetwork = true;
  try {
    const read = report.getReport() as { header?: { glibcVersionRuntime?: string } };
    return read.header?.glibcVersionRuntime ?? null;
  } finally {
    report.excludeNetwork = excludeNetwork;
  }
}

/** Loads koffi and binds malloc_trim; never throws (a node runs on without trimming). */
export function loadMallocTrim(): MallocTrimLoad {
  let glibc: string | null;
  try {
    glibc = glibcVersion();
  } catch (error) {
    return { unavailable: `the C library could not be told: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (glibc === null) return { unavailable: `not glibc (${process.platform}): malloc_trim is glibc's` };
  try {
    const koffi = createRequire(import.meta.url)('koffi') as KoffiLike;
    const trim = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)');
    return { trim: () => trim(0) };
  } catch (error) {
    return { unavailable: `glibc ${glibc}, but malloc_trim could not be loaded: ${error instanceof Error ? error.message : String(error)}` };
  }
}
