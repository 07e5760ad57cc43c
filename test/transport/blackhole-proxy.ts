// An in-process TCP proxy that can black-hole connections: their bytes stop being forwarded
// either way while both ends stay open, as when a partition drops packets (no FIN, no RST).
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

interface Pipe {
  readonly client: Socket;
  readonly upstream: Socket;
  blackHoled: boolean;
}

export class BlackHoleProxy {
  private readonly pipes = new Set<Pipe>();
  private server: Server | null = null;
  /** New connections are black-holed from the start too (the peer is unreachable). */
  private blackHoleNew = false;
  accepted = 0;
  /** Forwards toward the target at most this fast (a slow network or reader); null: at once. */
  rateBytesPerSecond: number | null = null;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<{ host: string; port: number }> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
  }

  /** Stops forwarding on every open connection; `alsoNew` keeps doing so for later ones. */
  blackHole(alsoNew = false): void {
    for (const pipe of this.pipes) pipe.blackHoled = true;
    this.blackHoleNew = alsoNew;
  }

  /** Later connections are forwarded again; black-holed ones stay so. */
  heal(): void {
    this.blackHoleNew = false;
  }

  async stop(): Promise<void> {
    for (const pipe of this.pipes) {
      pipe.client.destroy();
      pipe.upstream.destroy();
    }
    const server = this.server;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted += 1;
    const upstream = connect(this.target);
    const pipe: Pipe = { client, upstream, blackHoled: this.blackHoleNew };
    this.pipes.add(pipe);
    // Bytes read from a black-holed side are discarded: the sender's kernel sees them taken.
    client.on('data', (chunk: Buffer) => {
      if (pipe.blackHoled) return;
      upstream.write(chunk);
      if (this.rateBytesPerSecond === null) return;
      // Read no more until this chunk's share of the rate has passed: the sender's buffers fill.
      client.pause();
      setTimeout(() => client.resume(), (chunk.byteLength / this.rateBytesPerSecond) * 1000);
    });
    upstream.on('data', (chunk) => { if (!pipe.blackHoled) client.write(chunk); });
    const close = (): void => {
      if (pipe.blackHoled) return; // A dropped-packet path carries no FIN or RST either.
      this.pipes.delete(pipe);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', () => {});
    upstream.on('error', () => {});
  }
}
