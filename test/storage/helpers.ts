// Shared helpers for the storage tests: deterministic entries, a SimDisk-backed open, and
// the model of what a log should hold.

import { RaftStorage, type Recovered, type StorageOptions } from '../../src/storage/raft-storage.js';
import type { StoredEntry } from '../../src/storage/types.js';
import type { Disk } from '../../src/storage/disk.js';

export const DIR = '/data/node';

/** Entry data derived from (index, term) so any mix-up is visible. */
export function entry(index: number, term: number, dataBytes = 16): StoredEntry {
  const data = new Uint8Array(dataBytes);
  for (let i = 0; i < dataBytes; i++) data[i] = (index * 31 + term * 7 + i) & 0xff;
  return { index, term, type: index % 3, data };
}

export function entries(from: number, to: number, term: number, dataBytes = 16): StoredEntry[] {
  const out: StoredEntry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term, dataBytes));
  return out;
}

export type LogMessages = { level: string; msg: string; fields?: Record<string, unknown> }[];

export async function openSim(disk: Disk, extra: Partial<StorageOptions> = {}, messages?: LogMessages): Promise<{ storage: RaftStorage; recovered: Recovered }> {
  return RaftStorage.open({
    dir: DIR,
    clusterId: 'c1',
    nodeId: 'n1',
    segmentBytes: 4096,
    disk,
    log: (level, msg, fields) => messages?.push(fields === undefined ? { level, msg } : { level, msg, fields }),
    ...extra,
  });
}

/** Plain comparable form of entries. */
export function plain(list: readonly StoredEntry[]): { index: number; term: number; type: number; data: number[] }[] {
  return list.map((e) => ({ index: e.index, term: e.term, type: e.type, data: [...e.data] }));
}
