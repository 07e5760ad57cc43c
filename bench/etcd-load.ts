// etcd's load generator (bench/etcd-load/main.go, on etcd's gRPC API): built once per source and
// Go version with Debian's golang-go against golang-etcd-server-dev's sources in GOPATH mode
// (offline: no module downloads), cached in bench/results/, and the command line of one
// measurement. Without Go the etcd rows are skipped with why: the JSON gateway would measure
// the gateway more than etcd (issue 20).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReadMode } from './load-clients.js';
import type { LoadCommand } from './load-process.js';
import { aptInstall } from './systems/apt.js';

const SOURCE = fileURLToPath(new URL('./etcd-load/main.go', import.meta.url));
/** Where Debian's golang-*-dev packages put their sources. */
const DEBIAN_GOPATH = '/usr/share/gocode';
/** The gRPC stubs the generator imports, as golang-etcd-server-dev installs them. */
const ETCD_STUBS = join(DEBIAN_GOPATH, 'src/go.etcd.io/etcd/etcdserver/etcdserverpb');
export const ETCD_LOAD_PACKAGES = ['golang-go', 'golang-etcd-server-dev'] as const;
const BUILD_DIR = resolve('bench/results');

function goVersion(): string | null {
  try {
    return execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** The Go version when Go and etcd's gRPC stubs are installed; null otherwise. */
export function etcdLoadToolchain(): string | null {
  const version = goVersion();
  return version !== null && existsSync(ETCD_STUBS) ? version : null;
}

/** The generator's binary, building it when this source and Go version have none yet; or why there is none. */
export function ensureEtcdLoad(): { binary: string; go: string } | { skipped: string } {
  let go = etcdLoadToolchain();
  if (go === null) {
    const failure = aptInstall(ETCD_LOAD_PACKAGES);
    go = etcdLoadToolchain();
    if (go === null) return { skipped: `no Go toolchain with etcd's gRPC stubs (${ETCD_STUBS}) for the gRPC load generator, and ${failure ?? 'installing them did not provide it'}` };
  }
  const hash = createHash('sha256').update(readFileSync(SOURCE)).update(go).digest('hex').slice(0, 12);
  const binary = join(BUILD_DIR, `etcd-load-${hash}`);
  if (existsSync(binary)) return { binary, go };
  mkdirSync(BUILD_DIR, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, GO111MODULE: 'off', GOPATH: DEBIAN_GOPATH, GOFLAGS: '', CGO_ENABLED: '0' };
  env.GOCACHE ??= join(tmpdir(), 'raftis-bench-go-cache');
  process.stdout.write(`building the etcd load generator with ${go} into ${binary} (once per source and Go version: about a minute)\n`);
  try {
    execFileSync('go', ['build', '-o', `${binary}.partial`, SOURCE], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? (error instanceof Error ? error.message : String(error));
    return { skipped: `building the gRPC load generator (${SOURCE}) with ${go} failed: ${stderr.trim().slice(0, 500)}` };
  }
  renameSync(`${binary}.partial`, binary);
  return { binary, go };
}

/** One closed-loop measurement of etcd through the generator. */
export function etcdLoadCommand(binary: string, port: number, clients: number, durationMs: number, readFraction: number, readMode: ReadMode | null): LoadCommand {
  return {
    name: 'etcd-load',
    command: binary,
    args: ['-endpoint', `127.0.0.1:${port}`, '-clients', String(clients), '-duration-ms', String(durationMs),
      '-read-fraction', String(readFraction), ...(readMode === 'serializable' ? ['-serializable'] : [])],
  };
}
