// Packet-level network faults for chaos runs: each node lives in its own Linux network
// namespace, joined to the test's namespace by a veth pair, so node-to-node traffic is
// routed (forwarded) through the test's namespace, where iptables drops it per address
// pair. Clients in the test's namespace reach every node directly, whatever the partition.
// Each cluster owns one iptables chain and namespaces named after the test's pid, so
// cleanup removes exactly what this process (or a dead earlier one) created.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** iptables chain names are limited to 28 characters; ours is the prefix plus pid and index. */
const CHAIN_PREFIX = 'RAFTIS_CHAOS_';
const NETNS_PREFIX = 'raftis-chaos-';
/** The second octet of 10.x.y.z is chosen per cluster in this range, avoiding subnets in use. */
const SUBNET_OCTET_MIN = 64;
const SUBNET_OCTET_MAX = 250;

function run(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryRun(command: string, args: readonly string[]): boolean {
  try {
    run(command, args);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Why packet-level partitions cannot run here, or null when they can. */
export function networkUnavailableReason(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces and iptables need root';
  if (!tryRun('ip', ['-V'])) return 'iproute2 (`ip`) is not installed';
  if (!tryRun('iptables', ['-L', 'FORWARD', '-n'])) return 'iptables is not installed or not usable';
  return null;
}

/** Removes namespaces, links and chains left by chaos processes that are no longer running. */
export function cleanupStale(): void {
  const owners = (name: string, prefix: string): number | null => {
    const match = new RegExp(`^${prefix}(\\d+)[-_]`).exec(name);
    return match === null ? null : Number(match[1]);
  };
  const namespaces = run('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(NETNS_PREFIX));
  for (const ns of namespaces) {
    const pid = owners(ns, NETNS_PREFIX);
    if (pid === null || alive(pid)) continue;
    // Node processes of the dead run still live in its namespace: end exactly those.
    for (const orphan of run('ip', ['netns', 'pids', ns]).split('\n').filter((l) => /^\d+$/.test(l.trim()))) {
      try {
        process.kill(Number(orphan), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    tryRun('ip', ['netns', 'del', ns]);
  }
  const chains = run('iptables', ['-S']).split('\n').filter((l) => l.startsWith(`-N ${CHAIN_PREFIX}`)).map((l) => l.slice(3).trim());
  for (const chain of chains) {
    const pid = owners(chain, CHAIN_PREFIX);
    if (pid !== null && !alive(pid)) removeChain(chain);
  }
}

function removeChain(chain: string): void {
  while (tryRun('iptables', ['-D', 'FORWARD', '-j', chain])) { /* every jump to it */ }
  tryRun('iptables', ['-F', chain]);
  tryRun('iptables', ['-X', chain]);
}

let clustersCreated = 0;

export interface NodeAddress {
  readonly id: string;
  /** The node's own address, inside its namespace. */
  readonly host: string;
  /** The namespace to run the node in (`ip netns exec`). */
  readonly netns: string;
}

export class ChaosNetwork {
  readonly nodes: readonly NodeAddress[];
  private readonly chain: string;
  private readonly hostLinks: readonly string[];
  private readonly blocked = new Set<string>();
  private forwardBefore: string;
  private destroyed = false;

  private constructor(nodes: readonly NodeAddress[], chain: string, hostLinks: readonly string[], forwardBefore: string) {
    this.nodes = nodes;
    this.chain = chain;
    this.hostLinks = hostLinks;
    this.forwardBefore = forwardBefore;
  }

  static create(ids: readonly string[]): ChaosNetwork {
    cleanupStale();
    const index = clustersCreated++;
    const tag = `${process.pid}-${index}`;
    const octet = freeSubnetOctet();
    const forwardBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    const chain = `${CHAIN_PREFIX}${process.pid}_${index}`;
    run('iptables', ['-N', chain]);
    run('iptables', ['-I', 'FORWARD', '1', '-j', chain]);
    const nodes: NodeAddress[] = [];
    const hostLinks: string[] = [];
    const network = new ChaosNetwork(nodes, chain, hostLinks, forwardBefore);
    try {
      ids.forEach((id, i) => {
        const netns = `${NETNS_PREFIX}${tag}-${id}`;
        // Interface names are limited to 15 characters: "rc" + base-36 pid/index + node number.
        const hostLink = `rc${process.pid.toString(36)}${index.toString(36)}h${i}`.slice(0, 15);
        const nodeLink = `rc${process.pid.toString(36)}${index.toString(36)}n${i}`.slice(0, 15);
        const subnet = `10.${octet}.${i + 1}`;
        run('ip', ['netns', 'add', netns]);
        hostLinks.push(hostLink);
        nodes.push({ id, host: `${subnet}.2`, netns });
        run('ip', ['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', nodeLink, 'netns', netns]);
        run('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', hostLink]);
        run('ip', ['link', 'set', hostLink, 'up']);
        run('ip', ['-n', netns, 'addr', 'add', `${subnet}.2/24`, 'dev', nodeLink]);
        run('ip', ['-n', netns, 'link', 'set', nodeLink, 'up']);
        run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
        run('ip', ['-n', netns, 'route', 'add', 'default', 'via', `${subnet}.1`]);
      });
    } catch (error) {
      network.destroy();
      throw error;
    }
    return network;
  }

  host(id: string): string {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id} in the chaos network`);
    return node.host;
  }

  /** Drops every packet from `from` to `to` (one direction). */
  block(from: string, to: string): void {
    const key = `${from}>${to}`;
    if (this.blocked.has(key)) return;
    run('iptables', ['-A', this.chain, '-s', this.host(from), '-d', this.host(to), '-j', 'DROP']);
    this.blocked.add(key);
  }

  /**
   * Cuts both directions between every two nodes in different groups: the groups are the
   * sides. Nodes in no group (spare slots of the membership nemesis) stay connected to all.
   */
  partition(groups: readonly (readonly string[])[]): void {
    this.heal();
    const groupOf = new Map<string, number>();
    groups.forEach((group, g) => group.forEach((id) => groupOf.set(id, g)));
    for (const [a, groupA] of groupOf) {
      for (const [b, groupB] of groupOf) {
        if (groupA !== groupB) this.block(a, b);
      }
    }
  }

  /** Puts `id` on the same side as `like`: it loses every link `like` has lost. */
  sameSideAs(id: string, like: string): void {
    for (const key of [...this.blocked]) {
      const [from, to] = key.split('>') as [string, string];
      if (from === like && to !== id) this.block(id, to);
      if (to === like && from !== id) this.block(from, id);
    }
  }

  /** Cuts exactly the listed links, both ways; everything else connects. */
  cutLinks(links: readonly (readonly [string, string])[]): void {
    this.heal();
    for (const [a, b] of links) {
      this.block(a, b);
      this.block(b, a);
    }
  }

  heal(): void {
    if (this.blocked.size === 0) return;
    run('iptables', ['-F', this.chain]);
    this.blocked.clear();
  }

  describeBlocked(): string {
    return [...this.blocked].sort().join(' ');
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    removeChain(this.chain);
    for (const node of this.nodes) tryRun('ip', ['netns', 'del', node.netns]);
    for (const link of this.hostLinks) tryRun('ip', ['link', 'del', link]);
    const others = run('ip', ['netns', 'list']).split('\n').some((l) => l.startsWith(NETNS_PREFIX));
    if (!others && this.forwardBefore !== '1') tryRun('sysctl', ['-q', '-w', `net.ipv4.ip_forward=${this.forwardBefore}`]);
    this.forwardBefore = '1';
  }
}

function freeSubnetOctet(): number {
  const used = run('ip', ['-o', 'addr']);
  for (let attempt = 0; attempt < 100; attempt++) {
    const octet = SUBNET_OCTET_MIN + Math.floor(Math.random() * (SUBNET_OCTET_MAX - SUBNET_OCTET_MIN + 1));
    if (!used.includes(` 10.${octet}.`)) return octet;
  }
  throw new Error(`no free 10.x.0.0/16 subnet with x in ${SUBNET_OCTET_MIN}..${SUBNET_OCTET_MAX}`);
}
