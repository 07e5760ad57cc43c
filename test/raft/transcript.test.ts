// Golden-file interaction transcripts (test/raft/testdata/*.txt), in the style of etcd-io/raft's
// datadriven tests. Each block is one command line, a "----" line and the expected output; a
// blank line ends the block. Run with RAFTIS_REWRITE=1 to rewrite the expected outputs (then
// read the diff: the transcript is only as good as its review).
//
// Commands:
//   add-nodes n1 n2 n3 [learners=n4,n5] [pre-vote=false] [check-quorum=false] [seed=1]
//   campaign n1 | tick n1 [count] | tick-all [count] | stabilize
//   propose n1 data | propose-conf-change n1 add-voter|add-learner|remove|promote n4
//   read-index n1 context [lease] | transfer n1 n2
//   isolate n1 | partition n1 n2 / n3 | heal | compact n1
//   status n1 | log n1 | applied n1 | read-states n1
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfChangeType, EntryType, MessageType, StateRole, nodeId, type Entry, type Message } from '../../src/raft/types.js';
import { decodeConfChange } from '../../src/raft/conf-change.js';
import { Cluster, bytes, text } from './harness.js';

const TESTDATA = join(import.meta.dirname, 'testdata');
const REWRITE = process.env['RAFTIS_REWRITE'] === '1';

const ROLE_NAMES: Record<StateRole, string> = {
  [StateRole.Follower]: 'follower', [StateRole.PreCandidate]: 'pre-candidate', [StateRole.Candidate]: 'candidate', [StateRole.Leader]: 'leader',
};
const CONF_CHANGES: Record<string, ConfChangeType> = {
  'add-voter': ConfChangeType.AddVoter, 'add-learner': ConfChangeType.AddLearner, remove: ConfChangeType.RemoveNode, promote: ConfChangeType.PromoteLearner,
};
const CONF_CHANGE_NAMES = Object.fromEntries(Object.entries(CONF_CHANGES).map(([k, v]) => [v, k]));

function fmtEntry(e: Entry): string {
  if (e.type === EntryType.ConfChange) {
    const d = decodeConfChange(e.data);
    return `${e.term}/${e.index} conf:${d.ok ? `${CONF_CHANGE_NAMES[d.value.type]} ${d.value.nodeId}` : 'bad'}`;
  }
  return `${e.term}/${e.index} ${e.data.length === 0 ? 'noop' : text(e.data)}`;
}

const MESSAGE_NAMES: Record<MessageType, string> = {
  [MessageType.Append]: 'Append', [MessageType.AppendResponse]: 'AppendResponse', [MessageType.Vote]: 'Vote',
  [MessageType.VoteResponse]: 'VoteResponse', [MessageType.PreVote]: 'PreVote', [MessageType.PreVoteResponse]: 'PreVoteResponse',
  [MessageType.Heartbeat]: 'Heartbeat', [MessageType.HeartbeatResponse]: 'HeartbeatResponse', [MessageType.Snapshot]: 'Snapshot',
  [MessageType.Propose]: 'Propose', [MessageType.ReadIndex]: 'ReadIndex', [MessageType.ReadIndexResponse]: 'ReadIndexResponse',
  [MessageType.TimeoutNow]: 'TimeoutNow',
};

function fmtMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${MESSAGE_NAMES[m.type]} term=${m.term}`;
  switch (m.type) {
    case MessageType.Append:
      return `${head} prev=${m.prevTerm}/${m.prevIndex} commit=${m.commit} entries=[${m.entries.map(fmtEntry).join(', ')}]`;
    case MessageType.AppendResponse:
      return m.reject ? `${head} reject index=${m.index} hint=${m.hintTerm}/${m.hintIndex}` : `${head} index=${m.index}`;
    case MessageType.Vote:
    case MessageType.PreVote:
      return `${head} last=${m.lastTerm}/${m.lastIndex}${m.transfer ? ' transfer' : ''}`;
    case MessageType.VoteResponse:
    case MessageType.PreVoteResponse:
      return `${head}${m.reject ? ' reject' : ''}`;
    case MessageType.Heartbeat:
      return `${head} commit=${m.commit} round=${m.readRound}`;
    case MessageType.HeartbeatResponse:
      return `${head} round=${m.readRound}`;
    case MessageType.Snapshot:
      return `${head} snapshot=${m.snapshot.term}/${m.snapshot.index} voters=${m.snapshot.confState.voters.join(',')}`;
    case MessageType.Propose:
      return `${head} entries=[${m.entries.map(fmtEntry).join(', ')}]`;
    case MessageType.ReadIndex:
      return `${head} context=${text(m.context)}`;
    case MessageType.ReadIndexResponse:
      return `${head} context=${text(m.context)} index=${m.index}${m.reject ? ' reject' : ''}`;
    case MessageType.TimeoutNow:
      return head;
  }
}

class Transcript {
  private cluster: Cluster | null = null;

  private get c(): Cluster {
    if (this.cluster === null) throw new Error('add-nodes first');
    return this.cluster;
  }

  /** Runs `action`, then reports every message delivered meanwhile. */
  private traced(action: () => void): string[] {
    const before = this.c.delivered.length;
    action();
    return this.c.delivered.slice(before).map(fmtMessage);
  }

  run(line: string): string[] {
    const [cmd, ...args] = line.trim().split(/\s+/);
    const arg = (i: number): string => {
      const a = args[i];
      if (a === undefined) throw new Error(`${cmd}: missing argument ${i + 1}`);
      return a;
    };
    const count = (i: number): number => Number(args[i] ?? 1);
    switch (cmd) {
      case 'add-nodes': {
        const voters = args.filter((a) => !a.includes('='));
        const opts = Object.fromEntries(args.filter((a) => a.includes('=')).map((a) => a.split('=') as [string, string]));
        this.cluster = new Cluster(voters, {
          learners: opts['learners']?.split(',') ?? [],
          seed: Number(opts['seed'] ?? 1),
          config: { preVote: opts['pre-vote'] !== 'false', checkQuorum: opts['check-quorum'] !== 'false' },
        });
        return ['ok'];
      }
      case 'campaign':
        this.c.raft(arg(0)).campaignNow();
        return ['ok'];
      case 'tick':
        this.c.tick(arg(0), count(1));
        return ['ok'];
      case 'tick-all':
        return this.traced(() => this.c.tickAll(count(0)));
      case 'stabilize':
        return this.traced(() => this.c.stabilize());
      case 'propose':
        return [JSON.stringify(this.c.propose(arg(0), arg(1)))];
      case 'propose-conf-change': {
        const type = CONF_CHANGES[arg(1)];
        if (type === undefined) throw new Error(`unknown conf change ${arg(1)}`);
        return [JSON.stringify(this.c.raft(arg(0)).proposeConfChange({ type, nodeId: nodeId(arg(2)), context: new Uint8Array() }))];
      }
      case 'read-index':
        return [JSON.stringify(this.c.raft(arg(0)).readIndex(bytes(arg(1)), args[2] === 'lease' ? 'lease' : 'read-index'))];
      case 'transfer':
        this.c.raft(arg(0)).transferLeadership(nodeId(arg(1)));
        return ['ok'];
      case 'isolate':
        this.c.isolate(arg(0));
        return ['ok'];
      case 'partition': {
        const split = args.indexOf('/');
        this.c.partition(args.slice(0, split), args.slice(split + 1));
        return ['ok'];
      }
      case 'heal':
        this.c.heal();
        return ['ok'];
      case 'compact': {
        const meta = this.c.snapshotAndCompact(arg(0));
        return [`snapshot ${meta.term}/${meta.index}`];
      }
      case 'status':
        return this.status(arg(0));
      case 'log':
        return [this.c.get(arg(0)).disk.entries.map(fmtEntry).join(', ') || '(empty)'];
      case 'applied':
        return [this.c.appliedData(arg(0)).join(', ') || '(none)'];
      case 'read-states':
        return this.c.get(arg(0)).readStates.map((r) => `index=${r.index} context=${text(r.context)} clusterTime=${r.clusterTime}`);
      default:
        throw new Error(`unknown command ${cmd}`);
    }
  }

  private status(name: string): string[] {
    const s = this.c.raft(name).status();
    const lines = [
      `${s.id}: ${ROLE_NAMES[s.role]} term=${s.term} vote=${s.vote || '-'} leader=${s.leader || '-'} commit=${s.commit} ` +
      `applied=${s.applied} last=${s.lastIndex} voters=${s.confState.voters.join(',')} learners=${s.confState.learners.join(',') || '-'}` +
      `${s.leaseValid ? ' lease' : ''}${s.transferee ? ` transferee=${s.transferee}` : ''}`,
    ];
    for (const p of s.progress) {
      lines.push(`  ${p.id}: ${p.state} match=${p.match} next=${p.next} inflight=${p.inflight}${p.isLearner ? ' learner' : ''}`);
    }
    return lines;
  }
}

interface Block {
  command: string;
  expected: string[];
}

function parse(source: string): { blocks: Block[]; comments: Map<number, string[]> } {
  const lines = source.split('\n');
  const blocks: Block[] = [];
  const comments = new Map<number, string[]>();
  let i = 0;
  let pending: string[] = [];
  while (i < lines.length) {
    const line = lines[i] as string;
    if (line.trim() === '' || line.startsWith('#')) {
      if (line.startsWith('#')) pending.push(line);
      i++;
      continue;
    }
    comments.set(blocks.length, pending);
    pending = [];
    const command = line;
    i++;
    if (lines[i] !== '----') throw new Error(`line ${i + 1}: expected ---- after "${command}"`);
    i++;
    const expected: string[] = [];
    while (i < lines.length && (lines[i] as string) !== '') expected.push(lines[i++] as string);
    blocks.push({ command, expected });
  }
  return { blocks, comments };
}

for (const file of readdirSync(TESTDATA).filter((f) => f.endsWith('.txt')).sort()) {
  test(`transcript ${file}`, () => {
    const path = join(TESTDATA, file);
    const { blocks, comments } = parse(readFileSync(path, 'utf8'));
    const t = new Transcript();
    const out: string[] = [];
    blocks.forEach((b, n) => {
      const actual = t.run(b.command);
      out.push(...(comments.get(n) ?? []), b.command, '----', ...(actual.length > 0 ? actual : ['(no output)']), '');
      if (!REWRITE) {
        assert.deepEqual(actual.length > 0 ? actual : ['(no output)'], b.expected, `${file}: "${b.command}" (block ${n + 1})`);
      }
    });
    if (REWRITE) writeFileSync(path, out.join('\n'));
  });
}
