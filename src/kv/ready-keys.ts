// Which keys a waiting client on this node could now be served from: node-local and never
// replicated, so it changes no reply and no state. The server registers the keys its
// blocked clients wait on (BLPOP, BZPOPMIN, ...); the keyspace reports every key a list or
// sorted set was stored under as entries apply (created by a push, moved in by RENAME, ...,
// also inside MULTI), and the server takes the reported ones after the applied batch.

export class ReadyKeys {
  /** Keys some client on this node waits on (latin1 map keys), with how many clients. */
  private readonly waited = new Map<string, number>();
  /** Waited keys a collection was stored under since the last take(), in the order reported. */
  private ready = new Set<string>();
  /** Times each waited key was reported (whether or not taken since): tells a report that came during a pop. */
  private readonly reports = new Map<string, number>();
  /** Called when the first key becomes ready after a take(): the server schedules its look. */
  onReady: (() => void) | null = null;

  get waitedKeys(): number {
    return this.waited.size;
  }

  wait(mapKey: string): void {
    this.waited.set(mapKey, (this.waited.get(mapKey) ?? 0) + 1);
  }

  unwait(mapKey: string): void {
    const count = this.waited.get(mapKey) ?? 0;
    if (count <= 0) throw new Error(`ready keys: unwait of a key nobody waits on (${count})`);
    if (count > 1) {
      this.waited.set(mapKey, count - 1);
      return;
    }
    this.waited.delete(mapKey);
    this.ready.delete(mapKey);
    this.reports.delete(mapKey);
  }

  /** How many times `mapKey` was reported while waited on. */
  reportsOf(mapKey: string): number {
    return this.reports.get(mapKey) ?? 0;
  }

  /** A collection was stored under `mapKey` (the keyspace calls this). */
  stored(mapKey: string): void {
    if (!this.waited.has(mapKey)) return;
    this.reports.set(mapKey, (this.reports.get(mapKey) ?? 0) + 1);
    this.mark(mapKey);
  }

  /** Every waited key may have changed (the state was replaced by a snapshot). */
  storedAll(): void {
    for (const mapKey of this.waited.keys()) this.stored(mapKey);
  }

  /** The keys reported since the last take, in report order. */
  take(): string[] {
    const keys = [...this.ready];
    this.ready = new Set();
    return keys;
  }

  private mark(mapKey: string): void {
    const first = this.ready.size === 0;
    this.ready.add(mapKey);
    if (first) this.onReady?.();
  }
}
