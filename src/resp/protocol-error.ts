// The error value a decoder returns for malformed input. An expected failure (a peer sent
// bad bytes), so it is a value, not a thrown exception. `message` is the wire text without
// the "ERR " prefix, exactly as Redis words it where Redis has a word for it.

export type ProtocolErrorCode =
  | 'invalid-multibulk-length'
  | 'invalid-bulk-length'
  | 'expected-bulk-prefix'
  | 'missing-bulk-terminator'
  | 'too-big-inline-request'
  | 'too-big-mbulk-count'
  | 'too-big-bulk-count'
  | 'unbalanced-quotes'
  | 'query-buffer-limit'
  | 'invalid-reply';

export interface ProtocolError {
  readonly kind: 'protocol-error';
  readonly code: ProtocolErrorCode;
  /** e.g. "Protocol error: invalid bulk length"; the server sends "-ERR " + message. */
  readonly message: string;
}

export function protocolError(code: ProtocolErrorCode, message: string): ProtocolError {
  return { kind: 'protocol-error', code, message };
}

export function isProtocolError(value: unknown): value is ProtocolError {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'protocol-error';
}
