// Errors the transport reports as values (rejected promises, thrown iterators), with
// stable codes so callers can branch on them without parsing messages.

export type TransportErrorCode =
  | 'RAFTIS_TRANSPORT_STOPPED'
  | 'RAFTIS_TRANSPORT_UNKNOWN_PEER'
  | 'RAFTIS_TRANSPORT_QUEUE_FULL'
  | 'RAFTIS_TRANSPORT_TIMEOUT'
  | 'RAFTIS_TRANSPORT_CONNECTION_LOST'
  | 'RAFTIS_TRANSPORT_UNREACHABLE'
  | 'RAFTIS_TRANSPORT_PARTITIONED'
  | 'RAFTIS_TRANSPORT_REMOTE_ERROR'
  | 'RAFTIS_TRANSPORT_SNAPSHOT_ABORTED'
  | 'RAFTIS_TRANSPORT_SNAPSHOT_CHECKSUM';

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(readonly code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
