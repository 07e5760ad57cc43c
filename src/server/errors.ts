// Maps runtime errors to Redis error replies, in one place.

import type { Reply } from '../kv/reply.js';
import { NodeError } from '../node/errors.js';

/**
 * The cluster cannot serve the start-up a node asked for (a --join that met no leader for
 * --join-wait-ms): the process exits with 69 (EX_UNAVAILABLE), not 78, since nothing in
 * its configuration is wrong and starting it again later may well succeed.
 */
export class ClusterUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterUnavailableError';
  }
}

export function errorReply(message: string): Reply {
  return { kind: 'error', message };
}

/**
 * TRYAGAIN: the request certainly did not take effect and may be sent again.
 * TIMEOUT: the outcome is unknown (it may or may not have been applied).
 */
export function nodeErrorReply(error: NodeError): Reply {
  switch (error.code) {
    case 'NO_LEADER':
      return errorReply('TRYAGAIN no leader');
    case 'NOT_LEADER':
      return errorReply(`TRYAGAIN not the leader${error.leader === '' ? '' : ` (leader is ${error.leader})`}`);
    case 'DROPPED':
    case 'BUSY':
      return errorReply(`TRYAGAIN ${error.message}`);
    case 'TIMEOUT':
      return errorReply(`TIMEOUT ${error.message}`);
    case 'SHUTDOWN':
      return errorReply('SHUTDOWN the node is shutting down; the outcome of this request is unknown');
    case 'INVALID':
      return errorReply(`ERR ${error.message}`);
  }
}

export function unknownError(error: unknown): Reply {
  if (error instanceof NodeError) return nodeErrorReply(error);
  return errorReply(`ERR ${error instanceof Error ? error.message : String(error)}`);
}
