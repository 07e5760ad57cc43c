// Which keys a call touches and how, for %R~/%W~ key patterns, as Redis 7 decides it
// (ACLSelectorCheckKey): the call's keys as the command's key specs find them
// (key-specs.ts, the same finder as COMMAND GETKEYSANDFLAGS); a key whose spec says ACCESS
// needs read permission, INSERT, UPDATE or DELETE write permission, and one with neither (EXISTS,
// a bare length test) only a pattern that matches its name.

import { commandKeys } from '../key-specs.js';
import { READ, WRITE } from './acl-selector.js';

/** A key argument of a call and the permission it needs (0: its name only, as EXISTS). */
export interface KeyUse {
  readonly index: number;
  readonly flags: number;
}

/** The keys `argv` (a call of command or subcommand `id`: 'get', 'xgroup|create') uses, with the permission each needs. */
export function keyUses(id: string, argv: readonly Uint8Array[]): KeyUse[] {
  return commandKeys(id, argv).map(({ index, flags }) => ({
    index,
    flags: (flags.includes('access') ? READ : 0) | (flags.includes('insert') || flags.includes('update') || flags.includes('delete') ? WRITE : 0),
  }));
}
