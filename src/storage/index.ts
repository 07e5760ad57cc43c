// The storage layer's public surface: what src/node and src/server may import.

export { RaftStorage, SEGMENT_BYTES_DEFAULT, SNAPSHOTS_RETAINED_DEFAULT, CACHE_BYTES_DEFAULT } from './raft-storage.js';
export type { StorageOptions, Recovered } from './raft-storage.js';
export type { StoredEntry, StoredHardState, StoredSnapshotMeta, StorageLogger, StorageLogLevel } from './types.js';
export { EMPTY_HARD_STATE } from './types.js';
export { SnapshotWriter, SnapshotReader } from './snapshot-file.js';
export type { Disk, DiskStat, DirLockResult, FileId } from './disk.js';
export { realDisk } from './real-disk.js';
export { SimDisk, SimDiskCutError } from './sim-disk.js';
export type { SimDiskOptions, SimDiskCut } from './sim-disk.js';
export { StorageError, StorageCorruptionError, StorageLockedError, StorageOptionsError } from './errors.js';
export { crc32c, crc32cUpdate, crc32cFinish, CRC32C_INITIAL_STATE } from './crc32c.js';
