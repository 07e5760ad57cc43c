// Adapts the storage layer (plain numbers, opaque membership bytes) to the runtime's
// LogStore port (Raft types). The membership bytes of a snapshot file carry the Raft
// configuration and every member's addresses, data-directory incarnation and promotion
// flag, because the log entries that introduced those members are compacted away.

import type { LogStore, SnapshotByteSink, SnapshotByteSource } from '../node/ports.js';
import type { ConfState, Entry, HardState, NodeId, SnapshotMeta } from '../node/consensus.js';
import { logIndex, term } from '../node/consensus.js';
import type { RaftStorage, StoredSnapshotMeta } from '../storage/raft-storage.js';
import { array, boolean, fail, object, optional, parseJson, string, type Schema } from '../base/schema.js';
import { ConfigError, formatHostPort, parseHostPort, type HostPort } from './config.js';
import type { Member } from './identity.js';

interface MembershipFile {
  voters: string[];
  learners: string[];
  members: { id: string; peer: string; client: string; promote?: boolean; incarnation?: string }[];
}

/** Members of one configuration at most (the peer codec's bound, CONF_STATE_NODES_MAX). */
const MEMBERS_MAX = 0xffff;
const memberId = string(255, true);

/** "host:port", checked as the configuration checks it. */
export const hostPortSchema: Schema<HostPort> = (value, path) => {
  const text = string(1024, true)(value, path);
  try {
    return parseHostPort(text, path);
  } catch (error) {
    if (error instanceof ConfigError) return fail(path, 'host:port with a port in 0..65535', value);
    throw error;
  }
};

const membershipSchema = object({
  voters: array(memberId, MEMBERS_MAX),
  learners: array(memberId, MEMBERS_MAX),
  members: array(object({ id: memberId, peer: hostPortSchema, client: hostPortSchema, promote: optional(boolean), incarnation: optional(string(255)) }), MEMBERS_MAX),
});

export function encodeMembership(confState: ConfState, members: ReadonlyMap<string, Member>): Uint8Array {
  const file: MembershipFile = {
    voters: [...confState.voters],
    learners: [...confState.learners],
    members: [...members.values()].map((m) => ({
      id: m.id,
      peer: formatHostPort(m.peer),
      client: formatHostPort(m.client),
      ...(m.promote === true ? { promote: true } : {}),
      ...(m.incarnation === undefined ? {} : { incarnation: m.incarnation }),
    })),
  };
  return Buffer.from(JSON.stringify(file));
}

/** Membership bytes from a snapshot file or a peer, checked (SchemaError naming the bad field). */
export function decodeMembership(bytes: Uint8Array): { confState: ConfState; members: Member[] } {
  const file = parseJson(bytes, membershipSchema, 'snapshot membership');
  return {
    confState: { voters: file.voters as NodeId[], learners: file.learners as NodeId[] },
    members: file.members.map((m) => ({
      id: m.id,
      peer: m.peer,
      client: m.client,
      ...(m.promote === true ? { promote: true } : {}),
      ...(m.incarnation === undefined ? {} : { incarnation: m.incarnation }),
    })),
  };
}

export function snapshotMetaFromStored(stored: StoredSnapshotMeta): SnapshotMeta {
  return { index: logIndex(stored.index), term: term(stored.term), confState: decodeMembership(stored.membership).confState };
}

export class StorageLogStore implements LogStore {
  private readonly storage: RaftStorage;
  private readonly members: () => ReadonlyMap<string, Member>;

  constructor(storage: RaftStorage, members: () => ReadonlyMap<string, Member>) {
    this.storage = storage;
    this.members = members;
  }

  append(entries: readonly Entry[], hardState: HardState | null): void {
    this.storage.append(entries, hardState);
  }

  sync(): Promise<void> {
    return this.storage.sync();
  }

  saveSnapshot(meta: SnapshotMeta): SnapshotByteSink {
    const writer = this.storage.saveSnapshot({ index: meta.index, term: meta.term, membership: encodeMembership(meta.confState, this.members()) });
    return {
      write: (chunk) => writer.write(chunk),
      commit: () => writer.commit(),
      abort: () => writer.abort(),
    };
  }

  openSnapshot(meta?: SnapshotMeta): SnapshotByteSource | null {
    const reader = meta === undefined ? this.storage.openSnapshot() : this.storage.openSnapshot({ index: meta.index, term: meta.term });
    if (reader === null) return null;
    return {
      read: async (maxBytes) => reader.readChunk(maxBytes),
      close: () => reader.close(),
    };
  }

  compact(index: number): Promise<void> {
    return this.storage.compact(index);
  }

  entries(lo: number, hi: number, maxBytes: number): readonly Entry[] {
    // The storage's entries carry the same fields, unbranded (as recovery hands them over).
    return this.storage.entries(lo, hi, maxBytes) as unknown as readonly Entry[];
  }
}
