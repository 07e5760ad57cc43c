// The control channel between a running `raftis cluster up` supervisor and `raftis cluster
// add-node` / `remove-node` in another terminal: a loopback TCP port (named in the state
// file), one JSON request line in, one JSON reply line out. The supervisor does the work, so
// every node stays its child: Ctrl-C stops added nodes too, and their errors show in its
// terminal.

import { connect, createServer, type Server } from 'node:net';

export type ControlRequest = { readonly op: 'add' } | { readonly op: 'remove'; readonly id: string };
export type ControlReply = { readonly ok: true; readonly message: string } | { readonly ok: false; readonly error: string };

/** A request line longer than this is not ours: the connection is closed. */
const REQUEST_BYTES_MAX = 4096;

export interface ControlServer {
  readonly port: number;
  close(): void;
}

export function startControlServer(handle: (request: ControlRequest) => Promise<ControlReply>): Promise<ControlServer> {
  const server: Server = createServer((socket) => {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > REQUEST_BYTES_MAX) {
        socket.destroy();
        return;
      }
      const end = buffered.indexOf('\n');
      if (end < 0) return;
      socket.pause();
      const request = parseRequest(buffered.slice(0, end));
      const reply = typeof request === 'string' ? Promise.resolve<ControlReply>({ ok: false, error: request }) : handle(request);
      reply.then(
        (value) => socket.end(JSON.stringify(value) + '\n'),
        (error: unknown) => socket.end(JSON.stringify({ ok: false, error: String(error) } satisfies ControlReply) + '\n'),
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({ port, close: () => server.close() });
    });
  });
}

function parseRequest(line: string): ControlRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'malformed request';
  }
  const request = value as { op?: unknown; id?: unknown };
  if (request.op === 'add') return { op: 'add' };
  if (request.op === 'remove' && typeof request.id === 'string') return { op: 'remove', id: request.id };
  return `unknown request ${line.slice(0, 100)}`;
}

/** Sends one request to the supervisor on `port` and waits for its reply. */
export function askSupervisor(port: number, request: ControlRequest, timeoutMs: number): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffered = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from the cluster supervisor within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buffered) as ControlReply);
      } catch {
        reject(new Error(`malformed answer from the cluster supervisor: ${buffered.slice(0, 200)}`));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
