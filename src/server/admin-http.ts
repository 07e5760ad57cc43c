// The admin HTTP endpoint (--admin-listen): Prometheus metrics (GET /metrics), this node's
// view of the cluster as JSON (GET /status), a health check for load balancers and
// orchestrators (GET /health: 200 while the node is a member that knows a leader, else 503)
// and a live dashboard (GET /, its assets under /assets/, its data from GET /dashboard.json).
// Read-only: nothing here changes the node. Values are read when asked for, so serving them
// costs nothing between scrapes. Optionally over TLS (--admin-tls), and with a bearer token
// (--admin-token) required for /status, /metrics and /dashboard.json; /health stays open for
// load balancers, and the dashboard page and its assets hold no data (the page sends the
// token given in its URL fragment, #token=…, with each request for data).

import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { StateRole, nodeId } from '../node/consensus.js';
import type { AdminContext } from './admin.js';
import { roleName } from './info.js';
import { formatHostPort, type HostPort } from './config.js';
import type { DashboardView, HistoryCursor } from './dashboard-view.js';
import { DASHBOARD_CSP, DASHBOARD_CSS, DASHBOARD_HTML, DASHBOARD_SCRIPT, loadChartLibrary, type StaticAsset } from './dashboard-page.js';

export interface NodeStatus {
  readonly node: string;
  readonly cluster: string;
  readonly role: string;
  readonly term: number;
  readonly leader: string;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly logFirstIndex: number;
  readonly logLastIndex: number;
  readonly keys: number;
  readonly memoryBytes: number;
  readonly connectedClients: number;
  readonly uptimeSeconds: number;
  readonly members: readonly {
    readonly id: string;
    readonly role: 'voter' | 'learner';
    readonly peer: string;
    readonly client: string;
    readonly connected: boolean;
    /** The leader's match index for the member (only on the leader). */
    readonly match: number | null;
  }[];
}

export function nodeStatus(context: AdminContext): NodeStatus {
  const { node, kv, identity } = context;
  const status = node.status();
  const transport = context.transportStats();
  const progress = new Map(status.progress.map((p) => [p.id as string, p.match as number]));
  const members = context.members();
  const row = (id: string, role: 'voter' | 'learner'): NodeStatus['members'][number] => {
    const member = members.get(id);
    return {
      id,
      role,
      peer: member === undefined ? '' : formatHostPort(member.peer),
      client: member === undefined ? '' : formatHostPort(member.client),
      connected: id === identity.nodeId || transport.get(nodeId(id))?.connected === true,
      match: id === identity.nodeId && status.role === StateRole.Leader ? status.lastIndex : (progress.get(id) ?? null),
    };
  };
  return {
    node: identity.nodeId,
    cluster: identity.clusterId,
    role: roleName(status.role),
    term: status.term,
    leader: status.leader,
    commitIndex: status.commit,
    appliedIndex: node.appliedIndex,
    logFirstIndex: status.firstIndex,
    logLastIndex: status.lastIndex,
    keys: kv.stats().keys,
    memoryBytes: kv.memoryUsage(),
    connectedClients: context.resp().stats().connectedClients,
    uptimeSeconds: Math.floor((context.now() - context.startedAt) / 1000),
    members: [...status.confState.voters.map((id) => row(id, 'voter')), ...status.confState.learners.map((id) => row(id, 'learner'))],
  };
}

/** Null when healthy; otherwise why not. */
export function unhealthyReason(context: AdminContext): string | null {
  const status = context.node.status();
  const self = context.identity.nodeId;
  const member = status.confState.voters.includes(nodeId(self)) || status.confState.learners.includes(nodeId(self));
  if (!member) return 'not a member of the cluster';
  if (status.leader === '') return 'no leader known';
  return null;
}

/** What one scrape reads from the node: taken once per scrape, shared by every metric. */
interface Sample {
  readonly status: ReturnType<AdminContext['node']['status']>;
  readonly stats: ReturnType<AdminContext['node']['stats']>;
  readonly kv: ReturnType<AdminContext['kv']['stats']>;
  readonly resp: ReturnType<ReturnType<AdminContext['resp']>['stats']>;
  readonly transport: ReturnType<AdminContext['transportStats']>;
}

/** The registry, and `newScrape` to call before each scrape so its metrics read one fresh sample. */
function metricsRegistry(context: AdminContext): { registry: Registry; newScrape: () => void } {
  let sample: Sample | null = null;
  const current = (): Sample => (sample ??= {
    status: context.node.status(),
    stats: context.node.stats(),
    kv: context.kv.stats(),
    resp: context.resp().stats(),
    transport: context.transportStats(),
  });
  const registry = new Registry();
  registry.setDefaultLabels({ node: context.identity.nodeId });
  collectDefaultMetrics({ register: registry, prefix: 'raftis_' });
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  };
  // A value the node already counts: exposed as a Prometheus counter that follows it.
  const counter = (name: string, help: string, read: () => number): void => {
    let reported = 0;
    new Counter({
      name, help, registers: [registry], collect() {
        const value = read();
        if (value > reported) this.inc(value - reported);
        reported = value;
      },
    });
  };
  const { node } = context;
  const status = (): Sample['status'] => current().status;
  gauge('raftis_raft_term', 'Current Raft term.', () => status().term);
  gauge('raftis_raft_is_leader', '1 on the leader, 0 elsewhere.', () => (node.isLeader ? 1 : 0));
  gauge('raftis_raft_has_leader', '1 while this node knows a leader.', () => (status().leader === '' ? 0 : 1));
  gauge('raftis_raft_commit_index', 'Highest log index known to be committed.', () => status().commit);
  gauge('raftis_raft_applied_index', 'Highest log index applied to the state machine.', () => node.appliedIndex);
  gauge('raftis_raft_log_first_index', 'First log index still held (after compaction).', () => status().firstIndex);
  gauge('raftis_raft_log_last_index', 'Last log index.', () => status().lastIndex);
  gauge('raftis_raft_voters', 'Voters in the configuration.', () => status().confState.voters.length);
  gauge('raftis_raft_learners', 'Learners in the configuration.', () => status().confState.learners.length);
  new Gauge({
    name: 'raftis_raft_peer_match_index', help: "The leader's match index for each member (leader only).", labelNames: ['peer'], registers: [registry],
    collect() {
      this.reset();
      for (const peer of status().progress) this.set({ peer: peer.id }, peer.match);
    },
  });
  new Gauge({
    name: 'raftis_peer_connected', help: '1 while the peer connection to a member is up.', labelNames: ['peer'], registers: [registry],
    collect() {
      this.reset();
      for (const [peer, stats] of current().transport) this.set({ peer }, stats.connected ? 1 : 0);
    },
  });
  new Counter({
    name: 'raftis_peer_stall_redials_total', help: 'Peer connections redialled because they took writes and delivered nothing back for --peer-stall-ms.', labelNames: ['peer'], registers: [registry],
    collect() {
      this.reset();
      for (const [peer, stats] of current().transport) this.inc({ peer }, stats.stallRedials);
    },
  });
  const stats = (): Sample['stats'] => current().stats;
  counter('raftis_raft_proposals_total', 'Proposals accepted by the Raft core.', () => stats().proposals);
  counter('raftis_raft_readies_total', 'Ready structures processed.', () => stats().readies);
  counter('raftis_raft_entries_applied_total', 'Committed entries applied.', () => stats().entriesApplied);
  counter('raftis_raft_messages_sent_total', 'Raft messages sent (snapshot streams excluded).', () => stats().messagesSent);
  counter('raftis_wal_syncs_total', 'WAL syncs (group commits).', () => stats().syncs);
  counter('raftis_wal_sync_seconds_total', 'Time spent in WAL syncs.', () => stats().syncMsTotal / 1000);
  counter('raftis_wal_entries_persisted_total', 'Entries written to the WAL.', () => stats().entriesPersisted);
  const kvStats = (): Sample['kv'] => current().kv;
  gauge('raftis_kv_keys', 'Keys in the keyspace.', () => kvStats().keys);
  gauge('raftis_kv_keys_with_expiry', 'Keys with a TTL.', () => kvStats().expires);
  gauge('raftis_kv_memory_bytes', "The keyspace's memory estimate: keys and values (maxmemory limits this plus cached scripts and function libraries, INFO used_memory).", () => kvStats().memoryBytes);
  gauge('raftis_kv_maxmemory_bytes', 'The maxmemory limit, 0 for none.', () => kvStats().maxMemoryBytes);
  counter('raftis_kv_expired_keys_total', 'Keys deleted on expiry.', () => kvStats().expiredKeys);
  counter('raftis_kv_evicted_keys_total', 'Keys evicted under maxmemory.', () => kvStats().evictedKeys);
  counter('raftis_internal_errors_total', 'Commands answered with an internal error (a handler threw or a reply could not be encoded): bugs to report.',
    () => kvStats().internalErrors + current().resp.commandFailures);
  gauge('raftis_exactly_once_clients', 'Clients with an exactly-once record.', () => kvStats().dedupEntries);
  gauge('raftis_exactly_once_replies', 'Replies held for retries.', () => kvStats().dedupReplies);
  gauge('raftis_connected_clients', 'Client connections open.', () => current().resp.connectedClients);
  counter('raftis_connections_received_total', 'Client connections accepted.', () => current().resp.totalConnections);
  counter('raftis_rejected_connections_total', 'Client connections refused (maxclients).', () => current().resp.rejectedConnections);
  counter('raftis_commands_processed_total', 'Client commands processed.', () => context.commandsProcessed());
  return { registry, newScrape: () => { sample = null; } };
}

export interface AdminHttpOptions {
  /** Serve HTTPS with this key and certificate; null for plain HTTP. */
  readonly tls: SecureContextOptions | null;
  /** Bearer token required for /status, /metrics and /dashboard.json; null for none. */
  readonly token: string | null;
  /** The cluster view behind /dashboard.json; null serves no dashboard. */
  readonly dashboard: DashboardView | null;
}

/** Requests for /dashboard.json in progress at most (each asks every member): more get 503 until one finishes. */
const DASHBOARD_REQUESTS_MAX = 16;

/** The page and its assets: static, no data in them. */
function dashboardAssets(): ReadonlyMap<string, StaticAsset> {
  const chart = loadChartLibrary();
  return new Map([
    ['/', { type: 'text/html; charset=utf-8', body: DASHBOARD_HTML }],
    ['/assets/dashboard.js', { type: 'text/javascript; charset=utf-8', body: DASHBOARD_SCRIPT }],
    ['/assets/dashboard.css', { type: 'text/css; charset=utf-8', body: DASHBOARD_CSS }],
    ['/assets/uplot.min.js', chart.script],
    ['/assets/uplot.min.css', chart.css],
  ]);
}

/** The cursor and member a dashboard poll asks for: `?node=ID&samplesAfter=MS&eventsAfter=ID`. */
function dashboardQuery(url: string): { node: string; cursor: HistoryCursor } {
  const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const number = (name: string): number | null => {
    const text = query.get(name);
    return text !== null && /^\d{1,16}$/.test(text) ? Number(text) : null;
  };
  return { node: query.get('node') ?? '', cursor: { samplesAfter: number('samplesAfter'), eventsAfter: number('eventsAfter') } };
}

export class AdminHttpServer {
  private readonly context: AdminContext;
  private readonly registry: Registry;
  private readonly newScrape: () => void;
  private readonly options: AdminHttpOptions;
  /** The paths that answer without the token: liveness for load balancers, the dashboard page and its assets. */
  private readonly assets: ReadonlyMap<string, StaticAsset>;
  private dashboardRequests = 0;
  /** SHA-256 of the token: compared in constant time with the digest of what a request presents. */
  private readonly tokenDigest: Buffer | null;
  private server: Server | null = null;
  private httpsServer: HttpsServer | null = null;

  constructor(context: AdminContext, options: AdminHttpOptions = { tls: null, token: null, dashboard: null }) {
    this.context = context;
    this.options = options;
    this.assets = options.dashboard === null ? new Map() : dashboardAssets();
    this.tokenDigest = options.token === null ? null : sha256(options.token);
    ({ registry: this.registry, newScrape: this.newScrape } = metricsRegistry(context));
  }

  get usesTls(): boolean {
    return this.options.tls !== null;
  }

  /** New HTTPS connections use these (certificate rotation). */
  setTlsContext(context: SecureContextOptions): void {
    if (this.httpsServer === null) throw new Error('AdminHttpServer.setTlsContext() without TLS');
    this.httpsServer.setSecureContext(context);
  }

  async listen(at: HostPort): Promise<AddressInfo> {
    const handler = (request: IncomingMessage, response: ServerResponse): void => void this.handle(request, response);
    const https = this.options.tls === null ? null : createHttpsServer({ ...this.options.tls }, handler);
    const server: Server = https ?? createServer(handler);
    this.httpsServer = https;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at.port, at.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string | Buffer): void => {
      response.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return send(405, 'text/plain; charset=utf-8', 'method not allowed: the admin endpoint is read-only\n');
    }
    if (path !== undefined && path !== '/health' && !this.assets.has(path) && !this.authorized(request)) {
      response.setHeader('www-authenticate', 'Bearer realm="raftis admin"');
      return send(401, 'text/plain; charset=utf-8', 'unauthorized: send the admin token as "Authorization: Bearer TOKEN"\n');
    }
    try {
      switch (path) {
        case '/metrics':
          this.newScrape();
          return send(200, this.registry.contentType, await this.registry.metrics());
        case '/status':
          return send(200, 'application/json', JSON.stringify(nodeStatus(this.context)) + '\n');
        case '/health': {
          const reason = unhealthyReason(this.context);
          return send(reason === null ? 200 : 503, 'application/json', JSON.stringify(reason === null ? { ok: true } : { ok: false, reason }) + '\n');
        }
        case '/dashboard.json':
          return await this.dashboardData(request.url ?? '', send);
        default: {
          const asset = this.assets.get(path ?? '');
          if (asset === undefined) return send(404, 'text/plain; charset=utf-8', 'not found: try /metrics, /status, /health or /\n');
          response.setHeader('content-security-policy', DASHBOARD_CSP);
          response.setHeader('x-content-type-options', 'nosniff');
          return send(200, asset.type, asset.body);
        }
      }
    } catch (error) {
      return send(500, 'text/plain; charset=utf-8', `internal error: ${(error as Error).message}\n`);
    }
  }

  private async dashboardData(url: string, send: (code: number, type: string, body: string) => void): Promise<void> {
    const dashboard = this.options.dashboard;
    if (dashboard === null) return send(404, 'text/plain; charset=utf-8', 'not found: this node serves no dashboard\n');
    if (this.dashboardRequests >= DASHBOARD_REQUESTS_MAX) return send(503, 'text/plain; charset=utf-8', `busy: ${DASHBOARD_REQUESTS_MAX} dashboard requests already in progress\n`);
    const { node, cursor } = dashboardQuery(url);
    this.dashboardRequests++;
    try {
      const data = await dashboard.data(node === '' ? this.context.identity.nodeId : node, cursor);
      send(200, 'application/json', JSON.stringify(data) + '\n');
    } finally {
      this.dashboardRequests--;
    }
  }

  private authorized(request: IncomingMessage): boolean {
    if (this.tokenDigest === null) return true;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    return match !== null && timingSafeEqual(sha256(match[1] ?? ''), this.tokenDigest);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
