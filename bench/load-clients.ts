// The load generator's clients, one kind per protocol, behind one small interface so every
// workload drives raftis, Redis and etcd the same way: a request is a write (SET / put of a
// 256-byte value) or a read (GET / range) of a key drawn uniformly from 100k keys. Requests
// are pre-encoded into pools so the generator spends its CPU on sockets, not on encoding.

import { createHash } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import { encodeCommand, type CommandArg, type RespValue } from '../src/resp/index.js';
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

/**
 * What a RESP write is: a SET, an EVALSHA of a script that does the SET (WRITE_SCRIPT), or the
 * SET as a transaction (MULTI, SET, EXEC sent together: one request of three replies).
 */
export type RespWrite = 'SET' | 'EVALSHA' | 'MULTI';
export const RESP_WRITES: readonly RespWrite[] = ['SET', 'EVALSHA', 'MULTI'];
export const WRITE_SCRIPT = "return redis.call('SET', KEYS[1], ARGV[1])";
const WRITE_SCRIPT_SHA = createHash('sha1').update(WRITE_SCRIPT).digest('hex');

const respPools = new Map<RespWrite, Pools<Buffer>>();

function respPoolsFor(write: RespWrite): Pools<Buffer> {
  let pools = respPools.get(write);
  if (pools === undefined) {
    const value = benchValue();
    const encodeWrite: Record<RespWrite, (key: string) => Buffer> = {
      SET: (key) => encodeCommand(['SET', key, value]),
      EVALSHA: (key) => encodeCommand(['EVALSHA', WRITE_SCRIPT_SHA, '1', key, value]),
      MULTI: (key) => Buffer.concat([encodeCommand(['MULTI']), encodeCommand(['SET', key, value]), encodeCommand(['EXEC'])]),
    };
    pools = buildPools(encodeWrite[write], (key) => encodeCommand(['GET', key]));
    respPools.set(write, pools);
  }
  return pools;
}

/** Replies to one write request of each kind. */
const WRITE_REPLIES: Record<RespWrite, number> = { SET: 1, EVALSHA: 1, MULTI: 3 };

/** Why a reply to one command of a request failed: an error, or an aborted transaction's null EXEC. */
function commandFailure(reply: RespValue | Error): string | null {
  if (!(reply instanceof Error) && reply.kind === 'array' && reply.value === null) return 'EXEC aborted';
  return replyFailure(reply);
}

class RespLoadClient implements LoadClient {
  private cursor = Math.floor(Math.random() * POOL_SIZE);
  private readonly writeReplies: number;
  constructor(private readonly client: RespClient, private readonly pools: Pools<Buffer>, write: RespWrite) {
    this.writeReplies = WRITE_REPLIES[write];
  }

  issue(read: boolean, done: Done): void {
    this.cursor = (this.cursor + 1) % POOL_SIZE;
    const request = (read ? this.pools.reads : this.pools.writes)[this.cursor]!;
    const replies = read ? 1 : this.writeReplies;
    let left = replies;
    let failure: string | null = null;
    this.client.sendEncoded(request, (reply) => {
      failure ??= commandFailure(reply);
      if (--left === 0) done(failure);
    }, replies);
  }

  close(): void {
    this.client.close();
  }
}

/**
 * Opens a RESP load client (over TLS with `tls`); `readMode` (raftis only) is set with
 * RAFT.CONSISTENCY; an EVALSHA client loads WRITE_SCRIPT first.
 */
export async function openRespLoadClient(port: number, readMode: ReadMode | null, tls: ConnectionOptions | null = null, write: RespWrite = 'SET'): Promise<LoadClient> {
  const client = await RespClient.open(port, '127.0.0.1', tls === null ? CONNECT_TIMEOUT_MS : TLS_CONNECT_TIMEOUT_MS, tls);
  const setup: CommandArg[][] = [...(readMode === null ? [] : [['RAFT.CONSISTENCY', readMode]]), ...(write === 'EVALSHA' ? [['SCRIPT', 'LOAD', WRITE_SCRIPT]] : [])];
  for (const argv of setup) {
    const failure = replyFailure(await client.call(argv));
    if (failure !== null) {
      client.close();
      throw new Error(`${argv.slice(0, 2).join(' ')}: ${failure}`);
    }
  }
  return new RespLoadClient(client, respPoolsFor(write), write);
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
