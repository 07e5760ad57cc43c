// etcd 3-node cluster for the benchmark: Debian's etcd-server (3.4), default fsync, data in a
// temporary directory, clients and peers on loopback. When etcd is missing and the harness
// runs as root it installs the packages with apt; otherwise etcd is skipped with a reason.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdClient } from '../etcd-client.js';
import { aptInstall } from './apt.js';
import { freePorts, waitUntil } from './ports.js';
import { cpuSecondsOf, spawnLogged, stopGracefully, type Spawned } from './process-group.js';

const READY_TIMEOUT_MS = 30_000;

export function etcdVersion(): string | null {
  try {
    return /etcd Version: (\S+)/.exec(execFileSync('etcd', ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  } catch {
    return null;
  }
}

/** etcd's version, installing it first when possible; otherwise why it is unavailable. */
export function ensureEtcd(): { version: string } | { skipped: string } {
  const found = etcdVersion();
  if (found !== null) return { version: found };
  const failure = aptInstall(['etcd-server', 'etcd-client']);
  if (failure !== null) return { skipped: `etcd is not installed and ${failure}` };
  const installed = etcdVersion();
  return installed === null ? { skipped: 'etcd-server installed but `etcd --version` fails' } : { version: installed };
}

interface EtcdMember { readonly name: string; readonly clientPort: number; readonly process: Spawned }

interface StatusReply { header?: { member_id?: string }; leader?: string }

export class EtcdCluster {
  private constructor(readonly members: EtcdMember[], private readonly root: string) {}

  static async start(size = 3): Promise<EtcdCluster> {
    const root = mkdtempSync(join(tmpdir(), 'etcd-bench-'));
    const ports = await freePorts(size * 2);
    const names = Array.from({ length: size }, (_, i) => `e${i + 1}`);
    const initialCluster = names.map((name, i) => `${name}=http://127.0.0.1:${ports[size + i]!}`).join(',');
    const members = names.map((name, i): EtcdMember => {
      const client = `http://127.0.0.1:${ports[i]!}`;
      const peer = `http://127.0.0.1:${ports[size + i]!}`;
      const args = ['--name', name, '--data-dir', join(root, name),
        '--listen-client-urls', client, '--advertise-client-urls', client,
        '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
        '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', 'bench',
        '--logger', 'zap', '--log-level', 'warn'];
      return { name, clientPort: ports[i]!, process: spawnLogged(`etcd ${name}`, 'etcd', args, join(root, `${name}.log`)) };
    });
    const cluster = new EtcdCluster(members, root);
    try {
      await cluster.leader();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The member that every member names as leader (POST /v3/maintenance/status). */
  leader(): Promise<EtcdMember> {
    return waitUntil('an etcd leader', async () => {
      const ids = new Map<string, EtcdMember>();
      const leaders = new Set<string>();
      for (const member of this.members) {
        const client = new EtcdClient(member.clientPort);
        const { error, body } = await client.call('/v3/maintenance/status', {});
        client.close();
        if (error !== null) return null;
        const status = JSON.parse(body) as StatusReply;
        if (status.header?.member_id === undefined || status.leader === undefined || status.leader === '0') return null;
        ids.set(status.header.member_id, member);
        leaders.add(status.leader);
      }
      const [leader] = [...leaders];
      return leaders.size === 1 && leader !== undefined ? ids.get(leader) ?? null : null;
    }, READY_TIMEOUT_MS, 100);
  }

  /** CPU seconds each member has used (null for one that is not running), in member order. */
  cpuSecondsByNode(): (number | null)[] {
    return cpuSecondsOf(this.members.map((m) => m.process));
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => stopGracefully(m.process)));
    rmSync(this.root, { recursive: true, force: true });
  }
}
