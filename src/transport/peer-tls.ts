// Peer TLS with mutual authentication: both sides of every peer connection present a
// certificate signed by the cluster's CA, and each checks that the other's certificate
// names the member id it speaks for (its subject CN or one of its DNS subject alternative
// names), so a node holding a valid certificate for n2 cannot pose as n3. The TLS layer is
// told to accept any certificate and these checks decide instead, so a refusal can be
// logged (and, by the acceptor, sent to the dialer) with its reason.
import { connect, createServer, type PeerCertificate, type SecureContextOptions, type Server, type TLSSocket } from 'node:tls';
import { isIP, type Socket } from 'node:net';

export interface PeerTlsOptions {
  /** This node's key and certificate and the cluster's CA (`ca`), plus optional ciphers and protocol bounds. */
  readonly context: SecureContextOptions;
}

export function validatePeerTls(tls: PeerTlsOptions): void {
  const { key, cert, ca } = tls.context;
  if (key === undefined || cert === undefined || ca === undefined) throw new RangeError('invalid tls: peer TLS needs key, cert and ca (the cluster CA)');
}

/** A TLS server that asks every dialer for a certificate and leaves judging it to the caller. */
export function createPeerTlsServer(tls: PeerTlsOptions, handshakeTimeoutMs: number, onConnection: (socket: TLSSocket) => void): Server {
  return createServer({ ...tls.context, requestCert: true, rejectUnauthorized: false, handshakeTimeout: handshakeTimeoutMs }, onConnection);
}

/** Dials a peer over TLS, presenting this node's certificate; the caller judges the peer's on 'secureConnect'. */
export function dialPeerTls(tls: PeerTlsOptions, host: string, port: number): TLSSocket {
  return connect({ ...tls.context, host, port, rejectUnauthorized: false, ...(isIP(host) === 0 ? { servername: host } : {}) });
}

/** OpenSSL's reason for a failed TLS handshake ("wrong version number", …), on one line. */
export function tlsErrorText(error: Error): string {
  const reason = (error as { reason?: unknown }).reason;
  return typeof reason === 'string' && reason !== '' ? reason : error.message.split('\n')[0] ?? '';
}

export function isTlsSocket(socket: Socket): socket is TLSSocket {
  return (socket as Partial<TLSSocket>).encrypted === true;
}

/** The names a certificate speaks for: its subject CN and DNS subject alternative names. */
export function certificateNames(cert: PeerCertificate): string[] {
  const names: string[] = [];
  const cn: unknown = cert.subject?.CN;
  if (typeof cn === 'string') names.push(cn);
  else if (Array.isArray(cn)) names.push(...cn.filter((n): n is string => typeof n === 'string'));
  for (const entry of (cert.subjectaltname ?? '').split(/,\s*/)) {
    if (!entry.startsWith('DNS:')) continue;
    const value = entry.slice(4);
    // Node quotes a name holding separators; such a name cannot be a member id anyway.
    if (!value.startsWith('"')) names.push(value);
  }
  return [...new Set(names)];
}

/** Null if the peer presented a certificate signed by the cluster CA; else why not. */
export function certificateTrustRefusal(socket: TLSSocket, who: string): string | null {
  const cert = socket.getPeerCertificate();
  if (cert === null || Object.keys(cert).length === 0) return `${who} presented no TLS certificate; every peer must present one signed by the cluster CA`;
  const subject = certificateNames(cert).join(', ') || 'unnamed';
  // Node checks the host dialled only once the chain verified: this refusal is not about the CA.
  if (String(socket.authorizationError) === 'ERR_TLS_CERT_ALTNAME_INVALID') return `${who} presented a certificate of the cluster CA that does not name the host dialled (subject ${subject}): give the certificate that host or address as a name`;
  if (!socket.authorized) return `${who} presented a certificate not signed by the cluster CA (${String(socket.authorizationError)}; subject ${subject})`;
  return null;
}

/** Null if the peer's certificate names `memberId`; else why not. Call after certificateTrustRefusal. */
export function certificateIdentityRefusal(socket: TLSSocket, memberId: string, who: string): string | null {
  const names = certificateNames(socket.getPeerCertificate());
  if (names.includes(memberId)) return null;
  return `${who} speaks for member ${memberId}, but its certificate names ${names.join(', ') || 'nothing'} (its CN or a DNS name must be the member id)`;
}
