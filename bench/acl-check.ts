// The cost of the ACL check on SET and GET, in process: what the dispatcher adds per command
// for an unrestricted user (the default user of a cluster without ACLs: one flag read) and
// for a restricted one (`~key:* +@all -@dangerous`: the command's bit, then each key against
// the patterns). Rounds alternate between the two so machine load falls on both alike.
//
//   node --import tsx bench/acl-check.ts [calls per round]

import { KvStateMachine } from '../src/kv/state-machine.js';
import { lookupCommand } from '../src/kv/commands.js';

const callsPerRound = Number(process.argv[2] ?? 1_000_000);
const rounds = 5;
const kv = new KvStateMachine();
kv.acl.apply(['raftis.acl', 'setuser', 'bench', 'on', 'nopass', '~key:*', '+@all', '-@dangerous'].map((part) => Buffer.from(part)));
const users = { unrestricted: kv.acl.get('default'), restricted: kv.acl.get('bench') };
const calls = {
  SET: [Buffer.from('set'), Buffer.from('key:000000012345'), Buffer.from('xxx')],
  GET: [Buffer.from('get'), Buffer.from('key:000000012345')],
};

function nsPerCall(user: NonNullable<typeof users.restricted>, argv: Buffer[]): number {
  const spec = lookupCommand(argv[0] as Buffer);
  if (spec === undefined) throw new Error('no such command');
  let denied = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < callsPerRound; i++) if (kv.acl.check(user, spec, argv) !== null) denied++;
  const elapsed = Number(process.hrtime.bigint() - started);
  if (denied !== 0) throw new Error('a call was denied');
  return elapsed / callsPerRound;
}

const best = new Map<string, number>();
for (let round = 0; round < rounds; round++) {
  for (const [command, argv] of Object.entries(calls)) {
    for (const [kind, user] of Object.entries(users)) {
      if (user === undefined) throw new Error(`no ${kind} user`);
      const ns = nsPerCall(user, argv);
      const key = `${command} ${kind}`;
      best.set(key, Math.min(best.get(key) ?? Infinity, ns));
    }
  }
}
process.stdout.write(`ACL check, best of ${rounds} rounds of ${callsPerRound} calls (load average ${process.platform === 'linux' ? (await import('node:os')).loadavg()[0]?.toFixed(1) : '?'})\n`);
for (const [key, ns] of best) process.stdout.write(`${key.padEnd(20)} ${ns.toFixed(1)} ns/call\n`);
