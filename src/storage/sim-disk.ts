// An in-memory Disk for tests and the simulator. It keeps, per file, the durable content
// (what survives a crash) and the operations issued since the last sync; crash() keeps only
// what was synced, plus, by a seeded choice, an in-order prefix of the unsynced writes whose
// last one may be torn. Directory entries (create, rename, unlink) become durable only with
// fsyncDir. A cut budget stops the run after the Nth mutating call or Nth written byte, as a
// power failure would. Deterministic for a given seed: no Math.random.

import { dirname, posix } from 'node:path';
import type { Disk, DirLockResult, DiskStat, FileId } from './disk.js';

/** Thrown by every call once the cut budget is spent, until crash() is called. */
export class SimDiskCutError extends Error {
  constructor(what: string) {
    super(`simulated power cut at ${what}`);
    this.name = 'SimDiskCutError';
  }
}

export interface SimDiskOptions {
  /** Seed for the built-in PRNG (mulberry32); ignored when `random` is given. */
  seed?: number;
  /** A source of uniform numbers in [0, 1), e.g. the simulator's seeded PRNG. */
  random?: () => number;
  /** On crash, whether the last landed unsynced write may be torn (a prefix). Default true. */
  tornWrites?: boolean;
}

export interface SimDiskCut {
  /** Mutating calls allowed before the cut; the next one fails without effect. */
  opsAllowed?: number;
  /** Bytes pwrite may still write; the write that crosses lands only its prefix, then fails. */
  bytesAllowed?: number;
}

type PendingOp = { kind: 'write'; position: number; bytes: Uint8Array } | { kind: 'resize'; sizeBytes: number };

class SimContent {
  bytes: Uint8Array = new Uint8Array(0);
  sizeBytes = 0;

  clone(): SimContent {
    const copy = new SimContent();
    copy.bytes = this.bytes.slice(0, this.sizeBytes);
    copy.sizeBytes = this.sizeBytes;
    return copy;
  }

  private reserve(capacity: number): void {
    if (capacity <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(capacity, this.bytes.length * 2, 4096));
    grown.set(this.bytes.subarray(0, this.sizeBytes));
    this.bytes = grown;
  }

  write(position: number, data: Uint8Array): void {
    const end = position + data.length;
    this.reserve(end);
    if (position > this.sizeBytes) this.bytes.fill(0, this.sizeBytes, position);
    this.bytes.set(data, position);
    this.sizeBytes = Math.max(this.sizeBytes, end);
  }

  resize(sizeBytes: number): void {
    this.reserve(sizeBytes);
    if (sizeBytes > this.sizeBytes) this.bytes.fill(0, this.sizeBytes, sizeBytes);
    this.sizeBytes = sizeBytes;
  }

  apply(op: PendingOp): void {
    if (op.kind === 'write') this.write(op.position, op.bytes);
    else this.resize(op.sizeBytes);
  }
}

class SimInode {
  current = new SimContent();
  durable = new SimContent();
  pending: PendingOp[] = [];

  sync(): void {
    for (const op of this.pending) this.durable.apply(op);
    this.pending = [];
  }
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(path: string): string {
  return posix.normalize(path).replace(/\/+$/, '') || '/';
}

export class SimDisk implements Disk {
  private readonly random: () => number;
  private readonly tornWrites: boolean;
  private files = new Map<string, SimInode>();
  private durableFiles = new Map<string, SimInode>();
  private readonly dirs = new Set<string>(['/', '.']);
  private readonly open = new Map<FileId, { inode: SimInode; writable: boolean }>();
  private nextFileId = 3;
  private readonly locks = new Set<string>();
  private opsAllowed = Infinity;
  private bytesAllowed = Infinity;
  private isCut = false;
  /** Mutating calls made since construction (not reset by crash). */
  mutatingOps = 0;
  /** Bytes written by pwrite since construction. */
  bytesWritten = 0;
  /** Count of fdatasync + fsync calls on files, for group-commit assertions. */
  fileSyncs = 0;
  /** Count of pwrite calls. */
  writes = 0;

  constructor(options: SimDiskOptions = {}) {
    this.random = options.random ?? mulberry32(options.seed ?? 1);
    this.tornWrites = options.tornWrites ?? true;
  }

  /** Arms a power cut; see SimDiskCut. Counting starts now. */
  cutAfter(cut: SimDiskCut): void {
    this.opsAllowed = cut.opsAllowed === undefined ? Infinity : this.mutatingOps + cut.opsAllowed;
    this.bytesAllowed = cut.bytesAllowed ?? Infinity;
  }

  get cut(): boolean {
    return this.isCut;
  }

  /**
   * Power loss: every file returns to its durable content plus, by seeded choice, a prefix of
   * its unsynced operations in issue order (the last landed write possibly torn); directory
   * entries return to what fsyncDir made durable; open files and locks are gone.
   */
  crash(): void {
    for (const inode of new Set([...this.files.values(), ...this.durableFiles.values()])) {
      const landed = Math.floor(this.random() * (inode.pending.length + 1));
      const content = inode.durable;
      for (let i = 0; i < landed; i++) {
        const op = inode.pending[i]!;
        const isLast = i === landed - 1;
        if (isLast && op.kind === 'write' && this.tornWrites && this.random() < 0.5) {
          content.write(op.position, op.bytes.subarray(0, Math.floor(this.random() * op.bytes.length)));
        } else {
          content.apply(op);
        }
      }
      inode.pending = [];
      inode.current = content.clone();
    }
    this.files = new Map(this.durableFiles);
    this.open.clear();
    this.locks.clear();
    this.isCut = false;
    this.opsAllowed = Infinity;
    this.bytesAllowed = Infinity;
  }

  /** Flips one bit in a file, in its current and durable content (media corruption). */
  flipBit(path: string, offset: number, bit = 0): void {
    const inode = this.inode(path);
    for (const content of [inode.current, inode.durable]) {
      if (offset < content.sizeBytes) content.bytes[offset] = content.bytes[offset]! ^ (1 << bit);
    }
  }

  /** The current content of a file (a copy). */
  readFile(path: string): Uint8Array {
    const inode = this.inode(path);
    return inode.current.bytes.slice(0, inode.current.sizeBytes);
  }

  /** Overwrites a file's current and durable content (to build corrupt fixtures). */
  writeFileDurably(path: string, data: Uint8Array): void {
    let inode = this.files.get(normal(path));
    if (!inode) {
      inode = new SimInode();
      this.files.set(normal(path), inode);
      this.durableFiles.set(normal(path), inode);
    }
    inode.current = new SimContent();
    inode.current.write(0, data);
    inode.durable = inode.current.clone();
    inode.pending = [];
  }

  /** Every file path currently visible. */
  listFiles(): string[] {
    return [...this.files.keys()].sort();
  }

  private inode(path: string): SimInode {
    const inode = this.files.get(normal(path));
    if (!inode) throw Object.assign(new Error(`ENOENT: no such file ${path}`), { code: 'ENOENT' });
    return inode;
  }

  private handle(file: FileId): { inode: SimInode; writable: boolean } {
    if (this.isCut) throw new SimDiskCutError('a call after the cut');
    const handle = this.open.get(file);
    if (!handle) throw Object.assign(new Error(`EBADF: file ${file}`), { code: 'EBADF' });
    return handle;
  }

  // Counts one mutating call against the cut budget; throws (without effect) past it.
  private mutate(what: string): void {
    if (this.isCut) throw new SimDiskCutError(what);
    if (this.mutatingOps >= this.opsAllowed) {
      this.isCut = true;
      throw new SimDiskCutError(what);
    }
    this.mutatingOps++;
  }

  mkdir(path: string): void {
    let p = normal(path);
    while (!this.dirs.has(p)) {
      this.dirs.add(p);
      p = normal(dirname(p));
    }
  }

  readdir(path: string): string[] {
    if (this.isCut) throw new SimDiskCutError('readdir');
    const dir = normal(path);
    if (!this.dirs.has(dir)) throw Object.assign(new Error(`ENOENT: no such directory ${path}`), { code: 'ENOENT' });
    const names: string[] = [];
    for (const p of [...this.files.keys(), ...this.dirs]) {
      if (p !== dir && normal(dirname(p)) === dir) names.push(posix.basename(p));
    }
    return names.sort();
  }

  stat(path: string): DiskStat | null {
    const p = normal(path);
    if (this.dirs.has(p)) return { sizeBytes: 0, isDirectory: true };
    const inode = this.files.get(p);
    return inode ? { sizeBytes: inode.current.sizeBytes, isDirectory: false } : null;
  }

  openRead(path: string): FileId {
    if (this.isCut) throw new SimDiskCutError('open');
    const id = this.nextFileId++;
    this.open.set(id, { inode: this.inode(path), writable: false });
    return id;
  }

  /** `writeThrough` changes nothing here: pwriteDurable is the pair pwrite and fdatasync either way. */
  openWrite(path: string, mode: 'new' | 'existing', _writeThrough?: boolean): FileId {
    const p = normal(path);
    if (mode === 'new') {
      if (this.files.has(p)) throw Object.assign(new Error(`EEXIST: ${path}`), { code: 'EEXIST' });
      if (!this.dirs.has(normal(dirname(p)))) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      this.mutate(`create ${path}`);
      this.files.set(p, new SimInode());
    } else if (this.isCut) {
      throw new SimDiskCutError('open');
    }
    const id = this.nextFileId++;
    this.open.set(id, { inode: this.inode(p), writable: true });
    return id;
  }

  pread(file: FileId, target: Uint8Array, position: number): number {
    const { inode } = this.handle(file);
    const available = Math.max(0, Math.min(target.length, inode.current.sizeBytes - position));
    target.set(inode.current.bytes.subarray(position, position + available));
    return available;
  }

  fileSize(file: FileId): number {
    return this.handle(file).inode.current.sizeBytes;
  }

  close(file: FileId): void {
    this.open.delete(file);
  }

  async pwrite(file: FileId, data: Uint8Array, position: number): Promise<void> {
    const { inode, writable } = this.handle(file);
    if (!writable) throw Object.assign(new Error('EBADF: read-only file'), { code: 'EBADF' });
    this.mutate('pwrite');
    this.writes++;
    let bytes = data;
    const cutHere = data.length > this.bytesAllowed;
    if (cutHere) bytes = data.subarray(0, this.bytesAllowed);
    const copy = bytes.slice();
    inode.current.write(position, copy);
    inode.pending.push({ kind: 'write', position, bytes: copy });
    this.bytesWritten += copy.length;
    if (this.bytesAllowed !== Infinity) this.bytesAllowed -= copy.length;
    if (cutHere) {
      this.isCut = true;
      throw new SimDiskCutError(`byte ${this.bytesWritten} of a pwrite`);
    }
  }

  async fdatasync(file: FileId): Promise<void> {
    const { inode } = this.handle(file);
    this.mutate('fdatasync');
    this.fileSyncs++;
    inode.sync();
  }

  async fsync(file: FileId): Promise<void> {
    await this.fdatasync(file);
  }

  /** A write, then its sync: a crash between the two (or in the write) is modelled as for the real pair. */
  async pwriteDurable(file: FileId, data: Uint8Array, position: number): Promise<void> {
    await this.pwrite(file, data, position);
    await this.fdatasync(file);
  }

  async preallocate(file: FileId, sizeBytes: number): Promise<void> {
    const { inode } = this.handle(file);
    if (sizeBytes <= inode.current.sizeBytes) return;
    this.mutate('preallocate');
    inode.current.resize(sizeBytes);
    inode.pending.push({ kind: 'resize', sizeBytes });
  }

  async ftruncate(file: FileId, sizeBytes: number): Promise<void> {
    const { inode } = this.handle(file);
    this.mutate('ftruncate');
    inode.current.resize(sizeBytes);
    inode.pending.push({ kind: 'resize', sizeBytes });
  }

  async rename(from: string, to: string): Promise<void> {
    const inode = this.inode(from);
    this.mutate(`rename ${from}`);
    this.files.delete(normal(from));
    this.files.set(normal(to), inode);
  }

  async unlink(path: string): Promise<void> {
    this.inode(path);
    this.mutate(`unlink ${path}`);
    this.files.delete(normal(path));
  }

  async fsyncDir(path: string): Promise<void> {
    this.mutate(`fsyncDir ${path}`);
    const dir = normal(path);
    for (const p of [...this.durableFiles.keys()]) {
      if (normal(dirname(p)) === dir && this.files.get(p) !== this.durableFiles.get(p)) this.durableFiles.delete(p);
    }
    for (const [p, inode] of this.files) {
      if (normal(dirname(p)) === dir) this.durableFiles.set(p, inode);
    }
  }

  lockDir(path: string): DirLockResult {
    const dir = normal(path);
    if (this.locks.has(dir)) return { ok: false, holder: 'another storage instance on this simulated disk' };
    this.locks.add(dir);
    return { ok: true, release: () => this.locks.delete(dir) };
  }
}
