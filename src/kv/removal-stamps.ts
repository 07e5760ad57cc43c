// What WATCH sees of a key that is not there. A present key's version is the stamp of its
// last write, which every write changes; an absent key has no entry to carry one, and a
// single "absent" version let a key created and removed again between WATCH and EXEC look
// unchanged (the chaos finding of 2026-12-06, docs/testing.md: a compare-and-set built on
// WATCH ran over a DEL). So each removal leaves a version in a bucket chosen by the key's
// hash, and an absent key's version is its bucket's: any removal after WATCH changes it.
//
// Versions, all distinct (stamps come from the keyspace's one counter):
//   s                    a live entry written at stamp s
//   s + expiredOffset    the entry written at s, expired; also what its removal leaves, so
//                        removing a key that had already expired changes nothing (as Redis)
//   d                    what removing a live key leaves: a stamp drawn for that removal
//   0                    absent, and no key of its bucket ever removed
// Another key's removal in the same bucket makes EXEC fail for nothing (1 in `bucketCount`
// per removal between WATCH and EXEC); it never makes a changed key look unchanged, because
// every version after a change comes from a stamp drawn after the WATCH.
//
// Replicated state: every replica must judge EXEC alike, so the buckets travel in snapshots
// and the bucket count is a constant, not a setting.

import type { ByteReader, ByteWriter } from './binary.js';
import { DecodeError } from './binary.js';
import { fnv1aLatin1, fnvOffsetBasis } from './hash.js';

/** Buckets of removal versions (a power of two): 128 KiB per node, in every snapshot. */
export const removalBucketCount = 16_384;
/** Added to a write stamp to name that entry's expired state; above every stamp (fewer than 2^52 writes), and the sum stays an exact integer. */
export const expiredOffset = 2 ** 52;

export function expiredVersion(writtenStamp: number): number {
  return writtenStamp + expiredOffset;
}

export class RemovalStamps {
  private readonly versions: Float64Array;

  constructor(versions: Float64Array = new Float64Array(removalBucketCount)) {
    if (versions.length !== removalBucketCount) throw new Error(`removal stamps: ${versions.length} buckets, expected ${removalBucketCount}`);
    this.versions = versions;
  }

  /** The version of an absent key (by its latin1 map key). */
  versionOf(mapKey: string): number {
    return this.versions[bucketOf(mapKey)] as number;
  }

  /** Records what removing `mapKey` leaves. */
  record(mapKey: string, version: number): void {
    this.versions[bucketOf(mapKey)] = version;
  }

  /** Records `version` in every bucket: a removal of more keys than there are buckets (FLUSHALL). */
  fill(version: number): void {
    this.versions.fill(version);
  }

  /** A copy as of now (a snapshot keeps it while writes continue). */
  copy(): RemovalStamps {
    return new RemovalStamps(this.versions.slice());
  }

  /** The buckets that hold a version, as (bucket, version) pairs. */
  encode(writer: ByteWriter): void {
    let used = 0;
    for (const version of this.versions) if (version !== 0) used++;
    writer.varint(used);
    this.versions.forEach((version, bucket) => {
      if (version === 0) return;
      writer.varint(bucket);
      writer.varint(version);
    });
  }

  /** Reads what encode wrote; every version must come from a stamp at most `stamp` (the keyspace's). */
  static decode(reader: ByteReader, stamp: number): RemovalStamps {
    const versions = new Float64Array(removalBucketCount);
    const used = reader.varint();
    if (used > removalBucketCount) throw new DecodeError(`removal stamps: ${used} buckets of ${removalBucketCount}`);
    let previous = -1;
    for (let i = 0; i < used; i++) {
      const bucket = reader.varint();
      if (bucket <= previous || bucket >= removalBucketCount) throw new DecodeError(`removal stamps: bucket ${bucket} after ${previous}`);
      const version = reader.varint();
      const fromStamp = version >= expiredOffset ? version - expiredOffset : version;
      if (version === 0 || fromStamp > stamp) throw new DecodeError(`removal stamps: bucket ${bucket} holds version ${version} (keyspace stamp ${stamp})`);
      versions[bucket] = version;
      previous = bucket;
    }
    return new RemovalStamps(versions);
  }
}

function bucketOf(mapKey: string): number {
  return fnv1aLatin1(fnvOffsetBasis, mapKey) & (removalBucketCount - 1);
}
