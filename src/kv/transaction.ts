// A MULTI/EXEC transaction as one log entry, so every replica applies its commands together
// at one index, with nothing in between. Its arguments, after the name RAFTIS.EXEC:
//   watchCount, watchCount × (key, version), then per command: argc, argc × argument
// Counts and versions are decimal. A watched key's version (Keyspace.version) changes with
// every change to the key, its removal included: the state machine runs the commands only
// if every watched key still has the version WATCH saw, as Redis does.

import { isKeyword } from './integer-parse.js';

export const transactionCommand = 'raftis.exec';

export interface WatchedKey {
  readonly key: Uint8Array;
  readonly version: number;
}

export interface Transaction {
  readonly watches: readonly WatchedKey[];
  readonly commands: readonly (readonly Uint8Array[])[];
}

const decimal = (value: number): Uint8Array => Buffer.from(String(value), 'latin1');

export function encodeTransaction(transaction: Transaction): Uint8Array[] {
  const argv: Uint8Array[] = [Buffer.from('RAFTIS.EXEC', 'latin1'), decimal(transaction.watches.length)];
  for (const watch of transaction.watches) argv.push(watch.key, decimal(watch.version));
  for (const command of transaction.commands) argv.push(decimal(command.length), ...command);
  return argv;
}

export function isTransaction(argv: readonly Uint8Array[]): boolean {
  const name = argv[0];
  return name !== undefined && isKeyword(name, transactionCommand);
}

/** The transaction in `argv` (as encodeTransaction made it), or an error value. */
export function decodeTransaction(argv: readonly Uint8Array[]): Transaction | Error {
  let at = 1;
  const count = (what: string): number | Error => {
    const arg = argv[at++];
    const text = arg === undefined ? '' : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength).toString('latin1');
    if (!/^(?:0|[1-9][0-9]{0,15})$/.test(text)) return new Error(`bad ${what} '${text}' in a transaction entry`);
    return Number(text);
  };
  const watchCount = count('watch count');
  if (watchCount instanceof Error) return watchCount;
  if (watchCount * 2 > argv.length - at) return new Error(`transaction entry claims ${watchCount} watched keys in ${argv.length - at} arguments`);
  const watches: WatchedKey[] = [];
  for (let i = 0; i < watchCount; i++) {
    const key = argv[at++] as Uint8Array;
    const version = count('key version');
    if (version instanceof Error) return version;
    watches.push({ key, version });
  }
  const commands: Uint8Array[][] = [];
  while (at < argv.length) {
    const argc = count('argument count');
    if (argc instanceof Error) return argc;
    if (argc < 1 || argc > argv.length - at) return new Error(`transaction entry claims ${argc} arguments in ${argv.length - at}`);
    commands.push(argv.slice(at, at + argc) as Uint8Array[]);
    at += argc;
  }
  return { watches, commands };
}
