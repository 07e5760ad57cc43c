// The elements of the collection benchmarks (memory per type, throughput per type): one big
// key per type whose elements are 10 to 100 bytes (55 on average), the same bytes for raftis
// and Redis, and the write command that adds a batch of them. Each element starts with its
// index, so members and fields are distinct.

export const COLLECTION_TYPES = ['hash', 'list', 'set', 'zset'] as const;
export type CollectionType = (typeof COLLECTION_TYPES)[number];

export const ELEMENT_BYTES_MIN = 10;
export const ELEMENT_BYTES_MAX = 100;
const PADDING = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3);

/** Element `index`: its index in base 36, a dot, then padding to 10–100 bytes (spread evenly). */
export function elementOf(index: number): string {
  const length = ELEMENT_BYTES_MIN + ((index * 7919) % (ELEMENT_BYTES_MAX - ELEMENT_BYTES_MIN + 1));
  const head = `${index.toString(36)}.`;
  return head + PADDING.slice(0, Math.max(0, length - head.length));
}

/** A hash field: short, as fields usually are (`f:` and the index). */
export function fieldOf(index: number): string {
  return `f:${index}`;
}

/** The argv that adds elements from…from+count-1 to `key` with the type's own write command. */
export function fillCommand(type: CollectionType, key: string, from: number, count: number): string[] {
  const argv = [{ hash: 'HSET', list: 'RPUSH', set: 'SADD', zset: 'ZADD' }[type], key];
  for (let i = from; i < from + count; i++) {
    if (type === 'hash') argv.push(fieldOf(i), elementOf(i));
    else if (type === 'zset') argv.push(String((i * 7919) % 1_000_003), elementOf(i));
    else argv.push(elementOf(i));
  }
  return argv;
}

/** Bytes of data per element (what Redis and raftis both must keep, before any overhead). */
export function dataBytes(type: CollectionType, index: number): number {
  const element = elementOf(index).length;
  return type === 'hash' ? element + fieldOf(index).length : type === 'zset' ? element + 8 : element;
}
