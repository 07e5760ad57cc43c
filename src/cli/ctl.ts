// `raftis ctl`: the RAFT.* admin commands from the command line, sent to any node
// (followers forward membership changes to the leader).

import { sendCommand } from '../server/resp-client.js';
import { parseHostPort } from '../server/config.js';
import { renderHuman, renderJson } from './ctl-output.js';
import { takeOption, tlsOptions } from './cli-options.js';

const USAGE = `usage: raftis ctl COMMAND [args] [--server host:port] [--json] [--tls --cacert FILE [--cert FILE --key FILE]]
  (default server 127.0.0.1:6379; the TLS options as redis-cli names them; --json prints the reply as JSON)
  nodes                                  members, roles, addresses, match index and lag (a table)
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
  const json = args.includes('--json');
  const words = args.filter((a) => a !== '--learner' && a !== '--json');
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
    process.stdout.write((json ? renderJson(reply) : renderHuman(reply)) + '\n');
    return reply.kind === 'error' ? 1 : 0;
  } catch (error) {
    process.stderr.write(`raftis ctl: ${server}: ${(error as Error).message}\n`);
    return 1;
  }
}
