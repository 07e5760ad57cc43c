// The script cache (EVAL bodies and SCRIPT LOAD), replicated state: changed only by applied
// entries, carried in snapshots, so EVALSHA finds the same scripts on every node and after a
// failover. Insertion order, which snapshots keep.

import { sha1Hex } from './sha1.js';

export class ScriptStore {
  /** A store holding `bodies` (a snapshot's scripts), named by their SHA-1s. */
  static of(bodies: readonly Uint8Array[]): ScriptStore {
    const store = new ScriptStore();
    for (const body of bodies) store.add(sha1Hex(body), body);
    return store;
  }

  private readonly bodies = new Map<string, Uint8Array>();
  private bytes = 0;

  get size(): number {
    return this.bodies.size;
  }

  /** Bytes of script bodies held (INFO used_memory_scripts_eval). */
  get byteLength(): number {
    return this.bytes;
  }

  get(sha: string): Uint8Array | undefined {
    return this.bodies.get(sha);
  }

  has(sha: string): boolean {
    return this.bodies.has(sha);
  }

  add(sha: string, body: Uint8Array): void {
    if (this.bodies.has(sha)) return;
    const copy = Uint8Array.from(body);
    this.bodies.set(sha, copy);
    this.bytes += copy.length;
  }

  clear(): void {
    this.bodies.clear();
    this.bytes = 0;
  }

  entries(): IterableIterator<[string, Uint8Array]> {
    return this.bodies.entries();
  }
}
