// The load generator's clients, one kind per protocol, behind one small interface so every
// workload drives raftis, Redis and etcd the same way: a request is a write (SET / put of a
// 256-byte value) or a read (GET / range) of a key drawn uniformly from 100k keys. Requests
// are pre-encoded into pools so the generator spends its CPU on sockets, not on encoding.

import type { ConnectionOptions } from 'node:tls';
import { encodeCommand } from '../src/resp/index.js';
import { EtcdClient, etcdPutBody, etcdRangeBody } from './etcd-client.js';
import { RespClient, replyFailure } from './resp-client.js';

export const VALUE_BYTES = 256;
export const KEY_COUNT = 100_000;
const CONNECT_TIMEOUT_MS = 5_000;
/** A TLS handshake is CPU work on both ends: 64 of them at once on a loaded 2-core machine take seconds. */
const TLS_CONNECT_TIMEOUT_MS = 30_000;
/** Pre-encoded requests per pool; enough that keys still look random. */
const POOL_SIZE = 8192;

export type Done = (failure: string | null) => void;

export interface LoadClient {
  issue(read: boolean, done: Done): void;
  close(): void;
}

export type ReadMode = 'linearizable' | 'lease' | 'stale' | 'serializable';

export function benchKey(index: number): string {
  return `key:${String(index).padStart(6, '0')}`;
}

export function benchValue(bytes = VALUE_BYTES): Buffer {
  const value = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) value[i] = 97 + Math.floor(Math.random() * 26);
  return value;
}

function randomKeyIndex(): number {
  return Math.floor(Math.random() * KEY_COUNT);
}

interface Pools<T> { writes: T[]; reads: T[] }

function buildPools<T>(write: (key: string) => T, read: (key: string) => T): Pools<T> {
  const writes: T[] = [];
  const reads: T[] = [];
  for (let i = 0; i < POOL_SIZE; i++) {
    writes.push(write(benchKey(randomKeyIndex())));
    reads.push(read(benchKey(randomKeyIndex())));
  }
  return { writes, reads };
}

let respPools: Pools<Buffer> | null = null;

class RespLoadClient implements LoadClient {
  private cursor = Math.floor(Math.random() * POOL_SIZE);
  constructor(private readonly client: RespClient, private readonly pools: Pools<Buffer>) {}

  issue(read: boolean, done: Done): void {
    this.cursor = (this.cursor + 1) % POOL_SIZE;
    const request = (read ? this.pools.reads : this.pools.writes)[this.cursor]!;
    this.client.sendEncoded(request, (reply) => done(replyFailure(reply)));
  }

  close(): void {
    this.client.close();
  }
}

/** Opens a RESP load client (over TLS with `tls`); `readMode` (raftis only) is set with RAFT.CONSISTENCY. */
export async function openRespLoadClient(port: number, readMode: ReadMode | null, tls: ConnectionOptions | null = null): Promise<LoadClient> {
  if (respPools === null) {
    const value = benchValue();
    respPools = buildPools((key) => encodeCommand(['SET', key, value]), (key) => encodeCommand(['GET', key]));
  }
  const client = await RespClient.open(port, '127.0.0.1', tls === null ? CONNECT_TIMEOUT_MS : TLS_CONNECT_TIMEOUT_MS, tls);
  if (readMode !== null) {
    const failure = replyFailure(await client.call(['RAFT.CONSISTENCY', readMode]));
    if (failure !== null) {
      client.close();
      throw new Error(`RAFT.CONSISTENCY ${readMode}: ${failure}`);
    }
  }
  return new RespLoadClient(client, respPools);
}

let etcdPools: Pools<Buffer> | null = null;
let etcdSerializablePools: Pools<Buffer> | null = null;

class EtcdLoadClient implements LoadClient {
  private cursor = Math.floor(Math.random() * POOL_SIZE);
  constructor(private readonly client: EtcdClient, private readonly pools: Pools<Buffer>) {}

  issue(read: boolean, done: Done): void {
    this.cursor = (this.cursor + 1) % POOL_SIZE;
    if (read) this.client.post('/v3/kv/range', this.pools.reads[this.cursor]!, (error) => done(error));
    else this.client.post('/v3/kv/put', this.pools.writes[this.cursor]!, (error) => done(error));
  }

  close(): void {
    this.client.close();
  }
}

export function openEtcdLoadClient(port: number, readMode: ReadMode | null): LoadClient {
  const serializable = readMode === 'serializable';
  let pools = serializable ? etcdSerializablePools : etcdPools;
  if (pools === null) {
    const value = benchValue();
    pools = buildPools((key) => etcdPutBody(key, value), (key) => etcdRangeBody(key, serializable));
    if (serializable) etcdSerializablePools = pools;
    else etcdPools = pools;
  }
  return new EtcdLoadClient(new EtcdClient(port), pools);
}
