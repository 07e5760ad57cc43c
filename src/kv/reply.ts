// The reply a command produces: defined once in src/base/ for every layer.

export type { Reply, ErrorReply } from '../base/reply.js';
export { Latin1Bulk } from '../base/reply.js';
