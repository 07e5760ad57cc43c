// A raftis cluster for the benchmark: N node processes of the compiled CLI
// (`node dist/src/cli/main.js server …`) on free loopback ports, default settings (fsync on,
// linearizable reads). The harness spawns the nodes itself rather than through
// `cluster up` so it can add node flags (--cpu-prof) and kill and restart single nodes.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchSettingsOf } from '../../src/cli/launch-settings.js';
import { replyText, respCall } from '../resp-client.js';
import { freePorts, waitUntil } from './ports.js';
import { cpuSeconds, cpuSecondsOf, killNow, respawn, rssBytes, spawnLogged, stopGracefully, type Spawned } from './process-group.js';

export const RAFTIS_MAIN = resolve('dist/src/cli/main.js');
const READY_TIMEOUT_MS = 30_000;
/** Which node of which cluster each raftis process was, by pid: .cpuprofile names carry the pid. */
export const RAFTIS_PROCESS_LABELS = new Map<number, string>();

export interface RaftisNode {
  readonly id: string;
  readonly port: number;
  /** The client TLS port, when the cluster was started with `tls.clientPort`. */
  readonly tlsPort?: number;
  readonly process: Spawned;
}

export interface RaftisOptions {
  readonly nodes: number;
  /** Where .cpuprofile files go; null = no profiling. */
  readonly profileDir: string | null;
  /** TLS settings per node (certificate files, --tls-cluster …), and whether each node gets a client TLS port. */
  readonly tls?: { readonly args: (id: string) => readonly string[]; readonly clientPort: boolean };
  /** The CLI to run (another build's dist/src/cli/main.js for before/after runs); default RAFTIS_MAIN. */
  readonly main?: string;
  /** Flags for node itself before the CLI (V8 flags such as --max-semi-space-size), for experiments. */
  readonly nodeArgs?: readonly string[];
  /** More `raftis server` options for every node. */
  readonly serverArgs?: readonly string[];
}

export class RaftisCluster {
  private constructor(readonly nodes: RaftisNode[], readonly root: string) {}

  static async start(options: RaftisOptions): Promise<RaftisCluster> {
    const main = options.main ?? RAFTIS_MAIN;
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
    const root = mkdtempSync(join(tmpdir(), 'raftis-bench-'));
    const ports = await freePorts(options.nodes * (options.tls?.clientPort === true ? 3 : 2));
    const ids = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
    const initialCluster = ids.map((id, i) => `${id}=127.0.0.1:${ports[options.nodes + i]!}`).join(',');
    // As the build's own `raftis` command starts a node: its first line's environment and node flags.
    const launch = launchSettingsOf(readFileSync(main, 'utf8').split('\n', 1)[0] ?? '');
    const env = { ...process.env, ...launch.env };
    const nodeFlags = [...launch.nodeArgs, ...(options.nodeArgs ?? []), ...(options.profileDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`])];
    if (options.profileDir !== null) mkdirSync(options.profileDir, { recursive: true });
    const nodes = ids.map((id, i): RaftisNode => {
      const port = ports[i]!;
      const tlsPort = options.tls?.clientPort === true ? ports[options.nodes * 2 + i] : undefined;
      const args = [...nodeFlags, main, 'server', '--id', id,
        '--listen', `127.0.0.1:${port}`, '--peer-listen', `127.0.0.1:${ports[options.nodes + i]!}`,
        '--data-dir', join(root, id), '--initial-cluster', initialCluster, '--log-level', 'warn',
        ...(tlsPort === undefined ? [] : ['--tls-port', String(tlsPort)]), ...(options.tls?.args(id) ?? []), ...(options.serverArgs ?? [])];
      return { id, port, ...(tlsPort === undefined ? {} : { tlsPort }), process: spawnLogged(`raftis ${id}`, process.execPath, args, join(root, `${id}.log`), env) };
    });
    const cluster = new RaftisCluster(nodes, root);
    for (const node of nodes) cluster.label(node);
    try {
      await cluster.waitForLeader();
    } catch (error) {
      await cluster.stop(true);
      throw error;
    }
    return cluster;
  }

  node(id: string): RaftisNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no raftis node ${id}`);
    return node;
  }

  /** Waits until every running node names the same running leader, and returns it. */
  waitForLeader(timeoutMs = READY_TIMEOUT_MS): Promise<RaftisNode> {
    return waitUntil('a raftis leader known to every running node', async () => {
      const named = new Set<string>();
      for (const node of this.nodes.filter((n) => n.process.child !== null)) {
        const leader = replyText(await respCall(node.port, ['RAFT.LEADER'], 1000));
        if (leader === null) return null;
        named.add(leader);
      }
      const [leader] = [...named];
      if (named.size !== 1 || leader === undefined) return null;
      const node = this.nodes.find((n) => n.id === leader);
      return node !== undefined && node.process.child !== null ? node : null;
    }, timeoutMs, 100);
  }

  async kill(node: RaftisNode): Promise<void> {
    await killNow(node.process);
  }

  restart(node: RaftisNode): void {
    if (node.process.child === null) respawn(node.process);
    this.label(node);
  }

  private label(node: RaftisNode): void {
    const pid = node.process.child?.pid;
    if (pid !== undefined) RAFTIS_PROCESS_LABELS.set(pid, `${node.id} of a ${this.nodes.length}-node cluster`);
  }

  rss(node: RaftisNode): number | null {
    const pid = node.process.child?.pid;
    return pid === undefined ? null : rssBytes(pid);
  }

  /** CPU seconds each node has used (null for one that is not running), in node order. */
  cpuSecondsByNode(): (number | null)[] {
    return cpuSecondsOf(this.nodes.map((n) => n.process));
  }

  /** CPU seconds used by all running nodes together, or null if one is gone. */
  cpuSeconds(): number | null {
    let total = 0;
    for (const node of this.nodes) {
      const pid = node.process.child?.pid;
      const used = pid === undefined ? null : cpuSeconds(pid);
      if (used === null) return null;
      total += used;
    }
    return total;
  }

  /** Stops every node gracefully (so --cpu-prof writes its profile) and removes the data. */
  async stop(keepData = false): Promise<void> {
    await Promise.all(this.nodes.map((n) => stopGracefully(n.process)));
    if (!keepData) rmSync(this.root, { recursive: true, force: true });
  }
}
