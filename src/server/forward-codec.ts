// The peer-channel payloads for a write forwarded from a follower to the leader, and the
// leader's answer. The request keeps the follower's request id (client, seq) so that a
// retry after a leader change is deduplicated by the state machine (applied once).

import type { ScriptCall, ScriptCallOutcome } from '../kv/script/call-stats.js';

/** A forwarded write without firstUnanswered (read as firstUnanswered = seq). */
export const FORWARD_WRITE_WITHOUT_FLOOR = 1;
export const FORWARD_WRITE = 3;
/** An admin command (RAFT.NODE …) that only the leader can carry out. */
export const FORWARD_ADMIN = 2;
/** A node's report for the dashboard of another (dashboard-view.ts): JSON both ways. */
export const DASHBOARD_REPORT = 4;

export interface ForwardedWrite {
  /** The request id's origin: the forwarding node and its boot (ids must not repeat across restarts). */
  readonly origin: string;
  readonly client: number;
  readonly seq: number;
  /** The client's lowest write not yet answered (CommandEntry.firstUnanswered). */
  readonly firstUnanswered: number;
  readonly argv: readonly Uint8Array[];
}

/** The reply alone, as older leaders answer (read as an execution time of 0). */
export const FORWARD_REPLY = 0;
export const FORWARD_NODE_ERROR = 1;
/** The reply with the µs the leader's state machine took to apply the write (the follower's slow log). */
export const FORWARD_REPLY_TIMED = 2;
/**
 * FORWARD_REPLY_TIMED with what the scripts the write ran called (INFO commandstats and
 * errorstats of the follower whose client sent it: call-stats.ts), and whether the reply is an
 * error counted already where it arose (Reply's `counted`). Sent only for a write with calls.
 */
export const FORWARD_REPLY_WITH_CALLS = 3;
/** Bytes of FORWARD_REPLY_TIMED's execution time: u32 µs, so at most about 71 minutes. */
const EXECUTION_USEC_BYTES = 4;
const EXECUTION_USEC_MAX = 0xffff_ffff;

export type ForwardAnswer =
  | {
    readonly status: typeof FORWARD_REPLY; readonly resp: Uint8Array; readonly executionUsec?: number;
    readonly calls?: readonly ScriptCall[] | null; readonly replyCounted?: boolean;
  }
  | { readonly status: typeof FORWARD_NODE_ERROR; readonly code: string; readonly message: string };

export function encodeForwardedWrite(write: ForwardedWrite): Buffer {
  const origin = Buffer.from(write.origin, 'utf8');
  if (origin.length > 255) throw new RangeError(`request origin "${write.origin}" is longer than 255 bytes`);
  const out = encodeArgv(FORWARD_WRITE, 25 + origin.length, write.argv);
  out.writeDoubleBE(write.client, 1);
  out.writeDoubleBE(write.seq, 9);
  out.writeDoubleBE(write.firstUnanswered, 17);
  out.writeUInt8(origin.length, 25);
  out.set(origin, 26);
  return out;
}

export function decodeForwardedWrite(payload: Uint8Array): ForwardedWrite | Error {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const kind = buf.length > 0 ? buf.readUInt8(0) : -1;
  if (kind !== FORWARD_WRITE && kind !== FORWARD_WRITE_WITHOUT_FLOOR) return new Error('not a forwarded write');
  const originAt = kind === FORWARD_WRITE ? 25 : 17;
  if (buf.length < originAt + 5) return new Error('forwarded write is truncated');
  const originBytes = buf.readUInt8(originAt);
  if (buf.length < originAt + 5 + originBytes) return new Error('forwarded write is truncated');
  const argv = decodeArgv(buf, originAt + 1 + originBytes, 'forwarded write');
  if (argv instanceof Error) return argv;
  const seq = buf.readDoubleBE(9);
  const firstUnanswered = kind === FORWARD_WRITE ? buf.readDoubleBE(17) : seq;
  if (!(firstUnanswered <= seq)) return new Error(`forwarded write's first unanswered sequence ${firstUnanswered} is above its sequence ${seq}`);
  return { origin: buf.toString('utf8', originAt + 1, originAt + 1 + originBytes), client: buf.readDoubleBE(1), seq, firstUnanswered, argv };
}

export function encodeForwardAnswer(answer: ForwardAnswer): Buffer {
  // Only with calls: a retried write answered from the exactly-once table has none, and so an
  // older follower, which cannot read this form, still gets its reply on a retry.
  if (answer.status === FORWARD_REPLY && (answer.calls ?? null) !== null) {
    const calls = encodeScriptCalls(answer.calls ?? [], answer.replyCounted === true);
    const out = Buffer.allocUnsafe(1 + EXECUTION_USEC_BYTES + 4 + calls.length + answer.resp.length);
    out.writeUInt8(FORWARD_REPLY_WITH_CALLS, 0);
    out.writeUInt32BE(executionUsecField(answer.executionUsec), 1);
    out.writeUInt32BE(calls.length, 1 + EXECUTION_USEC_BYTES);
    out.set(calls, 1 + EXECUTION_USEC_BYTES + 4);
    out.set(answer.resp, 1 + EXECUTION_USEC_BYTES + 4 + calls.length);
    return out;
  }
  if (answer.status === FORWARD_REPLY && answer.executionUsec === undefined) {
    const out = Buffer.allocUnsafe(1 + answer.resp.length);
    out.writeUInt8(FORWARD_REPLY, 0);
    out.set(answer.resp, 1);
    return out;
  }
  if (answer.status === FORWARD_REPLY) {
    const out = Buffer.allocUnsafe(1 + EXECUTION_USEC_BYTES + answer.resp.length);
    out.writeUInt8(FORWARD_REPLY_TIMED, 0);
    out.writeUInt32BE(executionUsecField(answer.executionUsec), 1);
    out.set(answer.resp, 1 + EXECUTION_USEC_BYTES);
    return out;
  }
  const text = Buffer.from(`${answer.code}\n${answer.message}`, 'utf8');
  const out = Buffer.allocUnsafe(1 + text.length);
  out.writeUInt8(FORWARD_NODE_ERROR, 0);
  out.set(text, 1);
  return out;
}

export function decodeForwardAnswer(payload: Uint8Array): ForwardAnswer | Error {
  if (payload.length < 1) return new Error('empty forward answer');
  const status = payload[0];
  const body = payload.subarray(1);
  if (status === FORWARD_REPLY) return { status: FORWARD_REPLY, resp: body, executionUsec: 0 };
  if (status === FORWARD_REPLY_TIMED) {
    if (body.length < EXECUTION_USEC_BYTES) return new Error('forward answer is truncated');
    const executionUsec = Buffer.from(body.buffer, body.byteOffset, EXECUTION_USEC_BYTES).readUInt32BE(0);
    return { status: FORWARD_REPLY, resp: body.subarray(EXECUTION_USEC_BYTES), executionUsec };
  }
  if (status === FORWARD_REPLY_WITH_CALLS) {
    if (body.length < EXECUTION_USEC_BYTES + 4) return new Error('forward answer is truncated');
    const view = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const callsBytes = view.readUInt32BE(EXECUTION_USEC_BYTES);
    const callsAt = EXECUTION_USEC_BYTES + 4;
    if (view.length < callsAt + callsBytes) return new Error('forward answer is truncated');
    const calls = decodeScriptCalls(view.subarray(callsAt, callsAt + callsBytes));
    if (calls instanceof Error) return calls;
    return { status: FORWARD_REPLY, resp: body.subarray(callsAt + callsBytes), executionUsec: view.readUInt32BE(0), calls: calls.calls, replyCounted: calls.replyCounted };
  }
  if (status === FORWARD_NODE_ERROR) {
    const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    const newline = text.indexOf('\n');
    return { status: FORWARD_NODE_ERROR, code: text.slice(0, Math.max(newline, 0)), message: text.slice(newline + 1) };
  }
  return new Error(`unknown forward answer status ${status}`);
}

function executionUsecField(usec: number | undefined): number {
  return Math.min(EXECUTION_USEC_MAX, Math.max(0, Math.round(usec ?? 0)));
}

const CALL_OUTCOMES: readonly ScriptCallOutcome[] = ['ok', 'failed', 'rejected'];
/** A null string's length in the calls' encoding. */
const NO_TEXT = 0xffff_ffff;

/**
 * `flags u8 (1: the reply is counted) | count u32 | count × (outcome u8, usec u32,
 * command: length u32 (NO_TEXT: null) + utf8, error: the same)`.
 */
function encodeScriptCalls(calls: readonly ScriptCall[], replyCounted: boolean): Buffer {
  const texts = calls.map((call) => [call.command, call.error].map((text) => (text === null ? null : Buffer.from(text, 'utf8'))));
  let bytes = 5;
  for (const [command, error] of texts) bytes += 1 + 4 + 4 + (command?.length ?? 0) + 4 + (error?.length ?? 0);
  const out = Buffer.allocUnsafe(bytes);
  let at = out.writeUInt8(replyCounted ? 1 : 0, 0);
  at = out.writeUInt32BE(calls.length, at);
  calls.forEach((call, i) => {
    at = out.writeUInt8(CALL_OUTCOMES.indexOf(call.outcome), at);
    at = out.writeUInt32BE(executionUsecField(call.usec), at);
    for (const text of texts[i] as (Buffer | null)[]) {
      at = out.writeUInt32BE(text === null ? NO_TEXT : text.length, at);
      if (text !== null) at += text.copy(out, at);
    }
  });
  return out;
}

function decodeScriptCalls(buf: Buffer): { calls: ScriptCall[]; replyCounted: boolean } | Error {
  const truncated = new Error('forward answer\'s script calls are truncated');
  if (buf.length < 5) return truncated;
  const count = buf.readUInt32BE(1);
  const calls: ScriptCall[] = [];
  let at = 5;
  const text = (): string | null | Error => {
    if (at + 4 > buf.length) return truncated;
    const length = buf.readUInt32BE(at);
    at += 4;
    if (length === NO_TEXT) return null;
    if (at + length > buf.length) return truncated;
    at += length;
    return buf.toString('utf8', at - length, at);
  };
  for (let i = 0; i < count; i++) {
    if (at + 5 > buf.length) return truncated;
    const outcome = CALL_OUTCOMES[buf.readUInt8(at)];
    if (outcome === undefined) return new Error(`forward answer names an unknown call outcome ${buf.readUInt8(at)}`);
    const usec = buf.readUInt32BE(at + 1);
    at += 5;
    const command = text();
    if (command instanceof Error) return command;
    const error = text();
    if (error instanceof Error) return error;
    calls.push({ command, usec, outcome, error });
  }
  return { calls, replyCounted: (buf.readUInt8(0) & 1) === 1 };
}

export function encodeForwardedAdmin(argv: readonly Uint8Array[]): Buffer {
  return encodeArgv(FORWARD_ADMIN, 0, argv);
}

export function decodeForwardedAdmin(payload: Uint8Array): Uint8Array[] | Error {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (buf.length < 5 || buf.readUInt8(0) !== FORWARD_ADMIN) return new Error('not a forwarded admin command');
  return decodeArgv(buf, 1, 'forwarded admin command');
}

/** `kind u8 | header (headerBytes) | argc u32 | argc × (length u32, bytes)`; the caller fills the header. */
function encodeArgv(kind: number, headerBytes: number, argv: readonly Uint8Array[]): Buffer {
  let bytes = 1 + headerBytes + 4;
  for (const arg of argv) bytes += 4 + arg.length;
  const out = Buffer.allocUnsafe(bytes);
  out.writeUInt8(kind, 0);
  let at = out.writeUInt32BE(argv.length, 1 + headerBytes);
  for (const arg of argv) {
    at = out.writeUInt32BE(arg.length, at);
    out.set(arg, at);
    at += arg.length;
  }
  return out;
}

/** Reads `argc u32 | argc × (length u32, bytes)` from `at` to the end of `buf`; views, no copies. */
function decodeArgv(buf: Buffer, at: number, what: string): Uint8Array[] | Error {
  const argc = buf.readUInt32BE(at);
  if (argc > buf.length) return new Error(`${what} claims ${argc} arguments in ${buf.length} bytes`);
  const argv: Uint8Array[] = [];
  let offset = at + 4;
  for (let i = 0; i < argc; i++) {
    if (offset + 4 > buf.length) return new Error(`${what} is truncated`);
    const length = buf.readUInt32BE(offset);
    offset += 4;
    if (offset + length > buf.length) return new Error(`${what} is truncated`);
    argv.push(buf.subarray(offset, offset + length));
    offset += length;
  }
  return offset === buf.length ? argv : new Error(`${what} has ${buf.length - offset} trailing bytes`);
}
