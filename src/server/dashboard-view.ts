// The cluster as the dashboard shows it, from whichever node serves the page: every member
// with its addresses (this node's membership), what the member reports of itself (role,
// term, indexes, health, its latest sample) asked over the peer channel, its lag behind the
// cluster's commit index, and the samples and events of the one member being charted.
// A member that does not answer in time is shown as unreachable; the view never waits on it
// longer than one peer time-out.

import { Buffer } from 'node:buffer';
import type { DashboardEvent, DashboardHistory, DashboardSample } from './dashboard-history.js';
import { DASHBOARD_REPORT } from './forward-codec.js';
import { formatHostPort } from './config.js';
import { roleName } from './info.js';
import type { AdminContext } from './admin.js';

/** What a node says of itself; with samples and events newer than the asker's cursors when asked for them. */
export interface NodeReport {
  readonly node: string;
  /** Its own client and peer addresses: a member knows its own for sure, the others' address books may hold a guess. */
  readonly client: string;
  readonly peer: string;
  readonly role: string;
  readonly term: number;
  readonly leader: string;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  /** Null when healthy (a member that knows a leader), else why not. */
  readonly unhealthy: string | null;
  readonly uptimeSeconds: number;
  readonly latest: DashboardSample | null;
  readonly samples: readonly DashboardSample[];
  readonly events: readonly DashboardEvent[];
}

/** A poller's cursors: samples after time `samplesAfter` (ms) and events after id `eventsAfter`; null asks for none. */
export interface HistoryCursor {
  readonly samplesAfter: number | null;
  readonly eventsAfter: number | null;
}

export type MemberHealth = 'ok' | 'lagging' | 'unhealthy' | 'unreachable';

export interface MemberView {
  readonly id: string;
  readonly membership: 'voter' | 'learner';
  readonly client: string;
  readonly peer: string;
  readonly health: MemberHealth;
  /** Why the member is not ok, for the page to show; empty when it is. */
  readonly problem: string;
  /** Entries the member has still to apply up to the highest commit index reported. */
  readonly lag: number | null;
  /** The leader's match index for the member (when the serving node leads). */
  readonly match: number | null;
  readonly report: Omit<NodeReport, 'samples' | 'events'> | null;
}

export interface DashboardData {
  readonly node: string;
  readonly cluster: string;
  readonly now: number;
  readonly sampleMs: number;
  readonly samplesMax: number;
  readonly term: number;
  readonly leader: string;
  readonly members: readonly MemberView[];
  /** The member charted, its samples and events after the cursor, or why they are missing. */
  readonly viewed: string;
  readonly samples: readonly DashboardSample[];
  readonly events: readonly DashboardEvent[];
  readonly viewError: string | null;
}

export interface DashboardViewOptions {
  readonly admin: AdminContext;
  readonly history: DashboardHistory;
  readonly unhealthy: () => string | null;
  readonly request: (to: string, payload: Uint8Array, timeoutMs: number) => Promise<Uint8Array>;
  /** How long a peer may take to report: past it the member shows as unreachable. */
  readonly peerTimeoutMs: number;
  /** A member further behind than this is lagging (the learner promotion bound: a member that far behind is not caught up). */
  readonly lagEntriesMax: number;
}

export class DashboardView {
  private readonly options: DashboardViewOptions;

  constructor(options: DashboardViewOptions) {
    this.options = options;
  }

  /** This node's report. */
  report(cursor: HistoryCursor): NodeReport {
    const { admin, history } = this.options;
    const status = admin.node.status();
    const { samplesAfter, eventsAfter } = cursor;
    const self = admin.members().get(admin.identity.nodeId);
    return {
      node: admin.identity.nodeId,
      client: self === undefined ? '' : formatHostPort(self.client),
      peer: self === undefined ? '' : formatHostPort(self.peer),
      role: roleName(status.role),
      term: status.term,
      leader: status.leader,
      commitIndex: status.commit,
      appliedIndex: admin.node.appliedIndex,
      lastIndex: status.lastIndex,
      unhealthy: this.options.unhealthy(),
      uptimeSeconds: Math.floor((admin.now() - admin.startedAt) / 1000),
      latest: history.samples.last() ?? null,
      samples: samplesAfter === null ? [] : history.samples.newest((s) => s.t > samplesAfter),
      events: eventsAfter === null ? [] : history.events.newest((e) => e.id > eventsAfter),
    };
  }

  /** A peer's DASHBOARD_REPORT request: its cursor in, this node's report out. */
  handlePeerRequest(payload: Uint8Array): Promise<Uint8Array> {
    const cursor = decodeCursor(payload);
    if (cursor instanceof Error) return Promise.reject(cursor);
    return Promise.resolve(Buffer.from(JSON.stringify(this.report(cursor)), 'utf8'));
  }

  /** The page's data: every member's report, and `viewed`'s history after `cursor`. */
  async data(viewed: string, cursor: HistoryCursor): Promise<DashboardData> {
    const { admin, history } = this.options;
    const self = admin.identity.nodeId;
    const status = admin.node.status();
    const ids = [...status.confState.voters, ...status.confState.learners] as string[];
    if (!ids.includes(viewed) && viewed !== self) viewed = self;
    const reports = await Promise.all(ids.map((id) => this.reportOf(id, id === viewed ? cursor : { samplesAfter: null, eventsAfter: null })));
    const byId = new Map(ids.map((id, i) => [id, reports[i] as NodeReport | Error]));
    const viewedReport = viewed === self && !ids.includes(self) ? this.report(cursor) : byId.get(viewed);
    const commit = Math.max(status.commit, ...reports.map((r) => (r instanceof Error ? 0 : r.commitIndex)));
    const learners = new Set<string>(status.confState.learners);
    return {
      node: self,
      cluster: admin.identity.clusterId,
      now: admin.now(),
      sampleMs: history.limits.sampleMs,
      samplesMax: history.limits.samplesMax,
      term: status.term,
      leader: status.leader,
      members: ids.map((id) => this.member(id, learners.has(id) ? 'learner' : 'voter', byId.get(id) as NodeReport | Error, commit)),
      viewed,
      samples: viewedReport instanceof Error || viewedReport === undefined ? [] : viewedReport.samples,
      events: viewedReport instanceof Error || viewedReport === undefined ? [] : viewedReport.events,
      viewError: viewedReport instanceof Error ? `${viewed} did not answer: ${viewedReport.message}` : null,
    };
  }

  private async reportOf(id: string, cursor: HistoryCursor): Promise<NodeReport | Error> {
    if (id === this.options.admin.identity.nodeId) return this.report(cursor);
    try {
      const answer = await this.options.request(id, encodeCursor(cursor), this.options.peerTimeoutMs);
      return decodeReport(answer, id);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  private member(id: string, membership: 'voter' | 'learner', report: NodeReport | Error, commit: number): MemberView {
    const { admin } = this.options;
    const address = admin.members().get(id);
    const progress = admin.node.isLeader ? admin.node.status().progress.find((p) => p.id === id) : undefined;
    const base = {
      id, membership,
      client: address === undefined ? '' : formatHostPort(address.client),
      peer: address === undefined ? '' : formatHostPort(address.peer),
      match: id === admin.identity.nodeId && admin.node.isLeader ? admin.node.status().lastIndex : (progress?.match ?? null),
    };
    if (report instanceof Error) return { ...base, health: 'unreachable', problem: report.message, lag: null, report: null };
    const { samples: _samples, events: _events, ...summary } = report;
    if (report.client !== '') base.client = report.client;
    if (report.peer !== '') base.peer = report.peer;
    const lag = Math.max(commit - report.appliedIndex, 0);
    const health: MemberHealth = report.unhealthy !== null ? 'unhealthy' : lag > this.options.lagEntriesMax ? 'lagging' : 'ok';
    const problem = report.unhealthy ?? (health === 'lagging' ? `${lag} entries behind the commit index` : '');
    return { ...base, health, problem, lag, report: summary };
  }
}

export function encodeCursor(cursor: HistoryCursor): Buffer {
  return Buffer.concat([Buffer.of(DASHBOARD_REPORT), Buffer.from(JSON.stringify(cursor), 'utf8')]);
}

function decodeCursor(payload: Uint8Array): HistoryCursor | Error {
  if (payload[0] !== DASHBOARD_REPORT) return new Error('not a dashboard report request');
  const parsed = parseJson(payload.subarray(1));
  if (!isRecord(parsed)) return new Error('malformed dashboard report request');
  const { samplesAfter, eventsAfter } = parsed;
  if (!isNumberOrNull(samplesAfter) || !isNumberOrNull(eventsAfter)) return new Error('malformed dashboard report request: cursors must be numbers or null');
  return { samplesAfter, eventsAfter };
}

/** A peer's report, checked before use: the fields the view computes with must have their types. */
function decodeReport(payload: Uint8Array, from: string): NodeReport | Error {
  const report = parseJson(payload);
  const malformed = (what: string): Error => new Error(`malformed dashboard report from ${from}: ${what}`);
  if (!isRecord(report)) return malformed('not an object');
  for (const field of ['node', 'client', 'peer', 'role', 'leader'] as const) if (typeof report[field] !== 'string') return malformed(field);
  for (const field of ['term', 'commitIndex', 'appliedIndex', 'lastIndex', 'uptimeSeconds'] as const) {
    if (typeof report[field] !== 'number' || !Number.isFinite(report[field])) return malformed(field);
  }
  if (report['node'] !== from) return malformed(`it says it is ${String(report['node'])}`);
  if (report['unhealthy'] !== null && typeof report['unhealthy'] !== 'string') return malformed('unhealthy');
  if (report['latest'] !== null && !isSample(report['latest'])) return malformed('latest');
  const samples = report['samples'];
  const events = report['events'];
  if (!Array.isArray(samples) || !samples.every(isSample)) return malformed('samples');
  if (!Array.isArray(events) || !events.every(isEvent)) return malformed('events');
  return report as unknown as NodeReport;
}

function isSample(value: unknown): boolean {
  return isRecord(value) && typeof value['t'] === 'number' && isRecord(value['ops']);
}

function isEvent(value: unknown): boolean {
  return isRecord(value) && typeof value['id'] === 'number' && typeof value['t'] === 'number' && typeof value['kind'] === 'string' && typeof value['text'] === 'string';
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumberOrNull(value: unknown): value is number | null {
  return value === null || (typeof value === 'number' && Number.isFinite(value));
}
