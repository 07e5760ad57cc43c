// Fills the key space before read workloads so reads find values: pipelined MSET batches
// for RESP servers, multi-put transactions for etcd.

import { encodeCommand, type CommandArg } from '../src/resp/index.js';
import { EtcdClient, base64 } from './etcd-client.js';
import { RespClient, replyFailure } from './resp-client.js';

const MSET_PAIRS = 100;
const RESP_CONNECTIONS = 4;
const RESP_IN_FLIGHT_PER_CONNECTION = 4;
/** etcd's default --max-txn-ops. */
const ETCD_TXN_OPS = 128;
const ETCD_CONNECTIONS = 8;

/** MSETs keys key(0)…key(count-1), each with `value`; throws on the first failed reply. */
export function preloadResp(port: number, count: number, key: (index: number) => string, value: Buffer, onProgress?: (done: number) => void): Promise<void> {
  const batches = Math.ceil(count / MSET_PAIRS);
  return pipelineResp(port, batches, RESP_CONNECTIONS, (batch) => {
    const argv: CommandArg[] = ['MSET'];
    for (let i = batch * MSET_PAIRS; i < Math.min(count, (batch + 1) * MSET_PAIRS); i++) argv.push(key(i), value);
    return argv;
  }, onProgress === undefined ? undefined : (done) => onProgress(Math.min(count, done * MSET_PAIRS)));
}

/**
 * Sends commands argvOf(0)…argvOf(commands-1) over `connections` connections, a few in flight
 * on each (one connection keeps them in order); throws on the first failed reply.
 */
export async function pipelineResp(port: number, commands: number, connections: number, argvOf: (index: number) => CommandArg[], onProgress?: (done: number) => void): Promise<void> {
  let next = 0;
  let done = 0;
  const clients = await Promise.all(Array.from({ length: connections }, () => RespClient.open(port)));
  try {
    await Promise.all(clients.map((client) => new Promise<void>((resolveLane, reject) => {
      let inFlight = 0;
      let failed = false;
      const pump = (): void => {
        while (!failed && inFlight < RESP_IN_FLIGHT_PER_CONNECTION && next < commands) {
          const argv = argvOf(next++);
          inFlight++;
          client.sendEncoded(encodeCommand(argv), (reply) => {
            inFlight--;
            const failure = replyFailure(reply);
            if (failure !== null) {
              failed = true;
              reject(new Error(`preload ${String(argv[0])} failed: ${failure}`));
              return;
            }
            onProgress?.(++done);
            pump();
          });
        }
        if (inFlight === 0 && next >= commands) resolveLane();
      };
      pump();
    })));
  } finally {
    for (const client of clients) client.close();
  }
}

export async function preloadEtcd(port: number, count: number, key: (index: number) => string, value: Buffer): Promise<void> {
  let next = 0;
  const valueBase64 = value.toString('base64');
  await Promise.all(Array.from({ length: ETCD_CONNECTIONS }, async () => {
    const client = new EtcdClient(port);
    try {
      while (next < count) {
        const end = Math.min(count, next + ETCD_TXN_OPS);
        const success = [];
        for (let i = next; i < end; i++) success.push({ request_put: { key: base64(key(i)), value: valueBase64 } });
        next = end;
        const { error } = await client.call('/v3/kv/txn', { success });
        if (error !== null) throw new Error(`preload etcd txn failed: ${error}`);
      }
    } finally {
      client.close();
    }
  }));
}
