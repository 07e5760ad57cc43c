// The peer wire format: every frame is `length u32 | kind u8 | payload`, where `length`
// counts the payload bytes only. This file names the frame kinds, the frame size limit,
// and encodes/decodes the payloads of the control frames (handshake, snapshot streaming,
// application requests). Raft message payloads are codec.ts's business.
import type { Message } from '../raft/types.js';
import {
  MalformedInputError,
  decodeWith,
  shortStringBytes,
  writeShortString,
} from './bytes.js';
import type { DecodeResult } from './bytes.js';
import { encodeMessageInto, messageEncodedBytes } from './codec.js';

export const FRAME_HEADER_BYTES = 5;
/** Default cap on one frame's payload. Append batches larger than this are the core's job to avoid. */
export const FRAME_MAX_BYTES_DEFAULT = 16 * 1024 * 1024;
/** Lowest accepted frameMaxBytes: a frame must at least fit a handshake and a small message. */
export const FRAME_MAX_BYTES_MIN = 1024;
/** Highest accepted frameMaxBytes: the length field is a u32 and one frame is one allocation. */
export const FRAME_MAX_BYTES_LIMIT = 1024 * 1024 * 1024;

/** Bumped on any incompatible change to the frame or message layout. */
export const PROTOCOL_VERSION = 1;
/**
 * The same frames and messages, opened by a handshake that proves the cluster secret
 * (peer-handshake.ts). Only a node with a secret sends it; a node without one still sends
 * version 1, which older nodes read.
 */
export const PROTOCOL_VERSION_AUTH = 2;

export const FrameKind = {
  /** Dialer → acceptor, first frame on a connection. */
  Handshake: 1,
  /** Acceptor → dialer: accepted, or refused with a reason (and then closed). */
  HandshakeReply: 2,
  /** A Raft message (codec.ts). */
  Raft: 3,
  SnapshotBegin: 4,
  SnapshotChunk: 5,
  SnapshotEnd: 6,
  SnapshotAbort: 7,
  /** Receiver → sender: chunks consumed (flow control) and the stream's final status. */
  SnapshotAck: 8,
  Request: 9,
  Response: 10,
  /** Acceptor → dialer, in a version-2 handshake: the acceptor's nonce and its proof of the cluster secret. */
  AuthChallenge: 11,
  /** Dialer → acceptor, in a version-2 handshake: the dialer's proof of the cluster secret. */
  AuthProof: 12,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

const FRAME_KIND_LAST = FrameKind.AuthProof;

export function isFrameKind(kind: number): kind is FrameKind {
  return Number.isInteger(kind) && kind >= FrameKind.Handshake && kind <= FRAME_KIND_LAST;
}

export function validateFrameMaxBytes(frameMaxBytes: number): void {
  if (!Number.isInteger(frameMaxBytes) || frameMaxBytes < FRAME_MAX_BYTES_MIN || frameMaxBytes > FRAME_MAX_BYTES_LIMIT) {
    throw new RangeError(`invalid frameMaxBytes ${frameMaxBytes}: must be an integer in [${FRAME_MAX_BYTES_MIN}, ${FRAME_MAX_BYTES_LIMIT}]`);
  }
}

/** Allocates a frame with its header written; the caller fills `payloadBytes` bytes at offset FRAME_HEADER_BYTES. */
function allocateFrame(kind: FrameKind, payloadBytes: number): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadBytes);
  frame.writeUInt32LE(payloadBytes, 0);
  frame[4] = kind;
  return frame;
}

function assertFilled(frame: Buffer, end: number, kind: FrameKind): Buffer {
  if (end !== frame.byteLength) throw new Error(`frame kind ${kind}: wrote ${end} bytes into a ${frame.byteLength}-byte frame`);
  return frame;
}

/** A frame of any kind around an opaque payload (one copy of the payload). */
export function encodeFrame(kind: FrameKind, payload: Uint8Array): Buffer {
  const frame = allocateFrame(kind, payload.byteLength);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** A Raft message frame: sized first, header and message written into one allocation. */
export function encodeRaftFrame(msg: Message): Buffer {
  const frame = allocateFrame(FrameKind.Raft, messageEncodedBytes(msg));
  return assertFilled(frame, encodeMessageInto(msg, frame, FRAME_HEADER_BYTES), FrameKind.Raft);
}

// --- handshake -------------------------------------------------------------------------

export interface Handshake {
  readonly version: number;
  readonly clusterId: string;
  readonly fromNodeId: string;
  readonly toNodeId: string;
  /** Identifies the sender's data directory; a node whose directory was replaced presents a new one. */
  readonly incarnation: string;
  /** Version 2 only: the dialer's fresh nonce, which the acceptor's proof of the cluster secret must cover. */
  readonly auth?: HandshakeAuth;
}

/** The challenge-response method of a version-2 handshake. */
export const AuthMethod = {
  HmacSha256: 1,
} as const;
export type AuthMethod = (typeof AuthMethod)[keyof typeof AuthMethod];

/** Bytes of every handshake nonce, and of every HMAC-SHA256 proof. */
export const AUTH_NONCE_BYTES = 32;
export const AUTH_MAC_BYTES = 32;

export interface HandshakeAuth {
  readonly method: AuthMethod;
  readonly nonce: Uint8Array;
}

export function encodeHandshakeFrame(h: Handshake): Buffer {
  const authBytes = h.auth === undefined ? 0 : 1 + AUTH_NONCE_BYTES;
  if ((h.auth !== undefined) !== (h.version === PROTOCOL_VERSION_AUTH)) throw new Error(`handshake version ${h.version} ${h.auth === undefined ? 'without' : 'with'} auth fields`);
  if (h.auth !== undefined && h.auth.nonce.byteLength !== AUTH_NONCE_BYTES) throw new Error(`handshake nonce of ${h.auth.nonce.byteLength} bytes, expected ${AUTH_NONCE_BYTES}`);
  const size = 2 + shortStringBytes(h.clusterId) + shortStringBytes(h.fromNodeId) + shortStringBytes(h.toNodeId) + shortStringBytes(h.incarnation) + authBytes;
  const frame = allocateFrame(FrameKind.Handshake, size);
  let at = frame.writeUInt16LE(h.version, FRAME_HEADER_BYTES);
  at = writeShortString(frame, at, h.clusterId);
  at = writeShortString(frame, at, h.fromNodeId);
  at = writeShortString(frame, at, h.toNodeId);
  at = writeShortString(frame, at, h.incarnation);
  if (h.auth !== undefined) {
    frame[at] = h.auth.method;
    frame.set(h.auth.nonce, at + 1);
    at += authBytes;
  }
  return assertFilled(frame, at, FrameKind.Handshake);
}

/**
 * Reads a handshake of any version this node knows the layout of; version 1 has no auth
 * fields, version 2 ends with them. Other versions are returned with their common fields
 * only, so the acceptor can refuse them by name.
 */
export function decodeHandshake(payload: Uint8Array): DecodeResult<Handshake> {
  return decodeWith(payload, (r) => {
    const common = { version: r.u16('version'), clusterId: r.shortString('clusterId'), fromNodeId: r.shortString('fromNodeId'), toNodeId: r.shortString('toNodeId'), incarnation: r.shortString('incarnation') };
    if (common.version !== PROTOCOL_VERSION_AUTH) {
      if (common.version === PROTOCOL_VERSION) r.end('handshake');
      return common;
    }
    const method = r.u8('auth method');
    if (method !== AuthMethod.HmacSha256) throw new MalformedInputError(`unknown handshake auth method ${method}`);
    const nonce = r.rest(AUTH_NONCE_BYTES, 'handshake nonce');
    r.end('handshake');
    return { ...common, auth: { method, nonce } };
  });
}

export interface AuthChallenge {
  readonly nonce: Uint8Array;
  readonly mac: Uint8Array;
}

export function encodeAuthChallengeFrame(challenge: AuthChallenge): Buffer {
  if (challenge.nonce.byteLength !== AUTH_NONCE_BYTES || challenge.mac.byteLength !== AUTH_MAC_BYTES) throw new Error('auth challenge: nonce or mac of the wrong size');
  const frame = allocateFrame(FrameKind.AuthChallenge, AUTH_NONCE_BYTES + AUTH_MAC_BYTES);
  frame.set(challenge.nonce, FRAME_HEADER_BYTES);
  frame.set(challenge.mac, FRAME_HEADER_BYTES + AUTH_NONCE_BYTES);
  return frame;
}

export function decodeAuthChallenge(payload: Uint8Array): DecodeResult<AuthChallenge> {
  return decodeWith(payload, (r) => {
    const challenge = { nonce: r.rest(AUTH_NONCE_BYTES, 'challenge nonce'), mac: r.rest(AUTH_MAC_BYTES, 'challenge mac') };
    r.end('auth challenge');
    return challenge;
  });
}

export function encodeAuthProofFrame(mac: Uint8Array): Buffer {
  if (mac.byteLength !== AUTH_MAC_BYTES) throw new Error(`auth proof of ${mac.byteLength} bytes, expected ${AUTH_MAC_BYTES}`);
  return encodeFrame(FrameKind.AuthProof, mac);
}

export function decodeAuthProof(payload: Uint8Array): DecodeResult<Uint8Array> {
  return decodeWith(payload, (r) => {
    const mac = r.rest(AUTH_MAC_BYTES, 'proof mac');
    r.end('auth proof');
    return mac;
  });
}

/** `reason` is empty when the handshake is accepted. */
export interface HandshakeReply {
  readonly ok: boolean;
  readonly reason: string;
  /** The acceptor's data-directory incarnation, so the dialer can check it too. */
  readonly incarnation: string;
}

/** Refusal reasons are truncated to fit the wire's short string. */
function clipReason(reason: string): string {
  let clipped = reason.slice(0, 200);
  while (Buffer.byteLength(clipped, 'utf8') > 255) clipped = clipped.slice(0, -1);
  return clipped;
}

export function encodeHandshakeReplyFrame(reply: HandshakeReply): Buffer {
  const reason = clipReason(reply.reason);
  const frame = allocateFrame(FrameKind.HandshakeReply, 1 + shortStringBytes(reason) + shortStringBytes(reply.incarnation));
  frame[FRAME_HEADER_BYTES] = reply.ok ? 1 : 0;
  const at = writeShortString(frame, FRAME_HEADER_BYTES + 1, reason);
  return assertFilled(frame, writeShortString(frame, at, reply.incarnation), FrameKind.HandshakeReply);
}

export function decodeHandshakeReply(payload: Uint8Array): DecodeResult<HandshakeReply> {
  return decodeWith(payload, (r) => {
    const reply = { ok: r.bool('ok'), reason: r.shortString('reason'), incarnation: r.shortString('incarnation') };
    r.end('handshake reply');
    return reply;
  });
}

// --- snapshot streaming ----------------------------------------------------------------
// begin(streamId, meta) · chunk(streamId, bytes)* · end(streamId, totalBytes, crc32) or
// abort(streamId, reason); the receiver answers ack(streamId, consumedChunks, status).

export function encodeSnapshotBeginFrame(streamId: number, meta: Uint8Array): Buffer {
  const frame = allocateFrame(FrameKind.SnapshotBegin, 4 + meta.byteLength);
  frame.writeUInt32LE(streamId, FRAME_HEADER_BYTES);
  frame.set(meta, FRAME_HEADER_BYTES + 4);
  return frame;
}

/** Begin and chunk share a layout: stream id, then the rest of the payload. */
export function decodeStreamIdAndBytes(payload: Uint8Array): DecodeResult<{ streamId: number; bytes: Uint8Array }> {
  return decodeWith(payload, (r) => {
    const streamId = r.u32('stream id');
    return { streamId, bytes: r.rest(r.remaining(), 'stream bytes') };
  });
}

export function encodeSnapshotChunkFrame(streamId: number, chunk: Uint8Array): Buffer {
  const frame = allocateFrame(FrameKind.SnapshotChunk, 4 + chunk.byteLength);
  frame.writeUInt32LE(streamId, FRAME_HEADER_BYTES);
  frame.set(chunk, FRAME_HEADER_BYTES + 4);
  return frame;
}

export interface SnapshotEnd {
  readonly streamId: number;
  readonly totalBytes: number;
  readonly crc32: number;
}

export function encodeSnapshotEndFrame(end: SnapshotEnd): Buffer {
  const frame = allocateFrame(FrameKind.SnapshotEnd, 4 + 8 + 4);
  let at = frame.writeUInt32LE(end.streamId, FRAME_HEADER_BYTES);
  at = frame.writeDoubleLE(end.totalBytes, at);
  return assertFilled(frame, frame.writeUInt32LE(end.crc32, at), FrameKind.SnapshotEnd);
}

export function decodeSnapshotEnd(payload: Uint8Array): DecodeResult<SnapshotEnd> {
  return decodeWith(payload, (r) => {
    const end = { streamId: r.u32('stream id'), totalBytes: r.f64('total bytes'), crc32: r.u32('crc32') };
    r.end('snapshot end');
    return end;
  });
}

export interface SnapshotAbort {
  readonly streamId: number;
  readonly reason: string;
}

export function encodeSnapshotAbortFrame(abort: SnapshotAbort): Buffer {
  const reason = clipReason(abort.reason);
  const frame = allocateFrame(FrameKind.SnapshotAbort, 4 + shortStringBytes(reason));
  const at = frame.writeUInt32LE(abort.streamId, FRAME_HEADER_BYTES);
  return assertFilled(frame, writeShortString(frame, at, reason), FrameKind.SnapshotAbort);
}

export function decodeSnapshotAbort(payload: Uint8Array): DecodeResult<SnapshotAbort> {
  return decodeWith(payload, (r) => {
    const abort = { streamId: r.u32('stream id'), reason: r.shortString('reason') };
    r.end('snapshot abort');
    return abort;
  });
}

export const SnapshotAckStatus = {
  /** Chunks consumed; the stream goes on. */
  Progress: 0,
  /** The receiver read the whole stream and its checksum matched. */
  Complete: 1,
  /** The receiver gave up (checksum mismatch, consumer error); the reason says why. */
  Failed: 2,
} as const;
export type SnapshotAckStatus = (typeof SnapshotAckStatus)[keyof typeof SnapshotAckStatus];

export interface SnapshotAck {
  readonly streamId: number;
  readonly consumedChunks: number;
  readonly status: SnapshotAckStatus;
  readonly reason: string;
}

export function encodeSnapshotAckFrame(ack: SnapshotAck): Buffer {
  const reason = clipReason(ack.reason);
  const frame = allocateFrame(FrameKind.SnapshotAck, 4 + 4 + 1 + shortStringBytes(reason));
  let at = frame.writeUInt32LE(ack.streamId, FRAME_HEADER_BYTES);
  at = frame.writeUInt32LE(ack.consumedChunks, at);
  frame[at] = ack.status;
  return assertFilled(frame, writeShortString(frame, at + 1, reason), FrameKind.SnapshotAck);
}

export function decodeSnapshotAck(payload: Uint8Array): DecodeResult<SnapshotAck> {
  return decodeWith(payload, (r) => {
    const streamId = r.u32('stream id');
    const consumedChunks = r.u32('consumed chunks');
    const status = r.u8('status');
    if (status !== SnapshotAckStatus.Progress && status !== SnapshotAckStatus.Complete && status !== SnapshotAckStatus.Failed) {
      throw new MalformedInputError(`unknown snapshot ack status ${status}`);
    }
    const ack = { streamId, consumedChunks, status, reason: r.shortString('reason') };
    r.end('snapshot ack');
    return ack;
  });
}

// --- application request / response ----------------------------------------------------

export function encodeRequestFrame(requestId: number, payload: Uint8Array): Buffer {
  const frame = allocateFrame(FrameKind.Request, 4 + payload.byteLength);
  frame.writeUInt32LE(requestId, FRAME_HEADER_BYTES);
  frame.set(payload, FRAME_HEADER_BYTES + 4);
  return frame;
}

export function decodeRequest(payload: Uint8Array): DecodeResult<{ requestId: number; payload: Uint8Array }> {
  return decodeWith(payload, (r) => {
    const requestId = r.u32('request id');
    return { requestId, payload: r.rest(r.remaining(), 'request payload') };
  });
}

export interface Response {
  readonly requestId: number;
  /** False when the remote handler failed; `payload` is then the UTF-8 error message. */
  readonly ok: boolean;
  readonly payload: Uint8Array;
}

export function encodeResponseFrame(response: Response): Buffer {
  const frame = allocateFrame(FrameKind.Response, 4 + 1 + response.payload.byteLength);
  frame.writeUInt32LE(response.requestId, FRAME_HEADER_BYTES);
  frame[FRAME_HEADER_BYTES + 4] = response.ok ? 1 : 0;
  frame.set(response.payload, FRAME_HEADER_BYTES + 5);
  return frame;
}

export function decodeResponse(payload: Uint8Array): DecodeResult<Response> {
  return decodeWith(payload, (r) => {
    const requestId = r.u32('request id');
    const ok = r.bool('ok');
    return { requestId, ok, payload: r.rest(r.remaining(), 'response payload') };
  });
}
