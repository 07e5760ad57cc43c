// fast-check generators for every Raft message variant, shared by the transport tests.
import fc from 'fast-check';
import { EntryType, MessageType, logIndex, nodeId, term } from '../../src/raft/types.js';
import type { Entry, Message } from '../../src/raft/types.js';

/** fc.record builds null-prototype objects; decoded messages are plain objects. */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const id = fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme' }).map(nodeId);
const termArb = fc.maxSafeNat().map(term);
const indexArb = fc.maxSafeNat().map(logIndex);
const bytes = fc.uint8Array({ maxLength: 64 });

export const entryArb: fc.Arbitrary<Entry> = rec({
  term: termArb,
  index: indexArb,
  type: fc.constantFrom(EntryType.Normal, EntryType.ConfChange),
  data: bytes,
});

const base = { from: id, to: id, term: termArb };

export const messageArb: fc.Arbitrary<Message> = fc.oneof(
  rec({ type: fc.constant(MessageType.Append as const), ...base, prevIndex: indexArb, prevTerm: termArb, entries: fc.array(entryArb, { maxLength: 8 }), commit: indexArb }),
  rec({ type: fc.constant(MessageType.AppendResponse as const), ...base, reject: fc.boolean(), index: indexArb, hintTerm: termArb, hintIndex: indexArb }),
  rec({ type: fc.constantFrom(MessageType.Vote as const, MessageType.PreVote as const), ...base, lastIndex: indexArb, lastTerm: termArb, transfer: fc.boolean() }),
  rec({ type: fc.constantFrom(MessageType.VoteResponse as const, MessageType.PreVoteResponse as const), ...base, reject: fc.boolean() }),
  rec({ type: fc.constant(MessageType.Heartbeat as const), ...base, commit: indexArb, readRound: fc.maxSafeNat() }),
  rec({ type: fc.constant(MessageType.HeartbeatResponse as const), ...base, readRound: fc.maxSafeNat() }),
  rec({
    type: fc.constant(MessageType.Snapshot as const),
    ...base,
    snapshot: rec({ index: indexArb, term: termArb, confState: rec({ voters: fc.array(id, { maxLength: 5 }), learners: fc.array(id, { maxLength: 3 }) }) }),
  }),
  rec({ type: fc.constant(MessageType.Propose as const), ...base, entries: fc.array(entryArb, { maxLength: 8 }) }),
  rec({ type: fc.constant(MessageType.ReadIndex as const), ...base, context: bytes }),
  rec({ type: fc.constant(MessageType.ReadIndexResponse as const), ...base, context: bytes, index: indexArb, clusterTime: fc.double(), reject: fc.boolean() }),
  rec({ type: fc.constant(MessageType.TimeoutNow as const), ...base }),
);

/** Every message type once, between fixed nodes, for end-to-end delivery tests. */
export function oneOfEach(from: string, to: string, seq: number): Message[] {
  const b = { from: nodeId(from), to: nodeId(to), term: term(seq) };
  const data = (s: string) => new TextEncoder().encode(s);
  return [
    { type: MessageType.Append, ...b, prevIndex: logIndex(seq), prevTerm: term(1), commit: logIndex(2), entries: [{ term: term(1), index: logIndex(seq + 1), type: EntryType.Normal, data: data(`set k${seq}`) }, { term: term(1), index: logIndex(seq + 2), type: EntryType.ConfChange, data: data('cc') }] },
    { type: MessageType.AppendResponse, ...b, reject: true, index: logIndex(seq), hintTerm: term(3), hintIndex: logIndex(4) },
    { type: MessageType.Vote, ...b, lastIndex: logIndex(seq), lastTerm: term(2), transfer: false },
    { type: MessageType.PreVote, ...b, lastIndex: logIndex(seq), lastTerm: term(2), transfer: true },
    { type: MessageType.VoteResponse, ...b, reject: false },
    { type: MessageType.PreVoteResponse, ...b, reject: true },
    { type: MessageType.Heartbeat, ...b, commit: logIndex(seq), readRound: 7 },
    { type: MessageType.HeartbeatResponse, ...b, readRound: 7 },
    { type: MessageType.Snapshot, ...b, snapshot: { index: logIndex(seq), term: term(2), confState: { voters: [nodeId('n1'), nodeId('n2')], learners: [nodeId('n9')] } } },
    { type: MessageType.Propose, ...b, entries: [{ term: term(0), index: logIndex(0), type: EntryType.Normal, data: data('incr x') }] },
    { type: MessageType.ReadIndex, ...b, context: data(`ctx${seq}`) },
    { type: MessageType.ReadIndexResponse, ...b, context: data(`ctx${seq}`), index: logIndex(seq), clusterTime: 1_700_000_000_000 + seq, reject: false },
    { type: MessageType.TimeoutNow, ...b },
  ];
}
