// `raftis ctl`: the RAFT.* admin commands from the command line, sent to any node
// (followers forward membership changes to the leader).

import { sendCommand } from '../server/resp-client.js';
import { parseHostPort } from '../server/config.js';
import type { RespValue } from '../resp/codec.js';
import { takeOption, tlsOptions } from './cli-options.js';

const USAGE = `usage: raftis ctl COMMAND [args] [--server host:port] [--tls --cacert FILE [--cert FILE --key FILE]]
  (default server 127.0.0.1:6379; the TLS options as redis-cli names them)
  nodes                                  members, roles, addresses, match index and lag
  add ID PEER-HOST:PORT [CLIENT-HOST:PORT] [--learner]
                                         add a node (as a learner, promoted once caught up)
  remove ID                              remove a node
  promote ID                             promote a learner to voter
  update ID PEER-HOST:PORT [CLIENT-HOST:PORT]
                                         record a member's new addresses (after it moved)
  transfer-leader [ID]                   hand leadership to ID (or the best follower)
  info                                   RAFT.INFO of the server
  leader                                 the current leader's id`;

const TIMEOUT_MS = 30_000;

export async function ctlCommand(argv: string[]): Promise<number> {
  const args = [...argv];
  const server = takeOption(args, '--server') ?? '127.0.0.1:6379';
  const tls = tlsOptions(args);
  if (typeof tls === 'string') {
    process.stderr.write(`raftis ctl: ${tls}\n`);
    return 64;
  }
  const learner = args.includes('--learner');
  const words = args.filter((a) => a !== '--learner');
  const [command, ...rest] = words;
  let request: string[];
  switch (command) {
    case 'nodes': request = ['RAFT.NODES']; break;
    case 'add': request = ['RAFT.NODE', 'ADD', ...rest, ...(learner ? ['LEARNER'] : [])]; break;
    case 'remove': request = ['RAFT.NODE', 'REMOVE', ...rest]; break;
    case 'promote': request = ['RAFT.NODE', 'PROMOTE', ...rest]; break;
    case 'update': request = ['RAFT.NODE', 'UPDATE', ...rest]; break;
    case 'transfer-leader': request = ['RAFT.TRANSFER-LEADER', ...rest]; break;
    case 'info': request = ['RAFT.INFO']; break;
    case 'leader': request = ['RAFT.LEADER']; break;
    default:
      process.stderr.write(`${USAGE}\n`);
      return 64;
  }
  let address;
  try {
    address = parseHostPort(server, '--server');
  } catch (error) {
    process.stderr.write(`raftis ctl: ${(error as Error).message}\n`);
    return 64;
  }
  try {
    const reply = await sendCommand(address.host, address.port, request, TIMEOUT_MS, tls);
    process.stdout.write(render(reply) + '\n');
    return reply.kind === 'error' ? 1 : 0;
  } catch (error) {
    process.stderr.write(`raftis ctl: ${server}: ${(error as Error).message}\n`);
    return 1;
  }
}

function render(reply: RespValue): string {
  switch (reply.kind) {
    case 'error': return `(error) ${reply.message}`;
    case 'simple': return reply.value;
    case 'integer': return String(reply.value);
    case 'double': return reply.text ?? String(reply.value);
    case 'bulk': return reply.value === null ? '(nil)' : Buffer.from(reply.value).toString();
    case 'verbatim': return reply.value.trimEnd();
    case 'null': return '(nil)';
    case 'attributed': return render(reply.value);
    case 'map': return reply.value.map(([k, v]) => `${render(k)}=${render(v)}`).join(' ');
    case 'pairs': return reply.value.map(([k, v]) => `${render(k)} ${render(v)}`).join('\n');
    case 'boolean': return reply.value ? '(true)' : '(false)';
    case 'bignum': return reply.value.toString();
    case 'set':
    case 'push': return reply.value.map(render).join('\n');
    case 'array':
      if (reply.value === null) return '(nil)';
      // Rows of field/value pairs (RAFT.NODES over RESP2): one line per row.
      return reply.value.map((row) => (row.kind === 'array' && row.value !== null && row.value.length % 2 === 0 && row.value.length > 0 ? renderPairs(row.value) : render(row))).join('\n');
  }
}

function renderPairs(values: readonly RespValue[]): string {
  const words: string[] = [];
  for (let i = 0; i + 1 < values.length; i += 2) words.push(`${render(values[i] as RespValue)}=${render(values[i + 1] as RespValue)}`);
  return words.join(' ');
}
