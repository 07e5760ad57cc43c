// The stream chaos clients: on every node, producers XADD unique values to a few streams
// (and now and then read the stream's tail with XREVRANGE), and consumers of one group take
// entries with XREADGROUP (sometimes blocking), XACK what they took, and XAUTOCLAIM entries
// left idle by consumers that died. A consumer dies on purpose now and then (it drops what
// it read without XACK and comes back under a new name), and whenever its connection is lost.
// When the clients stop, each node's pending list is read, then one drainer takes and
// acknowledges everything left, and the final reads take each node's whole stream. The
// history is checked by src/check/check-stream.ts. Outcomes as in the other workloads:
// a refusal that was surely not applied (notApplied) rules a command out, any other error leaves it unknown.

import type { Redis } from 'ioredis';
import { checkStreamHistory, describeStreamResult, type StreamAdd, type StreamDelivery, type StreamEntry, type StreamRead } from '../../src/check/index.js';
import type { ChaosCluster } from './chaos-cluster.js';
import { clientLoop, notApplied, sleep, type ChaosWorkload, type OpRecord, type Outcome, type WorkloadCheck, type WorkloadOptions } from './workload.js';

const STREAMS = ['st0', 'st1'];
const GROUP = 'g';
/** Entries one XREADGROUP or XAUTOCLAIM takes at most. */
const TAKE_COUNT = 20;
/** Entries a tail read returns at most. */
const TAIL_COUNT = 20;
/** A pending entry idle this long is taken over by XAUTOCLAIM (its consumer is presumed dead). */
const CLAIM_IDLE_MS = 1500;
const READ_SHARE = 0.15;
const CLAIM_SHARE = 0.15;
const BLOCKING_SHARE = 0.3;
const BLOCK_MS = 100;
/** Chance that a consumer dies after taking entries (it never acknowledges them). */
const DEATH_SHARE = 0.03;
/** How long the final drain may take; past it, undelivered entries are reported, not failed. */
const DRAIN_MS = 30_000;
const DRAIN_COUNT = 500;

type Reply = unknown;

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

/** `[[id, [field, value, ...]], ...]` as this workload's entries (one field, `v`). */
function entriesOf(reply: Reply): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  return reply.filter((item): item is [string, string[]] => Array.isArray(item) && Array.isArray(item[1])).map(([id, fields]) => [String(id), String(fields[1])] as const);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class StreamWorkload implements ChaosWorkload {
  readonly records: OpRecord[] = [];
  readonly anomalies: string[] = [];
  readonly #adds: StreamAdd[] = [];
  readonly #reads: StreamRead[] = [];
  readonly #deliveries: StreamDelivery[] = [];
  readonly #acknowledged = new Map<string, string[]>(STREAMS.map((key) => [key, []]));
  readonly #pending = new Map<string, Map<string, string[]>>();
  readonly #finals = new Map<string, Map<string, StreamEntry[]>>();
  #drained = false;
  #values = 0;
  #running = false;
  #workers: Promise<void>[] = [];

  constructor(private readonly cluster: ChaosCluster, private readonly options: WorkloadOptions) {}

  start(): void {
    this.#running = true;
    let process = 0;
    for (let round = 0; round < this.options.clientsPerNode; round++) {
      for (const node of this.cluster.nodes) {
        const producer = process++;
        this.#workers.push(clientLoop(this.cluster, node.id, this.options, () => this.#running, (client) => this.#produce(producer, client, node.id)));
        const consumer = new Consumer(this, process++, node.id);
        this.#workers.push(clientLoop(this.cluster, node.id, this.options, () => this.#running, (client) => consumer.step(client)));
      }
    }
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    await Promise.all(this.#workers);
    this.#workers = [];
    await this.#readPending();
    this.#drained = await this.#drain();
  }

  keysUsed(): string[] {
    return [...STREAMS];
  }

  /** The node's whole stream and its pending IDs, as text for comparing nodes. */
  async finalRead(_process: number, client: Redis, node: string, key: string): Promise<{ outcome: Outcome; value: string | undefined }> {
    try {
      const stream = entriesOf(await client.call('XRANGE', key, '-', '+'));
      const pending = await this.#pendingIds(client, key);
      let perNode = this.#finals.get(key);
      if (perNode === undefined) this.#finals.set(key, (perNode = new Map()));
      perNode.set(node, stream);
      return { outcome: 'ok', value: JSON.stringify({ entries: stream.length, last: stream[stream.length - 1]?.[0] ?? null, pending }) };
    } catch (error) {
      return { outcome: notApplied(errorText(error)) ? 'fail' : 'info', value: undefined };
    }
  }

  check(_timeoutMs: number, enforced: boolean): WorkloadCheck {
    const result = checkStreamHistory({
      adds: this.#adds, reads: this.#reads, deliveries: this.#deliveries, acknowledged: this.#acknowledged,
      pending: this.#pending, finals: this.#finals, drained: this.#drained,
    }, enforced);
    const line = describeStreamResult(result) + (this.#drained ? '' : ' (final drain incomplete)');
    const history = [...this.#adds.map((add) => ({ type: 'xadd', ...add })), ...this.#reads.map((read) => ({ type: 'read', ...read })), ...this.#deliveries.map((d) => ({ type: 'delivery', ...d }))];
    return {
      ops: this.#adds.length + this.#reads.length,
      line,
      problem: result.valid ? null : `stream history invalid:\n${result.problems.join('\n')}`,
      undecided: null,
      violation: result.valid ? null : result.problems.join('\n') + '\n',
      history: history.map((op) => JSON.stringify(op)).join('\n') + '\n',
    };
  }

  /** Sends one command, records it for the timeline; the reply, or the outcome of a failure. */
  async call(client: Redis, node: string, f: OpRecord['f'], args: readonly string[]): Promise<{ ok: true; reply: Reply } | { ok: false; outcome: Outcome }> {
    const callMs = this.cluster.nowMs();
    try {
      const reply = await client.call(...(args as [string, ...string[]]));
      this.records.push({ callMs, retMs: this.cluster.nowMs(), outcome: 'ok', f, node });
      return { ok: true, reply };
    } catch (error) {
      const message = errorText(error);
      const outcome: Outcome = notApplied(message) ? 'fail' : 'info';
      this.records.push({ callMs, retMs: this.cluster.nowMs(), outcome, f, node, error: message.slice(0, 120) });
      return { ok: false, outcome };
    }
  }

  delivered(key: string, consumer: string, entries: readonly StreamEntry[], claimed: boolean): void {
    for (const entry of entries) this.#deliveries.push({ key, consumer, entry, claimed });
  }

  acknowledged(key: string, ids: readonly string[]): void {
    this.#acknowledged.get(key)?.push(...ids);
  }

  async #produce(process: number, client: Redis, node: string): Promise<void> {
    const key = pick(STREAMS);
    if (Math.random() < READ_SHARE) {
      const call = this.cluster.nowMs();
      const result = await this.call(client, node, 'xrevrange', ['XREVRANGE', key, '+', '-', 'COUNT', String(TAIL_COUNT)]);
      if (result.ok) this.#reads.push({ process, key, call, ret: this.cluster.nowMs(), entries: entriesOf(result.reply) });
      return;
    }
    const value = `${process}.${++this.#values}`;
    const call = this.cluster.nowMs();
    const result = await this.call(client, node, 'xadd', ['XADD', key, '*', 'v', value]);
    const ret = this.cluster.nowMs();
    if (result.ok) this.#adds.push({ process, key, value, call, outcome: 'ok', ret, id: String(result.reply) });
    else this.#adds.push({ process, key, value, call, outcome: result.outcome, ret: result.outcome === 'fail' ? ret : null, id: null });
  }

  /** Every member's pending IDs once the clients have stopped (before the drain). */
  async #readPending(): Promise<void> {
    for (const node of this.cluster.members()) {
      const client = this.cluster.client(node.id, 5000);
      try {
        await client.connect();
        for (const key of STREAMS) {
          let perNode = this.#pending.get(key);
          if (perNode === undefined) this.#pending.set(key, (perNode = new Map()));
          perNode.set(node.id, await this.#pendingIds(client, key));
        }
      } catch (error) {
        this.anomalies.push(`pending list on ${node.id} not read: ${errorText(error)}`);
      } finally {
        client.disconnect();
      }
    }
  }

  async #pendingIds(client: Redis, key: string): Promise<string[]> {
    try {
      const reply = await client.call('XPENDING', key, GROUP, '-', '+', '1000000');
      return Array.isArray(reply) ? reply.map((item) => String((item as Reply[])[0])) : [];
    } catch (error) {
      if (/^NOGROUP/.test(errorText(error))) return [];
      throw error;
    }
  }

  /** Takes and acknowledges every entry not yet delivered or still pending; true when nothing was left. */
  async #drain(): Promise<boolean> {
    const deadline = Date.now() + DRAIN_MS;
    const node = this.cluster.members()[0];
    if (node === undefined) return false;
    while (Date.now() < deadline) {
      const client = this.cluster.client(node.id, 5000);
      try {
        await client.connect();
        for (const key of STREAMS) await this.#drainStream(client, key);
        return true;
      } catch {
        await sleep(200);
      } finally {
        client.disconnect();
      }
    }
    return false;
  }

  async #drainStream(client: Redis, key: string): Promise<void> {
    await ensureGroup(client, key);
    for (;;) {
      const read = await client.call('XREADGROUP', 'GROUP', GROUP, 'drainer', 'COUNT', String(DRAIN_COUNT), 'STREAMS', key, '>');
      const entries = Array.isArray(read) ? entriesOf((read[0] as Reply[])[1]) : [];
      if (entries.length === 0) break;
      await this.#take(client, key, entries, false);
    }
    let cursor = '0-0';
    do {
      const reply = await client.call('XAUTOCLAIM', key, GROUP, 'drainer', '0', cursor, 'COUNT', String(DRAIN_COUNT)) as Reply[];
      cursor = String(reply[0]);
      await this.#take(client, key, entriesOf(reply[1]), true);
    } while (cursor !== '0-0');
    const summary = await client.call('XPENDING', key, GROUP) as Reply[];
    if (Number(summary[0]) !== 0) throw new Error(`${key}: ${String(summary[0])} entries still pending after the drain`);
  }

  /**
   * The drainer's delivery and acknowledgement of `entries`. Its acknowledgements are not
   * recorded: the pending lists were read before it ran (it checks its own work by XPENDING).
   */
  async #take(client: Redis, key: string, entries: readonly StreamEntry[], claimed: boolean): Promise<void> {
    this.delivered(key, 'drainer', entries, claimed);
    if (entries.length > 0) await client.call('XACK', key, GROUP, ...entries.map(([id]) => id));
  }
}

/** XGROUP CREATE key g 0 MKSTREAM, an existing group being fine. */
async function ensureGroup(client: Redis, key: string): Promise<void> {
  try {
    await client.call('XGROUP', 'CREATE', key, GROUP, '0', 'MKSTREAM');
  } catch (error) {
    if (!/^BUSYGROUP/.test(errorText(error))) throw error;
  }
}

/** One consumer process: a name per life (a new one after each death or lost connection). */
class Consumer {
  #life = 0;
  #client: Redis | null = null;
  #groupsMade = false;

  constructor(private readonly workload: StreamWorkload, private readonly process: number, private readonly node: string) {}

  get #name(): string {
    return `c${this.process}.${this.#life}`;
  }

  async step(client: Redis): Promise<void> {
    // A new connection is a restarted consumer: what the old one held is left to XAUTOCLAIM.
    if (client !== this.#client) {
      this.#client = client;
      this.#life++;
    }
    if (!this.#groupsMade) {
      try {
        for (const key of STREAMS) await ensureGroup(client, key);
        this.#groupsMade = true;
      } catch {
        return; // tried again next step
      }
    }
    const key = pick(STREAMS);
    const claim = Math.random() < CLAIM_SHARE;
    const taken = claim ? await this.#claim(client, key) : await this.#read(client, key);
    if (taken === null || taken.length === 0) return;
    this.workload.delivered(key, this.#name, taken, claim);
    if (Math.random() < DEATH_SHARE) {
      this.#life++;
      return;
    }
    const ids = taken.map(([id]) => id);
    const acked = await this.workload.call(client, this.node, 'xack', ['XACK', key, GROUP, ...ids]);
    if (acked.ok) this.workload.acknowledged(key, ids);
  }

  async #read(client: Redis, key: string): Promise<StreamEntry[] | null> {
    const block = Math.random() < BLOCKING_SHARE ? ['BLOCK', String(BLOCK_MS)] : [];
    const result = await this.workload.call(client, this.node, 'xreadgroup', ['XREADGROUP', 'GROUP', GROUP, this.#name, 'COUNT', String(TAKE_COUNT), ...block, 'STREAMS', key, '>']);
    if (!result.ok) return null;
    return Array.isArray(result.reply) ? entriesOf((result.reply[0] as Reply[])[1]) : [];
  }

  async #claim(client: Redis, key: string): Promise<StreamEntry[] | null> {
    const result = await this.workload.call(client, this.node, 'xautoclaim', ['XAUTOCLAIM', key, GROUP, this.#name, String(CLAIM_IDLE_MS), '0-0', 'COUNT', String(TAKE_COUNT)]);
    return result.ok && Array.isArray(result.reply) ? entriesOf((result.reply as Reply[])[1]) : null;
  }
}
