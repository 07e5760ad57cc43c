// The handshake that opens every peer connection, one class per side. The dialer sends a
// hello (cluster id, its node id, the node id it means to reach, its data-directory
// incarnation); the acceptor checks it and answers with a reply (accepted, or refused with a
// reason, after which it closes). With a cluster secret both sides also prove they hold it,
// by challenge-response over fresh nonces from both sides, so the secret never crosses
// the wire:
//
//   dialer → hello v2 (…, nonce D)
//   acceptor → challenge (nonce A, HMAC(secret, acceptor label | hello | A))
//   dialer checks it, → proof (HMAC(secret, dialer label | hello | A))
//   acceptor checks it, → reply
//
// The dialer checks the acceptor's proof before it answers with its own, so neither side
// ever computes a proof over a challenge an unproven party chose: a stray process learns
// nothing it can replay. The proofs authenticate the connection's opening, not the bytes
// that follow: TLS (peer-tls.ts) protects the stream itself.
// Both classes only decide; PeerTransport owns the sockets and does what they answer.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NodeId } from '../raft/types.js';
import {
  AUTH_MAC_BYTES,
  AUTH_NONCE_BYTES,
  AuthMethod,
  FRAME_HEADER_BYTES,
  FrameKind,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_AUTH,
  decodeAuthChallenge,
  decodeAuthProof,
  decodeHandshake,
  decodeHandshakeReply,
  encodeAuthChallengeFrame,
  encodeAuthProofFrame,
  encodeHandshakeFrame,
  encodeHandshakeReplyFrame,
  type Handshake,
} from './frame.js';

/** Shortest cluster secret accepted: a captured handshake allows guessing a weak one offline. */
export const CLUSTER_SECRET_BYTES_MIN = 16;
/** Longest cluster secret accepted (it is an HMAC key; longer ones are hashed down anyway). */
export const CLUSTER_SECRET_BYTES_MAX = 4096;

/** Who this node is in handshakes. */
export interface HandshakeSelf {
  readonly clusterId: string;
  readonly nodeId: string;
  readonly incarnation: string;
  /** The cluster secret both sides must prove, or null for none. */
  readonly secret: Uint8Array | null;
}

/** The owner's check of a peer's incarnation: null accepts, a string refuses with that reason. */
export type PeerVerifier = (id: NodeId, incarnation: string) => string | null;

export function validateClusterSecret(secret: Uint8Array | null): void {
  if (secret === null) return;
  if (secret.byteLength < CLUSTER_SECRET_BYTES_MIN || secret.byteLength > CLUSTER_SECRET_BYTES_MAX) {
    throw new RangeError(`invalid clusterSecret: ${secret.byteLength} bytes, must be ${CLUSTER_SECRET_BYTES_MIN} to ${CLUSTER_SECRET_BYTES_MAX}`);
  }
}

const ACCEPTOR_LABEL = Buffer.from('raftis peer handshake v2: acceptor proof\0');
const DIALER_LABEL = Buffer.from('raftis peer handshake v2: dialer proof\0');

/** A proof: the HMAC-SHA256 of the side's label, the hello exactly as sent, and the acceptor's nonce. */
export function handshakeProof(secret: Uint8Array, side: 'acceptor' | 'dialer', hello: Uint8Array, acceptorNonce: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(side === 'acceptor' ? ACCEPTOR_LABEL : DIALER_LABEL).update(hello).update(acceptorNonce).digest();
}

function proofMatches(expected: Buffer, received: Uint8Array): boolean {
  return received.byteLength === AUTH_MAC_BYTES && timingSafeEqual(expected, received);
}

export type DialerStep =
  /** Write this frame and wait for the next. */
  | { readonly kind: 'send'; readonly frame: Buffer }
  /** The connection is open for frames. */
  | { readonly kind: 'ready' }
  /** The acceptor refused us, with its reason. */
  | { readonly kind: 'refused'; readonly reason: string }
  /** We refuse the acceptor. */
  | { readonly kind: 'reject'; readonly reason: string }
  /** The acceptor does not speak the protocol. */
  | { readonly kind: 'malformed'; readonly reason: string };

/** The dialer's side of one connection's handshake. */
export class DialerHandshake {
  private readonly hello: Buffer;
  private state: 'hello-sent' | 'proof-sent' | 'done' = 'hello-sent';

  constructor(
    private readonly self: HandshakeSelf,
    private readonly peer: NodeId,
    private readonly verifyPeer: PeerVerifier | undefined,
    random: (bytes: number) => Uint8Array = randomBytes,
  ) {
    const handshake: Handshake = self.secret === null
      ? { version: PROTOCOL_VERSION, clusterId: self.clusterId, fromNodeId: self.nodeId, toNodeId: peer, incarnation: self.incarnation }
      : { version: PROTOCOL_VERSION_AUTH, clusterId: self.clusterId, fromNodeId: self.nodeId, toNodeId: peer, incarnation: self.incarnation, auth: { method: AuthMethod.HmacSha256, nonce: random(AUTH_NONCE_BYTES) } };
    this.hello = encodeHandshakeFrame(handshake);
  }

  /** The first frame on the connection. */
  helloFrame(): Buffer {
    return this.hello;
  }

  onFrame(kind: number, payload: Uint8Array): DialerStep {
    const secret = this.self.secret;
    if (this.state === 'hello-sent' && kind === FrameKind.AuthChallenge && secret !== null) {
      const challenge = decodeAuthChallenge(payload);
      if (!challenge.ok) return { kind: 'malformed', reason: `malformed auth challenge: ${challenge.error}` };
      const hello = this.hello.subarray(FRAME_HEADER_BYTES);
      if (!proofMatches(handshakeProof(secret, 'acceptor', hello, challenge.value.nonce), challenge.value.mac)) {
        this.state = 'done';
        return { kind: 'reject', reason: `peer ${this.peer} failed the cluster-secret challenge (it has a different cluster secret)` };
      }
      this.state = 'proof-sent';
      return { kind: 'send', frame: encodeAuthProofFrame(handshakeProof(secret, 'dialer', hello, challenge.value.nonce)) };
    }
    if (this.state === 'done' || kind !== FrameKind.HandshakeReply) return { kind: 'malformed', reason: `expected a handshake reply, got frame kind ${kind}` };
    const reply = decodeHandshakeReply(payload);
    if (!reply.ok) return { kind: 'malformed', reason: `malformed handshake reply: ${reply.error}` };
    const proven = this.state === 'proof-sent';
    this.state = 'done';
    if (!reply.value.ok) return { kind: 'refused', reason: reply.value.reason };
    if (secret !== null && !proven) return { kind: 'reject', reason: `peer ${this.peer} accepted us without proving the cluster secret (it has none configured)` };
    const refusal = this.verifyPeer?.(this.peer, reply.value.incarnation) ?? null;
    return refusal === null ? { kind: 'ready' } : { kind: 'reject', reason: refusal };
  }
}

export type AcceptorStep =
  /** Write this frame and wait for the next. */
  | { readonly kind: 'send'; readonly frame: Buffer }
  /** The peer is `peer`: write the frame (the acceptance) and open the connection for frames. */
  | { readonly kind: 'accept'; readonly peer: NodeId; readonly frame: Buffer }
  /** Refuse the dialer with this reason (logged, sent to it, then the connection closes). */
  | { readonly kind: 'refuse'; readonly reason: string }
  /** The dialer does not speak the protocol: close without an answer. */
  | { readonly kind: 'malformed'; readonly reason: string };

export interface AcceptorChecks {
  readonly verifyPeer?: PeerVerifier | undefined;
  /** With TLS: null if the dialer's certificate names the member id it claims, else why not. */
  readonly certificateRefusal?: ((claimedId: string) => string | null) | undefined;
}

/** The acceptor's side of one connection's handshake. */
export class AcceptorHandshake {
  private state: 'await-hello' | 'await-proof' | 'done' = 'await-hello';
  /** The hello's payload and the nonce we challenged it with, while waiting for the proof. */
  private pending: { readonly hello: Uint8Array; readonly handshake: Handshake; readonly nonce: Uint8Array } | null = null;

  constructor(
    private readonly self: HandshakeSelf,
    private readonly remote: string,
    private readonly checks: AcceptorChecks,
    private readonly random: (bytes: number) => Uint8Array = randomBytes,
  ) {}

  /** The dialer that hangs up now has seen our challenge and not answered it: likely another secret. */
  hangUpReason(): string | null {
    const pending = this.pending;
    if (this.state !== 'await-proof' || pending === null) return null;
    return `peer ${this.remote} (${pending.handshake.fromNodeId}) hung up instead of answering the cluster-secret challenge (it may have a different cluster secret)`;
  }

  onFrame(kind: number, payload: Uint8Array): AcceptorStep {
    if (this.state === 'await-hello') return this.onHello(kind, payload);
    if (this.state === 'await-proof') return this.onProof(kind, payload);
    return { kind: 'malformed', reason: `frame kind ${kind} after the handshake ended` };
  }

  private onHello(kind: number, payload: Uint8Array): AcceptorStep {
    if (kind !== FrameKind.Handshake) return { kind: 'malformed', reason: `expected a handshake, got frame kind ${kind}` };
    const decoded = decodeHandshake(payload);
    if (!decoded.ok) return { kind: 'malformed', reason: `malformed handshake: ${decoded.error}` };
    const h = decoded.value;
    const who = `peer ${this.remote} (${h.fromNodeId})`;
    const refusal = this.helloRefusal(h, who);
    if (refusal !== null) return this.refuse(refusal);
    const secret = this.self.secret;
    if (secret === null) return this.finish(h);
    // Copied: the payload may be a view of a socket read buffer.
    const hello = Uint8Array.from(payload);
    const nonce = this.random(AUTH_NONCE_BYTES);
    this.pending = { hello, handshake: h, nonce };
    this.state = 'await-proof';
    return { kind: 'send', frame: encodeAuthChallengeFrame({ nonce, mac: handshakeProof(secret, 'acceptor', hello, nonce) }) };
  }

  /** The checks a hello must pass before any secret is proven. */
  private helloRefusal(h: Handshake, who: string): string | null {
    if (h.version !== PROTOCOL_VERSION && h.version !== PROTOCOL_VERSION_AUTH) return `${who} speaks protocol version ${h.version}, we speak ${PROTOCOL_VERSION} and ${PROTOCOL_VERSION_AUTH}`;
    if (h.clusterId !== this.self.clusterId) return `${who} claims cluster ${h.clusterId}, we are ${this.self.clusterId}`;
    if (h.toNodeId !== this.self.nodeId) return `${who} dialed node ${h.toNodeId}, we are ${this.self.nodeId}`;
    if (h.fromNodeId.length === 0) return `peer ${this.remote} sent an empty node id`;
    const certificate = this.checks.certificateRefusal?.(h.fromNodeId) ?? null;
    if (certificate !== null) return certificate;
    if (this.self.secret !== null && h.auth === undefined) return `${who} did not offer the cluster secret (it has none configured); this node requires it`;
    if (this.self.secret === null && h.auth !== undefined) return `${who} offers a cluster secret, but this node has none configured (every node needs the same one)`;
    return null;
  }

  private onProof(kind: number, payload: Uint8Array): AcceptorStep {
    const pending = this.pending;
    const secret = this.self.secret;
    if (pending === null || secret === null) throw new Error('AcceptorHandshake: awaiting a proof without a challenge');
    if (kind !== FrameKind.AuthProof) return { kind: 'malformed', reason: `expected an auth proof, got frame kind ${kind}` };
    const proof = decodeAuthProof(payload);
    if (!proof.ok) return { kind: 'malformed', reason: `malformed auth proof: ${proof.error}` };
    this.pending = null;
    if (!proofMatches(handshakeProof(secret, 'dialer', pending.hello, pending.nonce), proof.value)) {
      return this.refuse(`peer ${this.remote} (${pending.handshake.fromNodeId}) failed the cluster-secret challenge (it has a different cluster secret)`);
    }
    return this.finish(pending.handshake);
  }

  /** The owner's incarnation check comes last: nothing is recorded for a peer that has not proven itself. */
  private finish(h: Handshake): AcceptorStep {
    const refusal = this.checks.verifyPeer?.(h.fromNodeId as NodeId, h.incarnation) ?? null;
    if (refusal !== null) return this.refuse(refusal);
    this.state = 'done';
    return { kind: 'accept', peer: h.fromNodeId as NodeId, frame: encodeHandshakeReplyFrame({ ok: true, reason: '', incarnation: this.self.incarnation }) };
  }

  private refuse(reason: string): AcceptorStep {
    this.state = 'done';
    return { kind: 'refuse', reason };
  }
}
