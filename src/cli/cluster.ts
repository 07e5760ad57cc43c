// `raftis cluster up | add-node | remove-node`: a local cluster of node processes on
// loopback. `up` is a foreground supervisor: it starts the nodes (each with its own data
// directory under --data-dir), restarts cleanly on existing data, and stops every node
// gracefully on Ctrl-C / SIGTERM. While it runs, `add-node` and `remove-node` in another
// terminal ask it (through the control port named in <data-dir>/cluster.json) to start a
// node that joins the cluster, or to remove a member and stop its process. With --tls the
// nodes serve clients on TLS only, speak mutual TLS to each other and serve admin HTTPS,
// with certificates of a local CA that `raftis dev-certs`'s code makes in <data-dir>/tls.
// SIGHUP (the terminal going away) stops the cluster like SIGTERM: the nodes themselves
// take SIGHUP as "reload your certificates".

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { RespValue } from '../resp/codec.js';
import { IDENTITY_FILE } from '../server/identity.js';
import { sendCommand, type Credentials } from '../server/resp-client.js';
import { askSupervisor, startControlServer, type ControlReply, type ControlRequest, type ControlServer } from './cluster-control.js';
import { ADMIN_PORT_OFFSET, PEER_PORT_OFFSET, TLS_DIR, clusterStatePath, nextNode, nodeInSlot, readClusterState, writeClusterState, type ClusterNode } from './cluster-state.js';
import { DEV_CERT_HOSTS_DEFAULT, devCertPaths, makeDevCerts, type DevCertFiles } from './dev-certs.js';
import { withLaunchEnvironment } from './launch-settings.js';

interface ClusterArgs {
  nodes: number;
  port: number;
  dataDir: string;
  host: string;
  tls: boolean;
  extra: string[];
}

const USAGE = `usage: raftis cluster up [--nodes N] [--port P] [--data-dir DIR] [--host 127.0.0.1] [--tls] [-- extra server settings]
       raftis cluster add-node [--data-dir DIR]        (while \`cluster up\` runs on DIR)
       raftis cluster remove-node ID [--data-dir DIR]`;
const NODES_MAX = 15;
const READY_TIMEOUT_MS = 30_000;
/** How long add-node / remove-node wait for the supervisor (it waits up to READY_TIMEOUT_MS itself). */
const CONTROL_TIMEOUT_MS = READY_TIMEOUT_MS * 3;
const STOP_TIMEOUT_MS = 15_000;
const POLL_MS = 200;
const CALL_TIMEOUT_MS = 5_000;

function parseArgs(argv: string[]): ClusterArgs | string {
  const args: ClusterArgs = { nodes: 3, port: 6379, dataDir: './data', host: '127.0.0.1', tls: false, extra: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--') {
      args.extra = argv.slice(i + 1);
      break;
    }
    if (arg === '--tls') {
      args.tls = true;
      continue;
    }
    if (value === undefined) return `${arg}: missing value`;
    if (arg === '--nodes') args.nodes = Number(value);
    else if (arg === '--port') args.port = Number(value);
    else if (arg === '--data-dir') args.dataDir = value;
    else if (arg === '--host') args.host = value;
    else return `unknown option ${arg}`;
    i++;
  }
  if (!Number.isInteger(args.nodes) || args.nodes < 1 || args.nodes > NODES_MAX) return `--nodes must be a whole number from 1 to ${NODES_MAX}`;
  if (!Number.isInteger(args.port) || args.port < 1 || args.port + args.nodes - 1 + PEER_PORT_OFFSET > 65_535) return `--port must leave room for ${args.nodes} client ports and their peer ports (+${PEER_PORT_OFFSET}) below 65536`;
  return args;
}

export async function clusterCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'up') {
    const args = parseArgs(rest);
    if (typeof args === 'string') {
      process.stderr.write(`raftis cluster up: ${args}\n${USAGE}\n`);
      return 64;
    }
    return new Supervisor(args).run();
  }
  if (sub === 'add-node' || sub === 'remove-node') return controlCommand(sub, rest);
  process.stderr.write(`${USAGE}\n`);
  return 64;
}

/** `add-node` / `remove-node`: hands the request to the running supervisor and prints its answer. */
async function controlCommand(sub: 'add-node' | 'remove-node', argv: string[]): Promise<number> {
  const words = [...argv];
  let dataDir = './data';
  const at = words.indexOf('--data-dir');
  if (at >= 0) {
    dataDir = words[at + 1] ?? '';
    words.splice(at, 2);
  }
  const id = words[0];
  if ((sub === 'remove-node') !== (id !== undefined) || words.length > 1 || dataDir === '') {
    process.stderr.write(`${USAGE}\n`);
    return 64;
  }
  const state = readClusterState(resolve(dataDir));
  const notRunning = `no \`raftis cluster up\` is running on ${resolve(dataDir)} (start it with \`npm start\` or \`raftis cluster up --data-dir ${dataDir}\`)`;
  if (typeof state === 'string') {
    process.stderr.write(`raftis cluster ${sub}: ${state}\n`);
    return 1;
  }
  if (state === null || state.controlPort === 0) {
    process.stderr.write(`raftis cluster ${sub}: ${notRunning}\n`);
    return 1;
  }
  const request: ControlRequest = id === undefined ? { op: 'add' } : { op: 'remove', id };
  let reply: ControlReply;
  try {
    reply = await askSupervisor(state.controlPort, request, CONTROL_TIMEOUT_MS);
  } catch (error) {
    const refused = (error as NodeJS.ErrnoException).code === 'ECONNREFUSED';
    process.stderr.write(`raftis cluster ${sub}: ${refused ? notRunning : (error as Error).message}\n`);
    return 1;
  }
  if (!reply.ok) {
    process.stderr.write(`raftis cluster ${sub}: ${reply.error}\n`);
    return 1;
  }
  process.stdout.write(`${reply.message}\n`);
  return 0;
}

interface RunningNode {
  readonly node: ClusterNode;
  readonly child: ChildProcess;
  /** Set when the supervisor stops it on purpose (remove-node), so its exit is no failure. */
  removing: boolean;
  readonly exited: Promise<void>;
}

class Supervisor {
  private readonly args: ClusterArgs;
  private readonly dataDir: string;
  private readonly logDir: string;
  private readonly main = fileURLToPath(new URL('./main.js', import.meta.url));
  private host: string;
  private basePort: number;
  private nodes: ClusterNode[] = [];
  /** The local CA's files with --tls, and what the supervisor presents to the nodes as a client. */
  private tls: { files: Omit<DevCertFiles, 'created'>; client: ConnectionOptions } | null = null;
  private readonly running = new Map<string, RunningNode>();
  private control: ControlServer | null = null;
  /** Control requests run one at a time, in arrival order. */
  private queue: Promise<unknown> = Promise.resolve();
  private stopping = false;
  private failures = 0;
  private resolveExit: (code: number) => void = () => {};

  constructor(args: ClusterArgs) {
    this.args = args;
    this.dataDir = resolve(args.dataDir);
    this.logDir = join(this.dataDir, 'logs');
    this.host = args.host;
    this.basePort = args.port;
  }

  async run(): Promise<number> {
    mkdirSync(this.logDir, { recursive: true });
    const state = readClusterState(this.dataDir);
    if (typeof state === 'string') {
      process.stderr.write(`raftis cluster up: ${state}\n`);
      return 78;
    }
    if (state !== null && state.controlPort !== 0 && state.supervisorPid !== process.pid && alive(state.supervisorPid)) {
      process.stderr.write(`raftis cluster up: a cluster supervisor (pid ${state.supervisorPid}) already runs on ${this.dataDir}\n`);
      return 1;
    }
    let initialCluster: string | null = null;
    if (state === null) {
      this.nodes = Array.from({ length: this.args.nodes }, (_, i) => nodeInSlot(this.basePort, i + 1));
      initialCluster = this.nodes.map((n) => `${n.id}=${this.host}:${n.peerPort}`).join(',');
    } else {
      // The nodes it ran when it last stopped, grown or shrunk ones included.
      this.host = state.host;
      this.basePort = state.basePort;
      this.nodes = [...state.nodes];
      if (this.args.tls && state.tls !== true) {
        process.stderr.write(`raftis cluster up: the cluster in ${this.dataDir} was created without --tls; start a TLS cluster in another --data-dir\n`);
        return 78;
      }
      const missing = this.nodes.find((n) => !existsSync(join(this.dataDir, n.id, IDENTITY_FILE)));
      if (missing !== undefined) {
        process.stderr.write(`raftis cluster up: ${clusterStatePath(this.dataDir)} lists ${missing.id}, but ${join(this.dataDir, missing.id)} holds no node; ` +
          'restore it, or delete the data directory to start a new cluster\n');
        return 78;
      }
    }

    if (this.args.tls || state?.tls === true) {
      const error = await this.prepareTls(this.nodes.map((n) => n.id));
      if (error !== null) {
        process.stderr.write(`raftis cluster up: --tls: ${error}\n`);
        return 1;
      }
    }
    const exited = new Promise<number>((resolveExit) => {
      this.resolveExit = resolveExit;
    });
    for (const node of this.nodes) this.spawn(node, initialCluster === null ? [] : ['--initial-cluster', initialCluster]);
    this.control = await startControlServer((request) => this.enqueue(request));
    this.saveState();
    process.on('SIGINT', (signal) => this.stop(signal));
    process.on('SIGTERM', (signal) => this.stop(signal));
    process.on('SIGHUP', (signal) => this.stop(signal));

    const leader = await this.waitForLeader();
    if (leader !== null) {
      process.stdout.write([
        `raftis: ${this.nodes.length}-node cluster up (leader ${leader}); data in ${this.dataDir}, logs in ${this.logDir}`,
        ...this.nodes.map((n) => this.connectLine(n)),
        'Any node accepts any command. Grow or shrink it from another terminal:',
        `  raftis cluster add-node${this.dataDirFlag()}   |   raftis cluster remove-node ID${this.dataDirFlag()}`,
        'Ctrl-C stops the cluster.',
        '',
      ].join('\n'));
    } else if (!this.stopping) {
      process.stderr.write(`raftis: no leader after ${READY_TIMEOUT_MS / 1000} s; see the logs in ${this.logDir}\n`);
    }
    return exited;
  }

  private dataDirFlag(): string {
    return this.args.dataDir === './data' ? '' : ` --data-dir ${this.args.dataDir}`;
  }

  /** Makes the CA (unless it exists) and the certificates of `ids` and of the client; null, or what failed. */
  private async prepareTls(ids: readonly string[]): Promise<string | null> {
    const dir = join(this.dataDir, TLS_DIR);
    try {
      await makeDevCerts({ dir, nodes: ids, hosts: [...new Set([...DEV_CERT_HOSTS_DEFAULT, this.host])] });
    } catch (error) {
      return (error as Error).message;
    }
    const files = devCertPaths(dir);
    this.tls = { files, client: { ca: readFileSync(files.caCert), cert: readFileSync(files.client.cert), key: readFileSync(files.client.key) } };
    return null;
  }

  /** The default user's password given to the nodes (`-- --requirepass P`): the tool's own commands AUTH with it. */
  private get clientAuth(): Credentials | null {
    const at = this.args.extra.indexOf('--requirepass');
    const password = at < 0 ? undefined : this.args.extra[at + 1];
    return password === undefined ? null : ['default', password];
  }

  private get clientTls(): ConnectionOptions | null {
    return this.tls?.client ?? null;
  }

  private redisCli(node: ClusterNode): string {
    const host = this.host === '127.0.0.1' ? '' : ` -h ${this.host}`;
    const files = this.tls?.files;
    const tls = files === undefined ? '' : `--tls --cacert ${files.caCert} --cert ${files.client.cert} --key ${files.client.key} `;
    return `redis-cli ${tls}-p ${node.clientPort}${host}`;
  }

  private connectLine(node: ClusterNode): string {
    return `  ${node.id}: ${this.redisCli(node)}   dashboard ${this.tls === null ? 'http' : 'https'}://${this.host}:${node.clientPort + ADMIN_PORT_OFFSET}/`;
  }

  /** TLS everywhere: clients on TLS only (on the client port), mutual TLS between peers, admin HTTPS. */
  private tlsArgs(node: ClusterNode): string[] {
    const files = this.tls?.files;
    if (files === undefined) return ['--listen', `${this.host}:${node.clientPort}`];
    return ['--listen', `${this.host}:0`, '--tls-port', String(node.clientPort),
      '--tls-cert-file', files.node(node.id).cert, '--tls-key-file', files.node(node.id).key, '--tls-ca-cert-file', files.caCert,
      '--tls-cluster', '--admin-tls'];
  }

  private spawn(node: ClusterNode, bootstrap: readonly string[]): RunningNode {
    const logPath = join(this.logDir, `${node.id}.log`);
    const logFd = openSync(logPath, 'a');
    const child = spawn(process.execPath, [this.main, 'server',
      '--id', node.id,
      ...this.tlsArgs(node),
      '--peer-listen', `${this.host}:${node.peerPort}`,
      '--admin-listen', `${this.host}:${node.clientPort + ADMIN_PORT_OFFSET}`,
      '--data-dir', join(this.dataDir, node.id),
      ...bootstrap,
      ...this.args.extra,
    ], { stdio: ['ignore', logFd, 'pipe'], env: withLaunchEnvironment() });
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${node.id}] ${chunk.toString()}`));
    let markExited: () => void = () => {};
    const entry: RunningNode = { node, child, removing: false, exited: new Promise((r) => { markExited = r; }) };
    child.on('exit', (code, signal) => {
      this.running.delete(node.id);
      markExited();
      if (!this.stopping && !entry.removing) {
        this.failures++;
        process.stderr.write(`node ${node.id} exited unexpectedly (${signal ?? `code ${code}`}); its log is ${logPath}\n`);
      }
      if (this.running.size === 0) this.finish();
    });
    this.running.set(node.id, entry);
    return entry;
  }

  private finish(): void {
    this.control?.close();
    this.control = null;
    this.saveState();
    this.resolveExit(this.failures === 0 ? 0 : 1);
  }

  private stop(signal: NodeJS.Signals): void {
    if (this.stopping) {
      for (const entry of this.running.values()) entry.child.kill('SIGKILL');
      return;
    }
    this.stopping = true;
    process.stdout.write(`\n${signal}: stopping ${this.running.size} nodes gracefully (again to force)…\n`);
    for (const entry of this.running.values()) entry.child.kill('SIGTERM');
  }

  private saveState(): void {
    writeClusterState(this.dataDir, {
      version: 1,
      host: this.host,
      basePort: this.basePort,
      controlPort: this.control?.port ?? 0,
      supervisorPid: process.pid,
      nodes: this.nodes,
      ...(this.tls === null ? {} : { tls: true }),
    });
  }

  private enqueue(request: ControlRequest): Promise<ControlReply> {
    const next = this.queue.then(() => (request.op === 'add' ? this.addNode() : this.removeNode(request.id)));
    this.queue = next.catch(() => {});
    return next;
  }

  /** Starts the next node with --join through a live member and waits until it is a member. */
  private async addNode(): Promise<ControlReply> {
    if (this.stopping) return { ok: false, error: 'the cluster is stopping' };
    const node = nextNode({ version: 1, host: this.host, basePort: this.basePort, controlPort: 0, supervisorPid: 0, nodes: this.nodes }, this.dataDir);
    if (typeof node === 'string') return { ok: false, error: node };
    for (const port of [node.clientPort, node.peerPort, node.clientPort + ADMIN_PORT_OFFSET]) {
      if (!(await portFree(this.host, port))) return { ok: false, error: `port ${port} for ${node.id} is in use` };
    }
    const via = await this.liveMember(null);
    if (via === null) return { ok: false, error: 'no member of the cluster answers; is it up?' };
    if (this.tls !== null) {
      const error = await this.prepareTls([node.id]);
      if (error !== null) return { ok: false, error: `certificate for ${node.id}: ${error}` };
    }
    this.spawn(node, ['--join', `${this.host}:${via.clientPort}`]);
    this.nodes.push(node);
    this.saveState();
    const role = await this.waitForRole(node.id, (r) => r === 'voter');
    const where = `data in ${join(this.dataDir, node.id)}, log in ${join(this.logDir, `${node.id}.log`)}`;
    if (role === null) return { ok: false, error: `${node.id} started but is not a member after ${READY_TIMEOUT_MS / 1000} s; ${where}` };
    if (!(await this.waitForServing(node))) return { ok: false, error: `${node.id} is a ${role} but has not caught up with the cluster after ${READY_TIMEOUT_MS / 1000} s; ${where}` };
    process.stdout.write(`${node.id} added as a ${role}:\n${this.connectLine(node)}\n`);
    return { ok: true, message: `${node.id} joined the cluster as a ${role}: ${this.redisCli(node)}  (${where})` };
  }

  /** RAFT.NODE REMOVE through another member (forwarded to the leader), then stops the process. */
  private async removeNode(id: string): Promise<ControlReply> {
    if (this.stopping) return { ok: false, error: 'the cluster is stopping' };
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) return { ok: false, error: `no node ${id} in this cluster (it has ${this.nodes.map((n) => n.id).join(', ')})` };
    if (this.nodes.length === 1) return { ok: false, error: `${id} is the only node; stop the cluster instead` };
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let last = 'no other member answers';
    for (;;) {
      const via = await this.liveMember(id);
      if (via !== null) {
        const reply = await call(this.host, via.clientPort, ['RAFT.NODE', 'REMOVE', id], this.clientTls, this.clientAuth);
        if (reply.kind === 'simple') break;
        last = reply.kind === 'error' ? reply.message : `unexpected reply ${reply.kind}`;
        if (/is not a member/.test(last)) break; // removed already (an earlier attempt that timed out)
        // TRYAGAIN (no leader, another change pending), TIMEOUT or a lost connection: ask again.
        if (last.startsWith('ERR ')) return { ok: false, error: last };
      }
      if (Date.now() > deadline) return { ok: false, error: `removing ${id} did not succeed within ${READY_TIMEOUT_MS / 1000} s: ${last}` };
      await sleep(POLL_MS);
    }
    this.nodes = this.nodes.filter((n) => n.id !== id);
    this.saveState();
    const entry = this.running.get(id);
    if (entry !== undefined) {
      entry.removing = true;
      entry.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([entry.exited.then(() => true), new Promise<false>((r) => { timer = setTimeout(() => r(false), STOP_TIMEOUT_MS); })]);
      clearTimeout(timer); // a pending timer would keep a stopping supervisor alive
      if (!stopped) {
        entry.child.kill('SIGKILL');
        await entry.exited;
      }
    }
    process.stdout.write(`${id} removed from the cluster and stopped\n`);
    return { ok: true, message: `${id} removed from the cluster and stopped; its data directory ${join(this.dataDir, id)} is no longer used and may be deleted` };
  }

  /** A running node (other than `except`) that answers RAFT.LEADER with a leader. */
  private async liveMember(except: string | null): Promise<ClusterNode | null> {
    for (const node of this.nodes) {
      if (node.id === except || !this.running.has(node.id)) continue;
      const reply = await call(this.host, node.clientPort, ['RAFT.LEADER'], this.clientTls, this.clientAuth);
      if (reply.kind === 'bulk' && reply.value !== null && reply.value.length > 0) return node;
    }
    return null;
  }

  /** Waits until `id` is a member, preferably with a role `done` accepts; returns its role, or null if never a member. */
  private async waitForRole(id: string, done: (role: string) => boolean): Promise<string | null> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let role: string | null = null;
    while (Date.now() < deadline && !this.stopping) {
      const via = await this.liveMember(id);
      if (via !== null) {
        role = memberRoles(await call(this.host, via.clientPort, ['RAFT.NODES'], this.clientTls, this.clientAuth)).get(id) ?? role;
        if (role !== null && done(role)) return role;
      }
      await sleep(POLL_MS);
    }
    return role;
  }

  /** Waits until `node` serves clients: a joined node answers LOADING (INFO `loading:1`) until it has caught up. */
  private async waitForServing(node: ClusterNode): Promise<boolean> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline && !this.stopping) {
      const reply = await call(this.host, node.clientPort, ['INFO', 'persistence'], this.clientTls, this.clientAuth);
      if (reply.kind === 'bulk' && reply.value !== null && /^loading:0\r?$/m.test(Buffer.from(reply.value).toString())) return true;
      await sleep(POLL_MS);
    }
    return false;
  }

  private async waitForLeader(): Promise<string | null> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline && !this.stopping) {
      for (const node of this.nodes) {
        const reply = await call(this.host, node.clientPort, ['RAFT.LEADER'], this.clientTls, this.clientAuth);
        if (reply.kind === 'bulk' && reply.value !== null && reply.value.length > 0) return Buffer.from(reply.value).toString();
      }
      await sleep(POLL_MS);
    }
    return null;
  }
}

/** One command; a connection failure becomes an error reply. */
async function call(host: string, port: number, argv: readonly string[], tls: ConnectionOptions | null, auth: Credentials | null): Promise<RespValue> {
  try {
    return await sendCommand(host, port, argv, CALL_TIMEOUT_MS, tls, auth);
  } catch (error) {
    return { kind: 'error', message: `${host}:${port}: ${(error as Error).message}` };
  }
}

/** id → role from a RAFT.NODES reply (rows are maps in RESP3, flat field/value arrays in RESP2). */
function memberRoles(reply: RespValue): Map<string, string> {
  const roles = new Map<string, string>();
  if (reply.kind !== 'array' || reply.value === null) return roles;
  const text = (v: RespValue | undefined): string => (v?.kind === 'bulk' && v.value !== null ? Buffer.from(v.value).toString() : '');
  for (const row of reply.value) {
    const pairs: (readonly [RespValue, RespValue])[] = [];
    if (row.kind === 'map') pairs.push(...row.value);
    else if (row.kind === 'array' && row.value !== null) {
      for (let i = 0; i + 1 < row.value.length; i += 2) pairs.push([row.value[i] as RespValue, row.value[i + 1] as RespValue]);
    }
    const field = (name: string): string => text(pairs.find(([k]) => text(k) === name)?.[1]);
    if (field('id') !== '') roles.set(field('id'), field('role'));
  }
  return roles;
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, host, () => server.close(() => resolveFree(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
