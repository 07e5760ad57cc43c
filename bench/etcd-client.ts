// A lean client of etcd's v3 JSON gateway for the load generator: POST /v3/kv/put and
// /v3/kv/range with base64 keys over node:http, one keep-alive socket per client (an agent
// with maxSockets 1) and one request in flight, like the RESP client. Linearizable reads
// send serializable:false; serializable reads are served by the node locally.

import { Agent, request } from 'node:http';

export type EtcdCallback = (error: string | null, body: string) => void;

export class EtcdClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(readonly port: number, readonly host = '127.0.0.1') {}

  post(path: string, body: Buffer, done: EtcdCallback): void {
    const req = request({
      agent: this.agent, host: this.host, port: this.port, method: 'POST', path,
      headers: { 'content-type': 'application/json', 'content-length': body.length },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
        done(res.statusCode === 200 ? null : `HTTP ${String(res.statusCode)}: ${text.slice(0, 200)}`, text);
      });
      res.on('error', (error) => done(error.message, ''));
    });
    req.on('error', (error) => done(error.message, ''));
    req.end(body);
  }

  call(path: string, payload: unknown): Promise<{ error: string | null; body: string }> {
    return new Promise((resolveCall) => this.post(path, Buffer.from(JSON.stringify(payload)), (error, body) => resolveCall({ error, body })));
  }

  close(): void {
    this.agent.destroy();
  }
}

export function base64(text: string | Buffer): string {
  return (typeof text === 'string' ? Buffer.from(text) : text).toString('base64');
}

export function etcdPutBody(key: string, value: Buffer): Buffer {
  return Buffer.from(`{"key":"${base64(key)}","value":"${value.toString('base64')}"}`);
}

export function etcdRangeBody(key: string, serializable: boolean): Buffer {
  return Buffer.from(`{"key":"${base64(key)}","serializable":${String(serializable)}}`);
}
