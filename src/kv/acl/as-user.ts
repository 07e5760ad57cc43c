// RAFTIS.AS-USER user command...: the log entry of a command run on behalf of a restricted
// user, for commands that run other commands inside apply (scripts): the state machine runs
// the inner command with that user as the caller, and a script's redis.call is checked
// against the user's permissions at the entry's index, on every replica alike. Only raftis
// proposes it: a client cannot name it (it is no registered command), so the leader never
// takes a client's word for who it is; a follower forwards it over the authenticated peer
// channel.

const asUserName = Buffer.from('raftis.as-user', 'latin1');

export function wrapAsUser(user: string, argv: readonly Uint8Array[]): Uint8Array[] {
  return [asUserName, Buffer.from(user, 'latin1'), ...argv];
}

/** The user and inner command of a RAFTIS.AS-USER entry; null for any other command. */
export function unwrapAsUser(argv: readonly Uint8Array[]): { readonly user: string; readonly argv: readonly Uint8Array[] } | null {
  const name = argv[0];
  if (name === undefined || name.length !== asUserName.length || !Buffer.from(name.buffer, name.byteOffset, name.byteLength).equals(asUserName)) return null;
  const user = argv[1];
  if (user === undefined || argv.length < 3) return null;
  return { user: Buffer.from(user).toString('latin1'), argv: argv.slice(2) };
}
