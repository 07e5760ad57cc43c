// Errors the storage layer raises. Corruption and a locked directory are the two an
// operator must act on; each carries a stable code and the file it is about.

export const STORAGE_REJOIN_ADVICE =
  'To recover: remove this node from the cluster (membership change from a healthy node), ' +
  'move this data directory aside, and re-add the node with an empty data directory so it ' +
  'receives a snapshot from the leader.';

/** Base of every storage error; `code` is stable and meant for programs. */
export class StorageError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
  }
}

/**
 * The data directory holds something that recovery must not guess about: a checksum failure
 * before the tail, an index gap, a segment from another cluster or node, an unknown format.
 * The node must not start: starting could forget a committed entry.
 */
export class StorageCorruptionError extends StorageError {
  readonly file: string;
  readonly offset: number;
  constructor(file: string, offset: number, problem: string) {
    super('RAFTIS_STORAGE_CORRUPTION', `storage corruption in ${file} at offset ${offset}: ${problem}. ${STORAGE_REJOIN_ADVICE}`);
    this.name = 'StorageCorruptionError';
    this.file = file;
    this.offset = offset;
  }
}

/** Another live process (or another RaftStorage in this process) holds the directory. */
export class StorageLockedError extends StorageError {
  readonly dir: string;
  constructor(dir: string, holder: string) {
    super('RAFTIS_STORAGE_LOCKED', `data directory ${dir} is locked by ${holder}; two nodes must never share a data directory`);
    this.name = 'StorageLockedError';
    this.dir = dir;
  }
}

/**
 * Code of the error sync() rejects with when the disk is full (ENOSPC on a write or a
 * preallocation): nothing is lost and storage stays usable; the next sync writes the same
 * data again. Every other sync failure is final (StorageError RAFTIS_STORAGE_WRITE_FAILED).
 */
export const STORAGE_NO_SPACE = 'RAFTIS_STORAGE_NO_SPACE';

/** Options rejected up front with the field name and the allowed range. */
export class StorageOptionsError extends StorageError {
  constructor(message: string) {
    super('RAFTIS_STORAGE_OPTIONS', message);
    this.name = 'StorageOptionsError';
  }
}

/** A broken invariant inside the storage layer: a bug, never an expected condition. */
export function storageAssert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`storage invariant broken: ${message}`);
}
