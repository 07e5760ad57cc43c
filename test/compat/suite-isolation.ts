// What one file of Redis's suite leaves behind on the cluster the next file runs on, and how
// it is put back. Against a single redis-server each suite file starts a fresh server; here
// every file shares one cluster, and in raftis much of what a test changes is replicated
// state that persists (CONFIG SET maxmemory 1 from a scripting test that failed before its
// reset would make every later file answer OOM). Between files the runner restores what the
// cluster started with: every node's CONFIG values and active expiry, the ACL users, and an empty keyspace,
// script cache and function library.

type Call = (argv: readonly string[]) => Promise<unknown>;

/** Attempts at one restoring command: a leader election in the middle answers TRYAGAIN. */
const RESTORE_ATTEMPTS = 20;
/** Pause between two attempts, ms. */
const RESTORE_RETRY_MS = 500;

/** What a node had when the run started: its CONFIG values, and the cluster's ACL LIST. */
export interface Baseline {
  readonly config: ReadonlyMap<string, string>;
  readonly aclList: readonly string[];
}

export async function captureBaseline(call: Call): Promise<Baseline> {
  return { config: await configValues(call), aclList: stringsOf(await retried(call, ['ACL', 'LIST'])) };
}

/**
 * Puts back what a file may have changed: settings that differ from `baseline` on each node
 * (replicated ones go through the log, node-local ones are the node's own), users added or
 * changed, keys, cached scripts and function libraries.
 */
export async function restoreBaseline(calls: readonly Call[], baseline: readonly Baseline[]): Promise<string[]> {
  const restored: string[] = [];
  for (const [i, call] of calls.entries()) {
    const start = baseline[i];
    if (start === undefined) continue;
    const now = await configValues(call);
    for (const [name, value] of start.config) {
      if (now.get(name) === value) continue;
      // Some values read back differently from how they are set (or cannot be set at all):
      // the attempt is enough, as for the harness's own overrides.
      await call(['CONFIG', 'SET', name, value]);
      restored.push(`${name}=${value}`);
    }
    // unit/expire's last tests turn active expiry off and fail here before they turn it on
    // again: a later file waiting for keys to expire (unit/multi's "WATCH will consider
    // touched expired keys") would wait in vain. A node without DEBUG answers an error: no harm.
    await call(['DEBUG', 'SET-ACTIVE-EXPIRE', '1']).catch(() => undefined);
  }
  const first = calls[0];
  const start = baseline[0];
  if (first === undefined || start === undefined) return restored;
  await restoreUsers(first, start.aclList);
  for (const argv of [['FLUSHALL'], ['SCRIPT', 'FLUSH'], ['FUNCTION', 'FLUSH']]) await retried(first, argv);
  return restored;
}

/** Deletes users the run added and gives the others their starting rules again. */
async function restoreUsers(call: Call, aclList: readonly string[]): Promise<void> {
  const names = new Set(aclList.map((line) => line.split(' ')[1] ?? ''));
  const current = stringsOf(await retried(call, ['ACL', 'USERS']));
  const extra = current.filter((name) => !names.has(name));
  if (extra.length > 0) await retried(call, ['ACL', 'DELUSER', ...extra]);
  const now = new Set(stringsOf(await retried(call, ['ACL', 'LIST'])));
  for (const line of aclList) {
    if (now.has(line)) continue;
    const [, name = '', ...rest] = line.split(' ');
    await retried(call, ['ACL', 'SETUSER', name, 'reset', ...rest]);
  }
}

async function configValues(call: Call): Promise<Map<string, string>> {
  const flat = stringsOf(await retried(call, ['CONFIG', 'GET', '*']));
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) values.set(flat[i] as string, flat[i + 1] as string);
  return values;
}

/** `argv`'s reply, asked again while the cluster answers with an error (no leader, a restart). */
async function retried(call: Call, argv: readonly string[]): Promise<unknown> {
  let reply: unknown;
  for (let attempt = 0; attempt < RESTORE_ATTEMPTS; attempt++) {
    reply = await call(argv);
    if (!(reply instanceof Error)) return reply;
    await new Promise((resolveWait) => setTimeout(resolveWait, RESTORE_RETRY_MS));
  }
  throw new Error(`${argv.join(' ')}: ${reply instanceof Error ? reply.message : String(reply)}`);
}

function stringsOf(reply: unknown): string[] {
  return Array.isArray(reply) ? reply.map((item) => (Buffer.isBuffer(item) ? item.toString('latin1') : String(item))) : [];
}
