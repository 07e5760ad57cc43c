// COPY source destination [DB index] [REPLACE], as Redis 7 answers it (db.c copyCommand) on a
// server with one database: DB 0 is the only index in range. The copy is the value type's own
// deep clone (the same one an open snapshot takes), and it keeps the source's expiry.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, parsedCommand, type CommandSpec } from './command-spec.js';
import { isKeyword, parseInt64 } from './integer-parse.js';
import type { Value } from './value.js';
import { databaseCount, dbRangeError } from './database-index.js';
import { CommandError, errorReply, notIntegerError, oneReply, syntaxError, zeroReply } from './replies.js';

const int32Min = -(2 ** 31);
const int32Max = 2 ** 31 - 1;

const sameObjectError = errorReply('ERR source and destination objects are the same');

interface CopyRequest {
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
  readonly replace: boolean;
}

function parseCopy(argv: readonly Uint8Array[]): CopyRequest {
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    const option = arg(argv, j);
    if (isKeyword(option, 'replace')) {
      replace = true;
    } else if (isKeyword(option, 'db') && j + 1 < argv.length) {
      const index = parseInt64(arg(argv, j + 1));
      if (index === null || index < int32Min || index > int32Max) throw new CommandError(notIntegerError);
      if (index < 0 || index >= databaseCount) throw new CommandError(dbRangeError);
      j++;
    } else {
      throw new CommandError(syntaxError);
    }
  }
  const source = arg(argv, 1);
  const destination = arg(argv, 2);
  if (Buffer.from(source.buffer, source.byteOffset, source.byteLength).equals(destination)) throw new CommandError(sameObjectError);
  return { source, destination, replace };
}

/** An independent copy of a value: a string's bytes are already a fresh copy, a collection is cloned. */
function copyOf(value: Value): Value {
  return value.type === 'string' ? value : value.clone();
}

function copy(context: CommandContext, request: CopyRequest): Reply {
  const source = context.lookupRead(request.source);
  if (source === undefined) return zeroReply;
  const target = context.lookup(request.destination);
  if (target !== undefined) {
    if (!request.replace) return zeroReply;
    context.delete(target);
  }
  context.keyspace.create(request.destination, copyOf(source.value), source.expireAtMs);
  return oneReply;
}

export const copyCommands: readonly CommandSpec[] = [
  parsedCommand('copy', -3, ['write', 'denyoom'], [1, 2, 1], parseCopy, copy),
];
