// The simulator's agenda: events ordered by virtual time, ties broken by the order they were
// scheduled (a sequence number), so the order never depends on anything but the seed.
// A binary min-heap: push and pop are O(log n) with no allocation beyond the event itself.

export interface SimEvent {
  /** Virtual milliseconds. */
  readonly time: number;
  readonly seq: number;
  /** Index of the node whose process runs the event; -1 for the simulator itself. */
  readonly node: number;
  /** A small code naming the kind of event, mixed into the trace hash. */
  readonly kind: EventKind;
  readonly run: () => void;
}

export const enum EventKind {
  Timer = 1,
  Defer = 2,
  Deliver = 3,
  SyncDone = 4,
  Snapshot = 5,
  Client = 6,
  Fault = 7,
  Forward = 8,
}

export const eventKindNames: Readonly<Record<number, string>> = {
  1: 'timer',
  2: 'defer',
  3: 'deliver',
  4: 'sync-done',
  5: 'snapshot',
  6: 'client',
  7: 'fault',
  8: 'forward',
};

export class EventQueue {
  private readonly heap: SimEvent[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(time: number, node: number, kind: EventKind, run: () => void): void {
    if (!Number.isFinite(time)) throw new Error(`EventQueue.push: time ${time} is not finite`);
    const heap = this.heap;
    const event: SimEvent = { time, seq: this.nextSeq++, node, kind, run };
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as SimEvent;
      if (!before(event, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && before(heap[right] as SimEvent, heap[left] as SimEvent)) child = right;
      const c = heap[child] as SimEvent;
      if (!before(c, last)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
