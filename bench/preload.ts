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
export async function preloadResp(port: number, count: number, key: (index: number) => string, value: Buffer, onProgress?: (done: number) => void): Promise<void> {
  let next = 0;
  let loaded = 0;
  const connections = await Promise.all(Array.from({ length: RESP_CONNECTIONS }, () => RespClient.open(port)));
  try {
    await Promise.all(connections.map((client) => new Promise<void>((resolveLane, reject) => {
      let inFlight = 0;
      let failed = false;
      const pump = (): void => {
        while (!failed && inFlight < RESP_IN_FLIGHT_PER_CONNECTION && next < count) {
          const argv: CommandArg[] = ['MSET'];
          const end = Math.min(count, next + MSET_PAIRS);
          for (let i = next; i < end; i++) argv.push(key(i), value);
          const pairs = end - next;
          next = end;
          inFlight++;
          client.sendEncoded(encodeCommand(argv), (reply) => {
            inFlight--;
            const failure = replyFailure(reply);
            if (failure !== null) {
              failed = true;
              reject(new Error(`preload MSET failed: ${failure}`));
              return;
            }
            loaded += pairs;
            onProgress?.(loaded);
            pump();
          });
        }
        if (inFlight === 0 && next >= count) resolveLane();
      };
      pump();
    })));
  } finally {
    for (const client of connections) client.close();
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
