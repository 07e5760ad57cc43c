// Membership changes: the compact binary form of a ConfChange (the data of an
// EntryType.ConfChange entry) and the rule that applies one change to a ConfState.
//
// Encoding, version 1 (all integers big-endian):
//   u8 version (=1) | u8 type | u16 nodeId byte length | nodeId UTF-8 | u32 context length | context
// Type 4 (UpdateNode) was added later within version 1: older code refuses it as an unknown
// type, so every node of a cluster must run code that knows it before one is proposed.
import { ConfChangeType, type ConfChange, type ConfState, type NodeId } from './types.js';

const FORMAT_VERSION = 1;
const HEADER_BYTES = 1 + 1 + 2;
const NODE_ID_BYTES_MAX = 0xffff;
const CONTEXT_BYTES_MAX = 0xffff_ffff;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const id = utf8Encoder.encode(cc.nodeId);
  if (id.length === 0 || id.length > NODE_ID_BYTES_MAX) {
    throw new Error(`encodeConfChange: nodeId must be 1..${NODE_ID_BYTES_MAX} UTF-8 bytes (got ${id.length})`);
  }
  if (cc.context.length > CONTEXT_BYTES_MAX) {
    throw new Error(`encodeConfChange: context must be at most ${CONTEXT_BYTES_MAX} bytes (got ${cc.context.length})`);
  }
  const out = new Uint8Array(HEADER_BYTES + id.length + 4 + cc.context.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, FORMAT_VERSION);
  view.setUint8(1, cc.type);
  view.setUint16(2, id.length);
  out.set(id, HEADER_BYTES);
  view.setUint32(HEADER_BYTES + id.length, cc.context.length);
  out.set(cc.context, HEADER_BYTES + id.length + 4);
  return out;
}

export type DecodeConfChangeResult = { ok: true; value: ConfChange } | { ok: false; error: string };

/** Decodes bytes written by encodeConfChange; a malformed input is an error value, not a throw. */
export function decodeConfChange(bytes: Uint8Array): DecodeConfChangeResult {
  if (bytes.length < HEADER_BYTES) return { ok: false, error: `conf change too short: ${bytes.length} bytes` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== FORMAT_VERSION) return { ok: false, error: `conf change version ${version}, expected ${FORMAT_VERSION}` };
  const type = view.getUint8(1);
  if (type > ConfChangeType.UpdateNode) return { ok: false, error: `unknown conf change type ${type}` };
  const idLength = view.getUint16(2);
  const contextAt = HEADER_BYTES + idLength;
  if (idLength === 0 || bytes.length < contextAt + 4) {
    return { ok: false, error: `conf change truncated: nodeId length ${idLength}, total ${bytes.length} bytes` };
  }
  const contextLength = view.getUint32(contextAt);
  if (bytes.length !== contextAt + 4 + contextLength) {
    return { ok: false, error: `conf change length mismatch: context ${contextLength}, total ${bytes.length} bytes` };
  }
  let id: string;
  try {
    id = utf8Decoder.decode(bytes.subarray(HEADER_BYTES, contextAt));
  } catch {
    return { ok: false, error: 'conf change nodeId is not valid UTF-8' };
  }
  const context = bytes.slice(contextAt + 4);
  return { ok: true, value: { type: type as ConfChangeType, nodeId: id as NodeId, context } };
}

/**
 * The configuration after applying `cc` to `cs`. Total and deterministic: a change that does
 * not fit (adding a present voter, promoting a non-learner) leaves the configuration as it is,
 * so every node computes the same result from the same log. Validation against the current
 * configuration happens when the leader accepts the proposal (confChangeProblem).
 */
export function applyConfChange(cs: ConfState, cc: ConfChange): ConfState {
  const voters = cs.voters.filter((v) => v !== cc.nodeId);
  const learners = cs.learners.filter((l) => l !== cc.nodeId);
  const isVoter = voters.length !== cs.voters.length;
  const isLearner = learners.length !== cs.learners.length;
  switch (cc.type) {
    case ConfChangeType.AddVoter:
      return isVoter || isLearner ? cs : { voters: [...cs.voters, cc.nodeId], learners: cs.learners };
    case ConfChangeType.AddLearner:
      return isVoter || isLearner ? cs : { voters: cs.voters, learners: [...cs.learners, cc.nodeId] };
    case ConfChangeType.RemoveNode:
      return { voters, learners };
    case ConfChangeType.PromoteLearner:
      return isLearner ? { voters: [...cs.voters, cc.nodeId], learners } : cs;
    case ConfChangeType.UpdateNode:
      return cs;
  }
}

/** Why the leader must refuse `cc` against `cs`, or null if it is a valid single-server change. */
export function confChangeProblem(cs: ConfState, cc: ConfChange): string | null {
  const isVoter = cs.voters.includes(cc.nodeId);
  const isLearner = cs.learners.includes(cc.nodeId);
  switch (cc.type) {
    case ConfChangeType.AddVoter:
    case ConfChangeType.AddLearner:
      return isVoter || isLearner ? `${cc.nodeId} is already a member` : null;
    case ConfChangeType.RemoveNode:
      if (!isVoter && !isLearner) return `${cc.nodeId} is not a member`;
      return isVoter && cs.voters.length === 1 ? `cannot remove the last voter ${cc.nodeId}` : null;
    case ConfChangeType.PromoteLearner:
      return isLearner ? null : `${cc.nodeId} is not a learner`;
    case ConfChangeType.UpdateNode:
      return isVoter || isLearner ? null : `${cc.nodeId} is not a member`;
  }
}
