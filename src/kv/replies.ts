// Shared reply values and the exact Redis 7 error texts, so every handler says the same thing.

import type { ErrorReply, Reply } from './reply.js';

export const okReply: Reply = { kind: 'simple', value: 'OK' };
export const nilReply: Reply = { kind: 'bulk', value: null };
export const emptyBulkReply: Reply = { kind: 'bulk', value: new Uint8Array(0) };
export const zeroReply: Reply = { kind: 'integer', value: 0 };
export const oneReply: Reply = { kind: 'integer', value: 1 };

/** An integer reply; a bigint within the safe range is stored as a number so both ends agree on one form. */
export function integerReply(value: number | bigint): Reply {
  if (typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return { kind: 'integer', value: Number(value) };
  }
  return { kind: 'integer', value };
}

export function bulkReply(value: Uint8Array): Reply {
  return { kind: 'bulk', value };
}

export function bulkText(text: string): Reply {
  return { kind: 'bulk', value: Buffer.from(text, 'latin1') };
}

export function errorReply(message: string): ErrorReply {
  return { kind: 'error', message };
}

/** An error already counted in INFO errorstats where it arose (a script's call: Reply's `counted`). */
export function countedErrorReply(message: string): ErrorReply {
  return { kind: 'error', message, counted: true };
}

export const syntaxError = errorReply('ERR syntax error');
export const wrongTypeError = errorReply('WRONGTYPE Operation against a key holding the wrong kind of value');
export const notIntegerError = errorReply('ERR value is not an integer or out of range');
export const notFloatError = errorReply('ERR value is not a valid float');
export const overflowError = errorReply('ERR increment or decrement would overflow');
export const stringTooLongError = errorReply('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
export const noSuchKeyError = errorReply('ERR no such key');
export const outOfMemoryError = errorReply("OOM command not allowed when used memory > 'maxmemory'.");

/**
 * A command's error reply thrown rather than returned, from helpers deep inside a handler
 * (WRONGTYPE from a typed lookup, a bad argument): the state machine answers `reply`.
 * Thrown only before the command changed anything.
 */
export class CommandError extends Error {
  constructor(readonly reply: ErrorReply) {
    super(reply.message);
  }
}

export function arityError(commandName: string): ErrorReply {
  return errorReply(`ERR wrong number of arguments for '${commandName.toLowerCase()}' command`);
}

export function invalidExpireError(commandName: string): ErrorReply {
  return errorReply(`ERR invalid expire time in '${commandName.toLowerCase()}' command`);
}
