// Real raftis node processes on loopback for integration and chaos tests: free ports,
// a temporary data root, and helpers to kill, pause, restart and wait on the cluster.
// Nodes run the compiled CLI (dist/), which `npm test` builds before running tests.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, createWriteStream, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import type { DevCertFiles } from '../../src/cli/dev-certs.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

const MAIN = resolve('dist/src/cli/main.js');

export { freePort } from './ports.js';

export interface TestNode {
  readonly id: string;
  readonly port: number;
  readonly peerPort: number;
  readonly dataDir: string;
  readonly logPath: string;
  /** Admin HTTP port, when the cluster was started with `adminHttp`. */
  readonly adminPort?: number;
  /** Client TLS port, when the cluster was started with `tls`. */
  readonly tlsPort?: number;
  process: ChildProcess | null;
  /** Client address of the member it joins through, for nodes added after bootstrap. */
  join?: string;
  /** Exit codes and signals of earlier runs of this node, for "no unexpected crash" checks. */
  readonly exits: { code: number | null; signal: NodeJS.Signals | null; expected: boolean }[];
}

export interface ClusterOptions {
  readonly nodes?: number;
  /** Extra `raftis server` settings for every node. */
  readonly args?: readonly string[];
  readonly keepData?: boolean;
  /** Where the cluster's data and logs go (a new directory inside it); the system's temporary directory when absent. */
  readonly dataParent?: string | undefined;
  /** Give every node an admin HTTP port (`--admin-listen`). */
  readonly adminHttp?: boolean;
  /** TLS for clients and peers with certificates of `certs` (test/support/tls.ts). */
  readonly tls?: ClusterTls;
  /** More settings for one node, asked at each start (so a test can change them before a restart); they win over `args`. */
  readonly nodeArgs?: (id: string) => readonly string[];
  /** The password (and user, default "default") every client of the cluster's helpers authenticates with. */
  readonly auth?: { readonly username?: string; readonly password: string };
}

export interface ClusterTls {
  /** The cluster CA with a certificate per node id and a client certificate. */
  readonly certs: DevCertFiles;
  /** Clients on a TLS port beside the plain one, or on TLS only (`--listen host:0`). Default 'both'. */
  readonly clients?: 'both' | 'only';
  /** Peers over mutual TLS (`--tls-cluster`). Default true. */
  readonly peers?: boolean;
}

export class TestCluster {
  readonly nodes: TestNode[];
  readonly root: string;
  private readonly args: readonly string[];
  private readonly initialCluster: string;
  private readonly clients: Redis[] = [];
  private readonly logs = new Map<string, WriteStream>();
  private readonly expectedExit = new Set<string>();
  private readonly keepData: boolean;
  private readonly tls: ClusterTls | null;
  private readonly nodeArgs: (id: string) => readonly string[];

  /** ioredis's username/password for every helper client (empty: none). */
  private readonly auth: Pick<RedisOptions, 'username' | 'password'>;

  private constructor(root: string, nodes: TestNode[], args: readonly string[], keepData: boolean, options: ClusterOptions) {
    this.root = root;
    this.nodes = nodes;
    this.args = args;
    this.tls = options.tls ?? null;
    this.nodeArgs = options.nodeArgs ?? (() => []);
    this.auth = options.auth === undefined ? {} : { username: options.auth.username ?? 'default', password: options.auth.password };
    this.keepData = keepData || process.env['RAFTIS_TEST_KEEP_DATA'] === '1';
    this.initialCluster = nodes.map((n) => `${n.id}=127.0.0.1:${n.peerPort}`).join(',');
  }

  static async start(options: ClusterOptions = {}): Promise<TestCluster> {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
    const count = options.nodes ?? 3;
    const root = mkdtempSync(join(options.dataParent ?? tmpdir(), 'raftis-test-'));
    const nodes: TestNode[] = [];
    for (let i = 1; i <= count; i++) {
      const id = `n${i}`;
      const adminPort = options.adminHttp === true ? { adminPort: await freePort() } : {};
      const tlsPort = options.tls === undefined ? {} : { tlsPort: await freePort() };
      nodes.push({ id, port: await freePort(), peerPort: await freePort(), ...adminPort, ...tlsPort, dataDir: join(root, id), logPath: join(root, `${id}.log`), process: null, exits: [] });
    }
    const cluster = new TestCluster(root, nodes, options.args ?? [], options.keepData ?? false, options);
    for (const node of nodes) cluster.spawn(node);
    return cluster;
  }

  node(id: string): TestNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  private spawn(node: TestNode): void {
    let log = this.logs.get(node.id);
    if (log === undefined) {
      log = createWriteStream(node.logPath, { flags: 'a' });
      this.logs.set(node.id, log);
    }
    const child = spawn(process.execPath, [MAIN, 'server',
      '--id', node.id,
      '--listen', `127.0.0.1:${this.tlsOnly ? 0 : node.port}`,
      '--peer-listen', `127.0.0.1:${node.peerPort}`,
      '--data-dir', node.dataDir,
      ...(node.join === undefined ? ['--initial-cluster', this.initialCluster] : ['--join', node.join]),
      '--log-level', 'info',
      ...(node.adminPort === undefined ? [] : ['--admin-listen', `127.0.0.1:${node.adminPort}`]),
      ...this.tlsArgs(node),
      ...this.args,
      ...this.nodeArgs(node.id),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('exit', (code, signal) => {
      node.exits.push({ code, signal, expected: this.expectedExit.has(node.id) });
      this.expectedExit.delete(node.id);
      if (node.process === child) node.process = null;
    });
    node.process = child;
  }

  private get tlsOnly(): boolean {
    return this.tls?.clients === 'only';
  }

  private tlsArgs(node: TestNode): string[] {
    if (this.tls === null || node.tlsPort === undefined) return [];
    const files = this.tls.certs.node(node.id);
    return ['--tls-port', String(node.tlsPort), '--tls-cert-file', files.cert, '--tls-key-file', files.key, '--tls-ca-cert-file', this.tls.certs.caCert,
      ...(this.tls.peers === false ? [] : ['--tls-cluster'])];
  }

  /** Where a client reaches the node: its plain port, or its TLS port with the client certificate when plain TCP is off. */
  connectOptions(id: string): Pick<RedisOptions, 'host' | 'port' | 'tls' | 'username' | 'password'> {
    const node = this.node(id);
    if (!this.tlsOnly || this.tls === null || node.tlsPort === undefined) return { host: '127.0.0.1', port: node.port, ...this.auth };
    const { certs } = this.tls;
    return { host: '127.0.0.1', port: node.tlsPort, ...this.auth, tls: { ca: readFileSync(certs.caCert), cert: readFileSync(certs.client.cert), key: readFileSync(certs.client.key) } };
  }

  /** A new ioredis client to the node, closed by stop(). */
  client(id: string, options: { retry?: boolean } = {}): Redis {
    const client = new Redis({
      ...this.connectOptions(id),
      lazyConnect: false,
      maxRetriesPerRequest: options.retry === true ? 20 : 0,
      enableOfflineQueue: true, // queue until the first connect; a lost connection fails commands (no retry)
      retryStrategy: options.retry === true ? (times) => Math.min(times * 50, 500) : () => null,
      commandTimeout: 10_000,
    });
    client.on('error', () => {}); // failures surface on the commands themselves
    this.clients.push(client);
    return client;
  }

  /** Waits until every live node agrees on one leader, and returns its id. */
  async waitForLeader(timeoutMs = 20_000): Promise<string> {
    return waitFor('a leader known to every running node', async () => {
      const leaders = new Set<string>();
      for (const node of this.nodes.filter((n) => n.process !== null)) {
        const leader = await this.call(node.id, ['RAFT.LEADER']);
        if (typeof leader !== 'string') return null;
        leaders.add(leader);
      }
      const [leader] = [...leaders];
      return leaders.size === 1 && leader !== undefined && this.node(leader).process !== null ? leader : null;
    }, { timeoutMs, intervalMs: 100 });
  }

  /**
   * Moves leadership to `target` and waits until it leads: asks whoever leads now to transfer,
   * again each round, since a transfer may lose out to an election on a busy machine.
   */
  async moveLeadershipTo(target: string, timeoutMs = 20_000): Promise<void> {
    await waitFor(`${target} to lead`, async () => {
      const now = await this.call(target, ['RAFT.LEADER']);
      if (now === target) return true;
      if (typeof now === 'string' && now !== '') await this.call(now, ['RAFT.TRANSFER-LEADER', target]);
      return false;
    }, { timeoutMs, intervalMs: 200 });
  }

  /** Waits until the given nodes agree on one leader among them. */
  async waitForLeaderAmong(ids: readonly string[], timeoutMs = 20_000): Promise<string> {
    return waitFor(`a leader known to ${ids.join(', ')}`, async () => {
      const leaders = new Set<string>();
      for (const id of ids) {
        const leader = await this.call(id, ['RAFT.LEADER']);
        if (typeof leader !== 'string') return null;
        leaders.add(leader);
      }
      const [leader] = [...leaders];
      return leaders.size === 1 && leader !== undefined && ids.includes(leader) ? leader : null;
    }, { timeoutMs, intervalMs: 100 });
  }

  /** Waits until the given nodes report the same RAFT.DIGEST (applied index and state hash). */
  async waitForEqualDigests(ids: readonly string[], timeoutMs = 30_000): Promise<void> {
    await waitFor(`equal RAFT.DIGEST on ${ids.join(', ')}`, async () => {
      const seen = new Set<string>();
      for (const id of ids) {
        const reply = await this.call(id, ['RAFT.DIGEST']);
        if (!Array.isArray(reply)) return false;
        seen.add(String(reply[1]));
      }
      return seen.size === 1;
    }, { timeoutMs });
  }

  /**
   * One command on a short-lived connection; errors are returned as Error values. No ready
   * check: a node still loading answers LOADING rather than keeping the call waiting.
   */
  async call(id: string, argv: readonly string[]): Promise<unknown> {
    const client = new Redis({ ...this.connectOptions(id), enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true, commandTimeout: 5000 });
    client.on('error', () => {});
    try {
      await client.connect();
      const [name, ...rest] = argv;
      return await client.call(name ?? 'PING', ...rest);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      client.disconnect();
    }
  }

  /** Waits until the node answers PING; on time-out says whether its process exited, with the end of its log. */
  async waitForListening(id: string, timeoutMs = 15_000): Promise<void> {
    const node = this.node(id);
    try {
      await waitFor(`${id} to accept clients`, async () => {
        if (node.process === null) throw new Error(`${id} exited before accepting clients: ${JSON.stringify(node.exits.at(-1) ?? null)}`);
        return (await this.call(id, ['PING'])) === 'PONG';
      }, { timeoutMs });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${id}'s log ends:\n${this.logTail(id, 20)}`);
    }
  }

  /** The last `lines` lines of the node's log (diagnostics). */
  logTail(id: string, lines: number): string {
    const path = this.node(id).logPath;
    return existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(-lines - 1).join('\n') : '(no log)';
  }

  /**
   * Runs `stop` (e.g. sending SHUTDOWN) with the node's exit counted as expected, and waits
   * for the exit; returns it.
   */
  async stopBy(id: string, stop: () => Promise<void>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.node(id).process;
    if (child === null) throw new Error(`${id} is not running`);
    this.expectedExit.add(id);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
    await stop();
    return exited;
  }

  /** Sends a signal; SIGKILL and SIGTERM wait for the exit. */
  async kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.node(id);
    const child = node.process;
    if (child === null) return;
    this.expectedExit.add(id);
    const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
    child.kill(signal);
    await exited;
  }

  /** Starts a new node that joins the running cluster through `via`'s client port (--join). */
  async addNode(id: string, via: string): Promise<TestNode> {
    const viaNode = this.node(via);
    const node: TestNode = {
      id,
      port: await freePort(),
      peerPort: await freePort(),
      ...(this.tls === null ? {} : { tlsPort: await freePort() }),
      dataDir: join(this.root, id),
      logPath: join(this.root, `${id}.log`),
      process: null,
      exits: [],
      // With peer TLS a joiner asks a member over TLS.
      join: `127.0.0.1:${this.tls !== null && this.tls.peers !== false ? viaNode.tlsPort : viaNode.port}`,
    };
    const existing = this.nodes.findIndex((n) => n.id === id);
    if (existing >= 0) this.nodes.splice(existing, 1);
    this.nodes.push(node);
    this.spawn(node);
    await this.waitForListening(id);
    return node;
  }

  /** Stops a node for good and forgets it (after it was removed from the cluster). */
  async retire(id: string): Promise<void> {
    await this.kill(id, 'SIGTERM');
    const index = this.nodes.findIndex((n) => n.id === id);
    if (index >= 0) this.nodes.splice(index, 1);
  }

  pause(id: string): void {
    this.node(id).process?.kill('SIGSTOP');
  }

  resume(id: string): void {
    this.node(id).process?.kill('SIGCONT');
  }

  async restart(id: string): Promise<void> {
    const node = this.node(id);
    if (node.process !== null) await this.kill(id, 'SIGKILL');
    this.spawn(node);
    await this.waitForListening(id);
  }

  /** Starts a stopped node again without waiting. */
  startNode(id: string): void {
    const node = this.node(id);
    if (node.process === null) this.spawn(node);
  }

  /** Unexpected exits so far (crashes), for assertions. */
  crashes(): string[] {
    return this.nodes.flatMap((n) => n.exits.filter((e) => !e.expected).map((e) => `${n.id} exited with ${e.signal ?? `code ${e.code}`}; log ${n.logPath}`));
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.disconnect();
    for (const node of this.nodes) {
      if (node.process !== null) {
        node.process.kill('SIGCONT');
        await this.kill(node.id, 'SIGTERM');
      }
    }
    for (const log of this.logs.values()) log.end();
    if (!this.keepData && this.crashes().length === 0) rmSync(this.root, { recursive: true, force: true });
  }
}
