// The chaos suite's cluster: real raftis processes, each in its own network namespace when
// packet-level partitions are available (see chaos-network.ts), else on 127.0.0.1. Like
// test/support/cluster.ts it kills, pauses, restarts and tracks every exit, so a node that
// dies when nobody killed it fails the run; its logs go to the run's directory. Besides the
// founding members it can hold spare slots, which the membership nemesis fills with nodes
// that join the running cluster (`--join`) and empties again after removing them.

import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';
import { ChaosNetwork, networkUnavailableReason } from './chaos-network.js';

/**
 * The build the nodes run: dist/, or RAFTIS_CHAOS_DIST (a dist/ built elsewhere, for
 * example from a committed tree while others rebuild dist/ from work in progress).
 */
export const DIST = resolve(process.env['RAFTIS_CHAOS_DIST'] ?? 'dist');
/**
 * Each cluster runs its own copy of the build, made at start: a rebuild by someone else during a
 * long run would otherwise start restarted nodes on different code than the rest. The copy
 * lives under the repository (.tmp/, gitignored) so node_modules still resolves.
 */
const PRIVATE_DIST_ROOT = resolve('.tmp');
/** Ports inside a node's own namespace: every node can use the same ones. */
const NETNS_CLIENT_PORT = 6379;
const NETNS_PEER_PORT = 7379;
/** SIGTERM gets this long before SIGKILL follows. */
const STOP_TIMEOUT_MS = 10_000;
/** A short-lived admin connection gives up after this long. */
const CALL_TIMEOUT_MS = 3000;
/** The file a raftis data directory holds once the node knows its cluster (src/server/identity.ts). */
const IDENTITY_FILE = 'raftis.json';
/** Spare slots a cluster may have: enough to replace every member of a 5-node cluster. */
export const SPARE_NODES_MAX = 5;

export interface ChaosNode {
  readonly id: string;
  /** One of the cluster's founding members (started with --initial-cluster); raftis never lets such an id join again. */
  readonly founder: boolean;
  /** In the cluster as far as the harness knows: started, or to be started by heals, and read from at the end. */
  member: boolean;
  /** Client address of the member this node joins through, while it has no identity of its own yet. */
  joinVia: string | null;
  /** How many times this slot was started with an empty data directory (1 for founders). */
  incarnations: number;
  readonly host: string;
  readonly port: number;
  readonly peerPort: number;
  readonly netns: string | null;
  readonly dataDir: string;
  readonly logPath: string;
  /** Settings for this node only, appended after the cluster-wide ones; changed by restarts. */
  extraArgs: readonly string[];
  process: ChildProcess | null;
  readonly exits: { code: number | null; signal: NodeJS.Signals | null; expected: boolean; atMs: number }[];
  paused: boolean;
  /** Connections opened to the current incarnation: an upper bound of the client ids it gave out. */
  connectionsOpened: number;
  /** The most client ids any earlier incarnation may have given out. */
  clientIdsUsedMax: number;
  /** False while a restarted node's low client ids are being used up (see avoidRequestIdReuse). */
  acceptsClients: boolean;
}

export interface ChaosClusterOptions {
  readonly nodes: number;
  /** Where node logs go (the run directory). */
  readonly logDir: string;
  readonly args?: readonly string[];
  readonly perNodeArgs?: (index: number) => readonly string[];
  /**
   * Settings of each node that hold for every start of it (certificate files), unlike
   * perNodeArgs, which a restart may replace; made once the nodes' hosts are known.
   */
  readonly nodeArgs?: (hosts: readonly string[]) => Promise<(id: string) => readonly string[]>;
  /** Slots for nodes that join later (ids after the founders'), not started; 0 by default. */
  readonly spareNodes?: number;
  /** 'netns' needs root and iptables; 'auto' falls back to loopback without them. */
  readonly network?: 'netns' | 'loopback' | 'auto';
  /**
   * Works around a raftis bug: a restarted node numbers client connections from 1 again, so
   * request ids (origin, client, seq) repeat and the dedup table answers new writes with old
   * replies without applying them. With this on, a restart first opens and closes enough
   * connections that every new client id is above any the node used before, so the other
   * checks can run; the bug itself is shown by the runs and tests that turn it off.
   */
  readonly avoidRequestIdReuse?: boolean;
}

/** Connections opened at once while using up client ids. */
const BURN_BATCH = 100;

export class ChaosCluster {
  readonly nodes: ChaosNode[];
  readonly network: ChaosNetwork | null;
  /** Why the network is loopback when 'auto' was asked for. */
  readonly networkNote: string;
  private readonly root: string;
  private readonly args: readonly string[];
  private readonly initialCluster: string;
  private readonly logs = new Map<string, WriteStream>();
  private readonly expectedExit = new Set<string>();
  private readonly startedAt = performance.now();
  readonly avoidRequestIdReuse: boolean;
  /** The default user's password when the nodes run with --requirepass: every client authenticates with it. */
  private readonly password: string | null;
  private readonly nodeArgs: (id: string) => readonly string[];

  private readonly distCopy: string;
  private readonly main: string;

  private constructor(root: string, nodes: ChaosNode[], network: ChaosNetwork | null, networkNote: string, args: readonly string[], avoidRequestIdReuse: boolean, distCopy: string, nodeArgs: (id: string) => readonly string[]) {
    this.nodeArgs = nodeArgs;
    this.avoidRequestIdReuse = avoidRequestIdReuse;
    this.distCopy = distCopy;
    this.main = join(distCopy, 'dist/src/cli/main.js');
    this.root = root;
    this.nodes = nodes;
    this.network = network;
    this.networkNote = networkNote;
    this.args = args;
    const requirepass = args.indexOf('--requirepass');
    this.password = requirepass < 0 ? null : args[requirepass + 1] ?? null;
    this.initialCluster = nodes.filter((n) => n.founder).map((n) => `${n.id}=${n.host}:${n.peerPort}`).join(',');
  }

  static async start(options: ChaosClusterOptions): Promise<ChaosCluster> {
    if (!existsSync(join(DIST, 'src/cli/main.js'))) throw new Error(`${DIST}/src/cli/main.js is missing: run \`npm run build\` first (npm test does)`);
    mkdirSync(options.logDir, { recursive: true });
    const spares = options.spareNodes ?? 0;
    if (!Number.isInteger(spares) || spares < 0 || spares > SPARE_NODES_MAX) throw new Error(`spareNodes must be a whole number in 0..${SPARE_NODES_MAX}, got ${spares}`);
    const ids = Array.from({ length: options.nodes + spares }, (_, i) => `n${i + 1}`);
    const wanted = options.network ?? 'auto';
    const unavailable = wanted === 'loopback' ? 'loopback asked for' : networkUnavailableReason();
    if (unavailable !== null && wanted === 'netns') throw new Error(`packet-level partitions are unavailable: ${unavailable}`);
    const network = unavailable === null ? ChaosNetwork.create(ids) : null;
    const root = mkdtempSync(join(tmpdir(), 'raftis-chaos-'));
    mkdirSync(PRIVATE_DIST_ROOT, { recursive: true });
    const distCopy = mkdtempSync(join(PRIVATE_DIST_ROOT, 'chaos-dist-'));
    cpSync(DIST, join(distCopy, 'dist'), { recursive: true });
    const nodes: ChaosNode[] = [];
    for (const [i, id] of ids.entries()) {
      const address = network?.nodes[i];
      const founder = i < options.nodes;
      nodes.push({
        id,
        founder,
        member: founder,
        joinVia: null,
        incarnations: founder ? 1 : 0,
        host: address?.host ?? '127.0.0.1',
        port: address === undefined ? await freePort() : NETNS_CLIENT_PORT,
        peerPort: address === undefined ? await freePort() : NETNS_PEER_PORT,
        netns: address?.netns ?? null,
        dataDir: join(root, id),
        logPath: join(options.logDir, `${id}.log`),
        extraArgs: options.perNodeArgs?.(i) ?? [],
        process: null,
        exits: [],
        paused: false,
        connectionsOpened: 0,
        clientIdsUsedMax: 0,
        acceptsClients: true,
      });
    }
    const cluster: ChaosCluster = new ChaosCluster(root, nodes, network, unavailable === null ? 'netns' : `loopback (${unavailable})`, options.args ?? [], options.avoidRequestIdReuse ?? false, distCopy, options.nodeArgs === undefined ? () => [] : await options.nodeArgs(nodes.map((n) => n.host)));
    for (const node of nodes) if (node.member) cluster.spawn(node);
    return cluster;
  }

  /** Ids of the current members. */
  get ids(): string[] {
    return this.members().map((n) => n.id);
  }

  /** The nodes the harness counts as members (running or not). */
  members(): ChaosNode[] {
    return this.nodes.filter((n) => n.member);
  }

  node(id: string): ChaosNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  private spawn(node: ChaosNode): void {
    let log = this.logs.get(node.id);
    if (log === undefined) {
      log = createWriteStream(node.logPath, { flags: 'a' });
      this.logs.set(node.id, log);
    }
    const membership = this.membershipArgs(node);
    const serverArgs = [this.main, 'server',
      '--id', node.id,
      '--listen', `${node.host}:${node.port}`,
      '--peer-listen', `${node.host}:${node.peerPort}`,
      '--data-dir', node.dataDir,
      ...membership,
      '--log-level', 'info',
      ...this.args,
      ...this.nodeArgs(node.id),
      ...node.extraArgs,
    ];
    // `ip netns exec` enters the namespace and execs node in place: the pid is the node's.
    const child = node.netns === null
      ? spawn(process.execPath, serverArgs, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('ip', ['netns', 'exec', node.netns, process.execPath, ...serverArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    log.write(`--- chaos: start ${node.id} (incarnation ${node.incarnations}) at ${this.nowMs().toFixed(0)} ms: ${[...(node.founder ? [] : membership), ...node.extraArgs].join(' ')}\n`);
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('exit', (code, signal) => {
      node.exits.push({ code, signal, expected: this.expectedExit.has(node.id), atMs: this.nowMs() });
      this.expectedExit.delete(node.id);
      if (node.process === child) {
        node.process = null;
        node.paused = false;
      }
    });
    node.process = child;
    node.paused = false;
    node.clientIdsUsedMax = Math.max(node.clientIdsUsedMax, node.connectionsOpened);
    node.connectionsOpened = 0;
  }

  /**
   * Founders always name the initial cluster; a joining node names its sponsor until its data
   * directory holds an identity (a restart before that must still join, not found a cluster
   * of its own); after that a restart needs neither.
   */
  private membershipArgs(node: ChaosNode): string[] {
    if (node.founder) return ['--initial-cluster', this.initialCluster];
    if (node.joinVia !== null && existsSync(join(node.dataDir, IDENTITY_FILE))) node.joinVia = null;
    return node.joinVia === null ? [] : ['--join', node.joinVia];
  }

  /**
   * Starts a spare or removed slot as a new member: empty data directory (so a new
   * incarnation), joining through `via`, a running member. Raftis refuses founders' ids on
   * --join, so only non-founder slots can be used.
   */
  async join(id: string, via: string): Promise<void> {
    const node = this.node(id);
    const sponsor = this.node(via);
    if (node.founder) throw new Error(`${id} is a founding member: raftis does not let it join again`);
    if (node.member || node.process !== null) throw new Error(`${id} is still a member or running`);
    rmSync(node.dataDir, { recursive: true, force: true });
    node.member = true;
    node.joinVia = `${sponsor.host}:${sponsor.port}`;
    node.incarnations++;
    node.clientIdsUsedMax = 0;
    node.connectionsOpened = 0;
    this.spawn(node);
  }

  /** The harness stops counting `id` as a member and stops its process (an expected exit). */
  async retire(id: string, signal: NodeJS.Signals): Promise<void> {
    const node = this.node(id);
    node.member = false;
    await this.kill(id, signal);
  }

  /** Milliseconds since the cluster started, the time base of the run's records. */
  nowMs(): number {
    return performance.now() - this.startedAt;
  }

  running(): ChaosNode[] {
    return this.nodes.filter((n) => n.process !== null);
  }

  /** A client with no retries of any kind: a lost connection fails its commands. */
  client(id: string, commandTimeoutMs: number): Redis {
    const node = this.node(id);
    node.connectionsOpened++;
    const client = new Redis({
      host: node.host,
      port: node.port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      retryStrategy: () => null,
      reconnectOnError: () => false,
      connectTimeout: commandTimeoutMs,
      commandTimeout: commandTimeoutMs,
      ...(this.password === null ? {} : { password: this.password }),
    });
    client.on('error', () => {}); // failures surface on the commands themselves
    return client;
  }

  /** One command on a short-lived connection; errors are returned as Error values. */
  async call(id: string, argv: readonly string[], timeoutMs = CALL_TIMEOUT_MS): Promise<unknown> {
    const client = this.client(id, timeoutMs);
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

  /** The leader every running, unpaused node agrees on, or null. */
  async agreedLeader(): Promise<string | null> {
    const live = this.running().filter((n) => !n.paused);
    if (live.length === 0) return null;
    const leaders = await Promise.all(live.map((n) => this.call(n.id, ['RAFT.LEADER'])));
    const first = leaders[0];
    if (typeof first !== 'string' || !leaders.every((l) => l === first)) return null;
    return live.some((n) => n.id === first) ? first : null;
  }

  async waitForLeader(timeoutMs = 20_000): Promise<string> {
    return waitFor('a leader known to every running node', () => this.agreedLeader(), { timeoutMs, intervalMs: 100 });
  }

  /** The leader as one node sees it (no agreement needed), or null. */
  async leaderSeenBy(id: string): Promise<string | null> {
    const reply = await this.call(id, ['RAFT.LEADER'], 1000);
    return typeof reply === 'string' ? reply : null;
  }

  /** The configuration one node holds (RAFT.INFO voters and learners, sorted), or null when it does not answer. */
  async configurationSeenBy(id: string): Promise<{ voters: string[]; learners: string[] } | null> {
    const reply = await this.call(id, ['RAFT.INFO'], 1000);
    if (typeof reply !== 'string') return null;
    const field = (name: string): string[] => {
      const line = reply.split('\r\n').find((l) => l.startsWith(`${name}:`));
      return line === undefined ? [] : line.slice(name.length + 1).split(',').filter((id) => id !== '').sort();
    };
    return { voters: field('voters'), learners: field('learners') };
  }

  async kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.node(id);
    const child = node.process;
    if (child === null) return;
    this.expectedExit.add(id);
    const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
    child.kill(signal);
    if (node.paused && signal !== 'SIGKILL') child.kill('SIGCONT');
    // A node that does not stop on SIGTERM within the bound is killed: stop() must finish.
    const escalate = signal === 'SIGKILL' ? null : setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    if (escalate !== null) clearTimeout(escalate);
  }

  /**
   * The node's next exit is the nemesis's doing (a disk fault it injected makes the node
   * exit by itself): not a crash.
   */
  expectExit(id: string): void {
    if (this.node(id).process !== null) this.expectedExit.add(id);
  }

  /** Waits until the process running now exits; its exit, or null if it still runs after `timeoutMs`. */
  async awaitExit(id: string, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | null> {
    const node = this.node(id);
    const child = node.process;
    if (child === null) return node.exits.at(-1) ?? null;
    const exited = await new Promise<boolean>((resolveExit) => {
      const timer = setTimeout(() => resolveExit(false), timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolveExit(true);
      });
    });
    return exited ? (node.exits.at(-1) ?? null) : null;
  }

  pause(id: string): void {
    const node = this.node(id);
    if (node.process === null) return;
    node.process.kill('SIGSTOP');
    node.paused = true;
  }

  resume(id: string): void {
    const node = this.node(id);
    if (node.process === null) return;
    node.process.kill('SIGCONT');
    node.paused = false;
  }

  /** Starts a stopped node; kills it first if it runs. */
  async restart(id: string, extraArgs?: readonly string[]): Promise<void> {
    const node = this.node(id);
    if (node.process !== null) await this.kill(id, 'SIGKILL');
    if (extraArgs !== undefined) node.extraArgs = extraArgs;
    this.spawn(node);
    if (this.avoidRequestIdReuse && node.clientIdsUsedMax > 0) {
      node.acceptsClients = false;
      try {
        await this.waitForListening(id);
        await this.useUpClientIds(node);
      } finally {
        node.acceptsClients = true;
      }
    }
  }

  /** Opens and closes connections until the node's next client id is above every id it used before. */
  private async useUpClientIds(node: ChaosNode): Promise<void> {
    for (let round = 0; node.process !== null; round++) {
      const reply = await this.call(node.id, ['CLIENT', 'ID']);
      if (typeof reply !== 'number') throw new Error(`${node.id}: CLIENT ID answered ${String(reply)}`);
      if (reply > node.clientIdsUsedMax) return;
      if (round > node.clientIdsUsedMax / BURN_BATCH + 10) throw new Error(`${node.id}: client id ${reply} still not above ${node.clientIdsUsedMax}`);
      const batch = Math.min(BURN_BATCH, node.clientIdsUsedMax - reply + 1);
      node.connectionsOpened += batch;
      await Promise.all(Array.from({ length: batch }, () => new Promise<void>((done) => {
        const socket = createConnection({ host: node.host, port: node.port }, () => socket.destroy());
        socket.on('close', () => done());
        socket.on('error', () => done());
      })));
    }
  }


  async waitForListening(id: string, timeoutMs = 15_000): Promise<void> {
    await waitFor(`${id} to accept clients`, async () => (await this.call(id, ['PING'])) === 'PONG', { timeoutMs });
  }

  /** RAFT.DIGEST of every running node: `appliedIndex hash`, or the error text. */
  async digests(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    await Promise.all(this.running().map(async (n) => {
      const reply = await this.call(n.id, ['RAFT.DIGEST']);
      out.set(n.id, Array.isArray(reply) ? `${String(reply[0])} ${String(reply[1])}` : `error: ${String(reply)}`);
    }));
    return out;
  }

  /** Waits until every running node reports the same digest (hash and applied index). */
  async waitForConvergence(timeoutMs: number): Promise<string> {
    let last = new Map<string, string>();
    try {
      return await waitFor('equal RAFT.DIGEST on every running node', async () => {
        last = await this.digests();
        const all = [...last.values()];
        const first = all[0];
        return first !== undefined && !first.startsWith('error') && all.every((d) => d === first) ? first : null;
      }, { timeoutMs, intervalMs: 200 });
    } catch (error) {
      throw new Error(`${(error as Error).message}; last digests: ${[...last].map(([id, d]) => `${id}=${d}`).join(', ')}`);
    }
  }

  /** Unexpected exits so far (crashes). */
  crashes(): string[] {
    return this.nodes.flatMap((n) => n.exits.filter((e) => !e.expected).map((e) => `${n.id} exited with ${e.signal ?? `code ${e.code}`} at ${e.atMs.toFixed(0)} ms`));
  }

  logTail(id: string, lines = 30): string {
    try {
      return readFileSync(this.node(id).logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async stop(): Promise<void> {
    try {
      this.network?.heal();
      for (const node of this.nodes) if (node.paused) this.resume(node.id);
      await Promise.all(this.running().map((n) => this.kill(n.id, 'SIGTERM')));
    } finally {
      for (const log of this.logs.values()) log.end();
      this.network?.destroy();
      rmSync(this.root, { recursive: true, force: true });
      rmSync(this.distCopy, { recursive: true, force: true });
    }
  }
}
