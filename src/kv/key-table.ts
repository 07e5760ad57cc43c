// The keyspace's hash index: key bytes → the key's slot (a small integer the keyspace gives
// each key; its creation-order position). It replaces a Map<string, entry>, which cost ~29
// bytes per key at a million keys (three words per entry plus a bucket word per two) and a
// latin1 string made from the request's key bytes on every lookup: here a key costs one
// 4-byte bucket at a load of at most a half (8–16 bytes per key), and a lookup hashes the
// request's bytes where they are.
//
// Open addressing with linear probing and backward-shift deletion (no tombstones: a probe
// stops at the first empty bucket). The table stores slots, and each slot's hash in an array
// by slot (4 bytes per key: growing and deleting move keys by their hash without reading
// them, and a probe compares hashes before it reads a key, all without leaving the table's
// arrays, where a key's bytes are three dependent reads away); the keyspace (the host) tells
// whether a slot holds given key bytes, from its own copy of the key.
// The hash is seeded per process (seedKeyHash, by `raftis server` at start-up: this layer
// draws no randomness of its own): the table is node-local (nothing replicated or written to
// disk depends on it, iteration goes by slot), so another node's layout does not matter and a
// client cannot aim keys at one bucket without knowing the seed.

/** What the table asks of its owner about the keys behind slots. */
export interface KeyTableHost {
  /** hashOfBytes / hashOfLatin1 of the key at `slot` (asked when slots were renumbered: rebuild). */
  slotHash(slot: number): number;
  /** Whether the key at `slot` is exactly `key`. */
  slotHasKey(slot: number, key: Uint8Array): boolean;
  /** Whether two slots hold the same key bytes. */
  sameKey(slotA: number, slotB: number): boolean;
}

/** Buckets of a new table (a power of two). */
const initialBuckets = 64;
/** Slot numbers are stored plus one (0 marks an empty bucket), so a slot must stay below this. */
export const keyTableSlotMax = 0x7fff_fffe;

let seed = 0x9e37_79b9;
/** Whether a hash was computed: the seed may no longer change (stored hashes would go stale). */
let seedUsed = false;

/** Sets the process's key hash seed; only before the first key is hashed. */
export function seedKeyHash(value: number): void {
  if (seedUsed) throw new Error('key table: the hash seed is set before any key is hashed');
  seed = value | 0;
}

/** Murmur3's finalizer: spreads every input bit over the low bits the table masks (an int32, as the table stores it). */
function mix(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  return h ^ (h >>> 16);
}

/** The hash of bytes[from, to). Equal to hashOfLatin1 of the same bytes as a latin1 string. */
export function hashOfBytes(bytes: Uint8Array, from = 0, to = bytes.length): number {
  seedUsed = true;
  let h = seed ^ (to - from);
  for (let i = from; i < to; i++) h = Math.imul(h ^ (bytes[i] as number), 0x0100_0193);
  return mix(h);
}

/** The hash of text[from, to) read as latin1 bytes (one char per byte). */
export function hashOfLatin1(text: string, from = 0, to = text.length): number {
  seedUsed = true;
  let h = seed ^ (to - from);
  for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x0100_0193);
  return mix(h);
}

export class KeyTable {
  /** Slot + 1 per bucket, 0 for empty. Invariant: count * 2 <= buckets.length. */
  private buckets = new Int32Array(initialBuckets);
  private mask = initialBuckets - 1;
  private count = 0;
  /** The hash of the key at each slot in the table (hashOfBytes, as an int32); other slots' entries are stale. */
  private slotHashes = new Int32Array(initialBuckets);

  constructor(private readonly host: KeyTableHost) {}

  get size(): number {
    return this.count;
  }

  /** The slot holding `key` (whose hashOfBytes is `hash`), or -1. */
  find(key: Uint8Array, hash: number): number {
    const buckets = this.buckets;
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const stored = buckets[i] as number;
      if (stored === 0) return -1;
      if (this.slotHashes[stored - 1] === hash && this.host.slotHasKey(stored - 1, key)) return stored - 1;
    }
  }

  /** Adds `slot`, whose key is not in the table (the caller looked it up). */
  insert(slot: number, hash: number): void {
    if (slot < 0 || slot > keyTableSlotMax) throw new Error(`key table: slot ${slot} outside [0, ${keyTableSlotMax}]`);
    if ((this.count + 1) * 2 > this.buckets.length) this.resize(this.buckets.length * 2);
    if (slot >= this.slotHashes.length) {
      const grown = new Int32Array(Math.max(slot + 1, this.slotHashes.length * 2));
      grown.set(this.slotHashes);
      this.slotHashes = grown;
    }
    this.slotHashes[slot] = hash;
    this.place(slot, hash);
    this.count++;
  }

  /** Adds `slot` unless a slot with the same key is in the table: returns that slot then, else -1. */
  insertUnique(slot: number): number {
    const hash = this.host.slotHash(slot);
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const stored = this.buckets[i] as number;
      if (stored === 0) break;
      if (this.slotHashes[stored - 1] === hash && this.host.sameKey(stored - 1, slot)) return stored - 1;
    }
    this.insert(slot, hash);
    return -1;
  }

  /** Removes `slot` (in the table, with hash `hash`); the buckets after it move back to close the gap. */
  remove(slot: number, hash: number): void {
    const buckets = this.buckets;
    const mask = this.mask;
    let hole = hash & mask;
    while (buckets[hole] !== slot + 1) {
      if (buckets[hole] === 0) throw new Error(`key table: slot ${slot} is not in the table`);
      hole = (hole + 1) & mask;
    }
    for (let next = (hole + 1) & mask; buckets[next] !== 0; next = (next + 1) & mask) {
      const home = (this.slotHashes[(buckets[next] as number) - 1] as number) & mask;
      // The entry at `next` may fill the hole unless its home lies cyclically in (hole, next].
      const homeAfterHole = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (homeAfterHole) continue;
      buckets[hole] = buckets[next] as number;
      hole = next;
    }
    buckets[hole] = 0;
    this.count--;
  }

  /** Empties the table and fills it with `slots` (distinct keys), sized for them. */
  rebuild(slots: Iterable<number>, count: number): void {
    this.buckets = new Int32Array(bucketsFor(count));
    this.mask = this.buckets.length - 1;
    this.count = 0;
    this.slotHashes = new Int32Array(this.buckets.length);
    for (const slot of slots) this.insert(slot, this.host.slotHash(slot));
  }

  clear(): void {
    this.rebuild([], 0);
  }

  private place(slot: number, hash: number): void {
    let i = hash & this.mask;
    while (this.buckets[i] !== 0) i = (i + 1) & this.mask;
    this.buckets[i] = slot + 1;
  }

  private resize(bucketCount: number): void {
    const old = this.buckets;
    this.buckets = new Int32Array(bucketCount);
    this.mask = bucketCount - 1;
    for (const stored of old) if (stored !== 0) this.place(stored - 1, this.slotHashes[stored - 1] as number);
  }
}

/** The smallest power-of-two bucket count that holds `count` keys at a load of at most a half. */
function bucketsFor(count: number): number {
  let buckets = initialBuckets;
  while (buckets < count * 2) buckets *= 2;
  return buckets;
}
