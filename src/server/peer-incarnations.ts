// Remembers the data-directory incarnation of every peer (`<data-dir>/peers.json`). A node
// whose data directory was lost and which comes back under the same id presents a new
// incarnation; it is refused, because it may have forgotten a vote it cast or entries it
// acknowledged, and letting it vote could elect a leader without a committed entry. The
// operator removes it and adds it back as a new member, which resets the record. This local
// record serves founders and members added by hand; a member that joined with --join names
// its incarnation in the replicated configuration instead (Member.incarnation), which every
// node checks alike.

import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseJson, record, string } from '../base/schema.js';

const FILE = 'peers.json';

export class PeerIncarnations {
  private readonly path: string;
  private readonly known: Map<string, string>;

  constructor(dataDir: string) {
    this.path = join(dataDir, FILE);
    this.known = existsSync(this.path) ? parseJson(readFileSync(this.path, 'utf8'), record(string(255), 0xffff), this.path) : new Map<string, string>();
  }

  /** Null to accept the peer; otherwise why it is refused. The first incarnation seen is recorded durably. */
  verify(id: string, incarnation: string): string | null {
    const known = this.known.get(id);
    if (known === undefined) {
      if (incarnation === '') return `peer ${id} presents no data-directory incarnation`;
      this.known.set(id, incarnation);
      this.save();
      return null;
    }
    if (known === incarnation) return null;
    return incarnationRefusal(id, incarnation, known);
  }

  /** Forgets a removed member, so that it can be added back with a new data directory. */
  forget(id: string): void {
    if (this.known.delete(id)) this.save();
  }

  private save(): void {
    const temporary = `${this.path}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, JSON.stringify(Object.fromEntries(this.known), null, 2) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
  }
}

/** Why a peer presenting `incarnation` is refused when the cluster knows `id` as `known`. */
export function incarnationRefusal(id: string, incarnation: string, known: string): string {
  return `node ${id} presents data directory incarnation ${incarnation}, but this cluster knew it as ${known}: ` +
    `its data directory was replaced, so it may have forgotten votes or entries. Remove it (RAFT.NODE REMOVE ${id}) ` +
    'and add it back as a new member with an empty data directory';
}
