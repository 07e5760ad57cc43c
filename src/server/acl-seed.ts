// The users a new cluster starts with: --requirepass (the default user's password) or the
// ACL file (--aclfile). They are replicated state like any ACL change, so the leader proposes
// them once, as RAFTIS.ACL SEED, which applies only while the cluster has never had users
// set; afterwards ACL SETUSER/DELUSER/LOAD change them and these settings are not read again.
// Until the seed is applied a node configured with them answers LOADING (acl-gate.ts), so
// a new cluster is never open for the moment between election and seed.

import type { KvStateMachine } from '../kv/state-machine.js';
import { parseAclLines, raftisAclCommandName } from '../kv/acl/acl-users.js';
import type { RaftNode } from '../node/raft-node.js';
import type { Reply } from '../kv/reply.js';
import { passwordHash } from './acl-passwords.js';
import { readAclFile } from './acl-command.js';
import { ConfigError, type ServerConfig } from './config.js';
import type { WritePath } from './write-path.js';

/** The seed's ACL file lines (passwords hashed), checked against every command; null when the node has none. */
export async function seedLines(config: ServerConfig, kv: KvStateMachine): Promise<string[] | null> {
  if (config.requirepass !== null) return [`user default on #${passwordHash(config.requirepass)} ~* &* +@all`];
  if (config.aclFile === null) return null;
  const lines = await readAclFile(config.aclFile);
  if (lines instanceof Error) throw new ConfigError(`--aclfile ${config.aclFile}: ${lines.message}`);
  const checked = parseAclLines(lines, kv.acl.catalogue);
  if (checked instanceof Error) throw new ConfigError(`--aclfile ${config.aclFile}: ${checked.message.replace(/^ERR /, '')}`);
  return lines;
}

/** While this node leads a cluster never seeded, proposes the seed (retrying every `intervalMs`); returns the stop function. */
export function startAclSeeding(lines: readonly string[], parts: { kv: KvStateMachine; node: RaftNode<Reply>; writes: WritePath }, intervalMs: number): () => void {
  const argv = [raftisAclCommandName, 'seed', ...lines].map((part) => Buffer.from(part, 'latin1'));
  let inFlight = false;
  let round = 0;
  const timer = setInterval(() => {
    if (parts.kv.acl.seeded) return clearInterval(timer);
    if (!parts.node.isLeader || inFlight) return;
    inFlight = true;
    parts.writes.proposeInternal(argv, `acl-seed/${++round}`, () => {
      inFlight = false;
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
