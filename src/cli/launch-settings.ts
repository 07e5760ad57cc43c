// What a raftis process starts with beyond its arguments: settings of glibc's malloc, which
// glibc reads from the environment once, before the program runs, so `raftis server` cannot
// set them for itself. The `raftis` command's first line (src/cli/main.ts:
// `#!/usr/bin/env -S NAME=VALUE … node`) carries them for a node started as `raftis server`;
// `raftis cluster up` gives them to the nodes it spawns; the benchmark reads a build's first
// line (launchSettingsOf) and starts its nodes as that build's command would.
//
// MALLOC_MMAP_THRESHOLD_=131072: an allocation of 128 KiB or more gets pages of its own, which
// go back to the system when it is freed. glibc's default starts at the same 128 KiB but raises
// the threshold to the size of every such block freed (up to 32 MiB), after which large
// Buffers (WAL writes, snapshot chunks, replication frames) are carved from the heap among
// small long-lived blocks and their memory is kept when they die (docs/benchmarks.md, memory
// analysis: a follower's malloc heap 66–79 → 53 MiB after a 1M-key load). Fixing it costs a
// system call per such allocation only; socket reads (64 KiB) stay in the heap.

/** The environment of every raftis process, as `NAME=VALUE` pairs. */
export const launchEnvironment: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: '131072',
};

/** The first line of the `raftis` command (src/cli/main.ts begins with exactly this). */
export function launchShebang(): string {
  return `#!/usr/bin/env -S ${Object.entries(launchEnvironment).map(([name, value]) => `${name}=${value}`).join(' ')} node`;
}

/** `env` with the launch settings added where `env` does not set them already (the user's choice wins). */
export function withLaunchEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...launchEnvironment, ...env };
}

/**
 * The environment assignments and node flags of a `#!/usr/bin/env -S …` first line (a build's
 * dist/src/cli/main.js), or none for `#!/usr/bin/env node` (builds from before the settings).
 */
export function launchSettingsOf(firstLine: string): { env: Record<string, string>; nodeArgs: string[] } {
  const match = /^#!\/usr\/bin\/env(?: -S)? (.*)$/.exec(firstLine.trim());
  const words = match === null ? [] : (match[1] ?? '').split(/\s+/).filter((word) => word !== '');
  const env: Record<string, string> = {};
  let at = 0;
  for (; at < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[at] as string); at++) {
    const word = words[at] as string;
    const equals = word.indexOf('=');
    env[word.slice(0, equals)] = word.slice(equals + 1);
  }
  // words[at] is the interpreter (node); what follows it are node's own flags.
  return { env, nodeArgs: words.slice(at + 1) };
}
