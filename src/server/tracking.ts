// CLIENT TRACKING: Redis 7.0's server-assisted client-side caching, per node. A client that
// turns it on is told when a key it read on this node changes (default mode), or when any key
// under one of its prefixes changes (BCAST), by an `invalidate` push (RESP3) or a message on
// `__redis__:invalidate` to the client it redirects to (RESP2). The changes are the writes
// this node applies, whoever sent them and on whichever node: each node's state machine
// applies every write, expirations and evictions included, in log order, so a client tracking
// on a follower hears of a write made through the leader once the follower has applied it,
// the moment its own reads could see it. Nothing here is replicated.

import type { Reply } from '../kv/reply.js';
import { parseLong } from '../kv/integer-parse.js';
import type { ClientConnection } from '../resp/server.js';

export interface TrackingDeps {
  /** A connected client of this node by id. */
  readonly client: (id: number) => ClientConnection | undefined;
  /** The client of this node whose write is being applied, or 0 (NOLOOP). */
  readonly writer: () => number;
  /** tracking-table-max-keys: keys remembered for default-mode clients (0: no limit). */
  readonly maxKeys: () => number;
  /** Whether the state machine must report changed keys (only while a client tracks). */
  readonly listen: (on: boolean) => void;
}

/** CLIENT TRACKING's options, as parsed. */
export interface TrackingOptions {
  readonly redirect: number;
  readonly bcast: boolean;
  readonly optin: boolean;
  readonly optout: boolean;
  readonly noloop: boolean;
  readonly prefixes: readonly string[];
}

interface Tracker extends TrackingOptions {
  readonly conn: ClientConnection;
  prefixes: string[];
  /** CLIENT CACHING yes|no, for the next command. */
  caching: boolean;
  brokenRedirect: boolean;
}

interface Prefix {
  readonly clients: Set<number>;
  /** Keys changed under the prefix by the writes being applied, each with the client that changed it (0 for none, or several). */
  readonly changed: Map<string, number>;
}

const INVALIDATE_CHANNEL = '__redis__:invalidate';
const bulk = (text: string): Reply => ({ kind: 'bulk', value: Buffer.from(text, 'latin1') });
/** Keys evicted from the tracking table per check while it is over its limit (Redis's starting effort). */
const EVICTION_EFFORT = 100;
/** How often the table's limit is checked: Redis's cron period at its default hz. */
const LIMIT_CHECK_MS = 100;

export class Tracking {
  private readonly trackers = new Map<number, Tracker>();
  /** Default mode: each key read by tracking clients, with their ids (Redis's TrackingTable). */
  private readonly table = new Map<string, Set<number>>();
  private items = 0;
  private readonly prefixes = new Map<string, Prefix>();
  private broadcastScheduled = false;
  /** Checks the table's limit while anyone tracks (Redis does it in its cron). */
  private limitTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: TrackingDeps) {}

  /** CLIENT TRACKING ON with `options`; null, or the error (Redis's checks, in its order). */
  enable(conn: ClientConnection, options: TrackingOptions): string | null {
    const current = this.trackers.get(conn.id);
    if (!options.bcast && options.prefixes.length > 0) return 'ERR PREFIX option requires BCAST mode to be enabled';
    if (current !== undefined && current.bcast !== options.bcast) {
      return 'ERR You can\'t switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.';
    }
    if (options.bcast && (options.optin || options.optout)) return 'ERR OPTIN and OPTOUT are not compatible with BCAST';
    if (options.optin && options.optout) return 'ERR You can\'t specify both OPTIN mode and OPTOUT mode';
    if (current !== undefined && ((options.optin && current.optout) || (options.optout && current.optin))) {
      return 'ERR You can\'t switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.';
    }
    if (options.bcast) {
      const collision = prefixCollision(current?.prefixes ?? [], options.prefixes);
      if (collision !== null) return collision;
    }
    const prefixes = [...(current?.prefixes ?? [])];
    // BCAST with no PREFIX is the empty prefix: every key (Redis adds it whenever none is given).
    const wanted = options.bcast && options.prefixes.length === 0 ? [''] : options.prefixes;
    for (const prefix of wanted) {
      if (prefixes.includes(prefix)) continue;
      prefixes.push(prefix);
      let entry = this.prefixes.get(prefix);
      if (entry === undefined) this.prefixes.set(prefix, entry = { clients: new Set(), changed: new Map() });
      entry.clients.add(conn.id);
    }
    this.trackers.set(conn.id, { ...options, conn, prefixes, caching: false, brokenRedirect: false });
    if (this.limitTimer === null) {
      this.deps.listen(true);
      this.limitTimer = setInterval(() => this.limit(), LIMIT_CHECK_MS);
      this.limitTimer.unref();
    }
    return null;
  }

  /** CLIENT TRACKING OFF, RESET, or the client left. Its keys in the table go when next changed. */
  disable(conn: ClientConnection): void {
    const tracker = this.trackers.get(conn.id);
    if (tracker === undefined) return;
    for (const prefix of tracker.prefixes) {
      const entry = this.prefixes.get(prefix);
      entry?.clients.delete(conn.id);
      if (entry?.clients.size === 0) this.prefixes.delete(prefix);
    }
    this.trackers.delete(conn.id);
    if (this.trackers.size === 0 && this.limitTimer !== null) {
      this.table.clear();
      this.items = 0;
      this.deps.listen(false);
      clearInterval(this.limitTimer);
      this.limitTimer = null;
    }
  }

  /** CLIENT CACHING yes|no; null, or the error. */
  caching(conn: ClientConnection, yes: boolean): string | null {
    const tracker = this.trackers.get(conn.id);
    if (tracker === undefined) return 'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled';
    if (yes && !tracker.optin) return 'ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.';
    if (!yes && !tracker.optout) return 'ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.';
    tracker.caching = true;
    return null;
  }

  /** Whether any client of this node tracks keys. */
  get active(): boolean {
    return this.trackers.size > 0;
  }

  /**
   * A command starts on `conn` (not one queued in MULTI): whether CLIENT CACHING applies to it.
   * The flag lasts for one command, as in Redis; CLIENT's subcommands keep it.
   */
  takeCaching(conn: ClientConnection, name: string): boolean {
    const tracker = this.trackers.get(conn.id);
    if (tracker === undefined || !tracker.caching) return false;
    if (name !== 'client') tracker.caching = false;
    return true;
  }

  /** A read-only command of `conn` ran on `keys`: remember them for a default-mode client. */
  remember(conn: ClientConnection, keys: readonly Uint8Array[], caching: boolean): void {
    const tracker = this.trackers.get(conn.id);
    if (tracker === undefined || tracker.bcast || keys.length === 0) return;
    if ((tracker.optin && !caching) || (tracker.optout && caching)) return;
    for (const key of keys) {
      const text = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
      let ids = this.table.get(text);
      if (ids === undefined) this.table.set(text, ids = new Set());
      if (!ids.has(conn.id)) {
        ids.add(conn.id);
        this.items++;
      }
    }
    this.limit();
  }

  /** A key this node's state machine changed (null: the keyspace was flushed). */
  keyChanged(key: Uint8Array | null): void {
    if (key === null) return this.flushed();
    const text = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
    const writer = this.deps.writer();
    if (this.prefixes.size > 0) this.noteForBroadcast(text, writer);
    const ids = this.table.get(text);
    if (ids === undefined) return;
    this.table.delete(text);
    this.items -= ids.size;
    for (const id of ids) {
      const tracker = this.trackers.get(id);
      if (tracker === undefined || tracker.bcast || (tracker.noloop && id === writer)) continue;
      this.send(tracker, [text]);
    }
  }

  /**
   * Keeps the table within tracking-table-max-keys, invalidating the keys it drops (Redis's
   * trackingLimitUsedSlots): a bounded number at a time, then again on the next check, which
   * the timer makes while anyone tracks (the setting may shrink under a quiet client).
   */
  limit(): void {
    const max = this.deps.maxKeys();
    if (max === 0 || this.table.size <= max) return;
    let effort = EVICTION_EFFORT;
    for (const [text, ids] of this.table) {
      if (this.table.size <= max || effort-- === 0) break;
      this.table.delete(text);
      this.items -= ids.size;
      for (const id of ids) {
        const tracker = this.trackers.get(id);
        if (tracker !== undefined && !tracker.bcast) this.send(tracker, [text]);
      }
    }
  }

  /** CLIENT TRACKINGINFO. */
  info(conn: ClientConnection): Reply {
    const tracker = this.trackers.get(conn.id);
    const flags = tracker === undefined ? ['off'] : ['on', ...([
      [tracker.bcast, 'bcast'], [tracker.optin, 'optin'], [tracker.optin && tracker.caching, 'caching-yes'], [tracker.optout, 'optout'],
      [tracker.optout && tracker.caching, 'caching-no'], [tracker.noloop, 'noloop'], [tracker.brokenRedirect, 'broken_redirect'],
    ] as const).filter(([on]) => on).map(([, name]) => name)];
    return {
      kind: 'map', value: [
        [bulk('flags'), { kind: 'set', value: flags.map(bulk) }],
        [bulk('redirect'), { kind: 'integer', value: tracker === undefined ? -1 : tracker.redirect }],
        [bulk('prefixes'), { kind: 'array', value: (tracker?.prefixes ?? []).map(bulk) }],
      ],
    };
  }

  /** CLIENT GETREDIR: the client invalidations go to, 0 for itself, -1 when not tracking. */
  redirect(conn: ClientConnection): number {
    return this.trackers.get(conn.id)?.redirect ?? -1;
  }

  /** CLIENT LIST's flags for a tracking client: t, and B (BCAST) and R (broken redirect) as Redis shows them. */
  flags(conn: ClientConnection): string {
    const tracker = this.trackers.get(conn.id);
    if (tracker === undefined) return '';
    return `t${tracker.brokenRedirect ? 'R' : ''}${tracker.bcast ? 'B' : ''}`;
  }

  /** INFO's tracking fields. */
  stats(): { readonly clients: number; readonly keys: number; readonly items: number; readonly prefixes: number } {
    // A client that is closing (QUIT, waiting for its peer to close) is gone for Redis already.
    let clients = 0;
    for (const tracker of this.trackers.values()) if (!tracker.conn.closing) clients++;
    return { clients, keys: this.table.size, items: this.items, prefixes: this.prefixes.size };
  }

  private flushed(): void {
    this.table.clear();
    this.items = 0;
    for (const tracker of this.trackers.values()) this.send(tracker, null);
  }

  private noteForBroadcast(text: string, writer: number): void {
    for (const [prefix, entry] of this.prefixes) {
      if (!text.startsWith(prefix)) continue;
      const before = entry.changed.get(text);
      entry.changed.set(text, before === undefined || before === writer ? writer : 0);
    }
    if (this.broadcastScheduled) return;
    this.broadcastScheduled = true;
    // Sent once the writes being applied now are done, before this node reads more input, as
    // Redis sends them before it sleeps: a client's next command cannot overtake them.
    queueMicrotask(() => this.broadcast());
  }

  /** BCAST: the keys the applied writes changed under each prefix, one message per prefix and client. */
  private broadcast(): void {
    this.broadcastScheduled = false;
    for (const entry of this.prefixes.values()) {
      if (entry.changed.size === 0) continue;
      for (const id of entry.clients) {
        const tracker = this.trackers.get(id);
        if (tracker === undefined) continue;
        const keys = [...entry.changed].filter(([, writer]) => !tracker.noloop || writer !== id).map(([text]) => text);
        if (keys.length > 0) this.send(tracker, keys);
      }
      entry.changed.clear();
    }
  }

  /** Redis's sendTrackingMessage: to the client, or to the one it redirects to; null keys for a flush. */
  private send(tracker: Tracker, keys: readonly string[] | null): void {
    let to = tracker.conn;
    if (tracker.redirect !== 0) {
      const redirected = this.deps.client(tracker.redirect);
      if (redirected === undefined || redirected.closing) {
        tracker.brokenRedirect = true;
        if (tracker.conn.protocol >= 3) tracker.conn.push({ kind: 'push', value: [bulk('tracking-redir-broken'), { kind: 'integer', value: tracker.redirect }] });
        return;
      }
      to = redirected;
    }
    const payload: Reply = keys === null ? { kind: 'null' } : { kind: 'array', value: keys.map(bulk) };
    if (to.protocol >= 3) to.push({ kind: 'push', value: [bulk('invalidate'), payload] });
    else if (to !== tracker.conn && subscribed(to)) to.push({ kind: 'push', value: [bulk('message'), bulk(INVALIDATE_CHANNEL), payload] });
    // A RESP2 client with no redirection cannot be sent anything, as in Redis.
  }
}

function subscribed(conn: ClientConnection): boolean {
  const { sub, psub, ssub } = conn.subscriptions;
  return sub + psub + ssub > 0;
}

/** Redis's checkPrefixCollisionsOrReply: no prefix may start another, old or new. */
function prefixCollision(existing: readonly string[], wanted: readonly string[]): string | null {
  for (let i = 0; i < wanted.length; i++) {
    const prefix = wanted[i] as string;
    const old = existing.find((other) => other !== prefix && (other.startsWith(prefix) || prefix.startsWith(other)));
    if (old !== undefined) return `ERR Prefix '${prefix}' overlaps with an existing prefix '${old}'. Prefixes for a single client must not overlap.`;
    const given = wanted.slice(i + 1).find((other) => other.startsWith(prefix) || prefix.startsWith(other));
    if (given !== undefined) return `ERR Prefix '${prefix}' overlaps with another provided prefix '${given}'. Prefixes for a single client must not overlap.`;
  }
  return null;
}

/** CLIENT TRACKING's arguments after ON|OFF, as Redis parses them; the options or the error. */
export function parseTrackingOptions(args: readonly Buffer[], exists: (id: number) => boolean): TrackingOptions | string {
  let redirect = 0;
  let redirectGiven = false;
  const flags = { bcast: false, optin: false, optout: false, noloop: false };
  const prefixes: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const option = args[i]?.toString('latin1').toLowerCase();
    const more = i + 1 < args.length;
    if (option === 'redirect' && more) {
      if (redirectGiven) return 'ERR A client can only redirect to a single other client';
      const id = parseLong(args[++i]);
      if (id === null) return 'ERR value is not an integer or out of range';
      redirect = id;
      redirectGiven = true;
      if (!exists(redirect)) return 'ERR The client ID you want redirect to does not exist';
    } else if (option === 'bcast' || option === 'optin' || option === 'optout' || option === 'noloop') {
      flags[option] = true;
    } else if (option === 'prefix' && more) {
      prefixes.push(args[++i]?.toString('latin1') ?? '');
    } else {
      return 'ERR syntax error';
    }
  }
  return { redirect, ...flags, prefixes };
}
