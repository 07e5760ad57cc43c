// `raftis dev-certs`: a local certificate authority and certificates for development and
// tests, made with the `openssl` binary (node:crypto can check certificates but not issue
// them, and openssl is on nearly every machine, so no dependency is added). The CA signs
// one certificate per node, whose CN and first DNS name are the node id (what peers check
// against the member id) and whose other names are the hosts clients dial, and one client
// certificate for redis-cli and other clients. An existing CA and existing certificates are
// kept, so nodes added later get certificates of the same CA. Not for production: use
// certificates from your own CA there (README, Security).

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';

/** Validity of what the helper issues. */
export const DEV_CERT_DAYS_DEFAULT = 825;
export const DEV_CERT_DAYS_MAX = 3650;
/** The hosts every node certificate names besides its id, so clients on this machine can verify it. */
export const DEV_CERT_HOSTS_DEFAULT: readonly string[] = ['localhost', '127.0.0.1', '::1'];
export const DEV_CLIENT_NAME = 'client';
const OPENSSL_TIMEOUT_MS = 30_000;
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export interface DevCertOptions {
  readonly dir: string;
  /** Node ids to issue certificates for (CN and first DNS name). */
  readonly nodes: readonly string[];
  /** More names for every node certificate (DNS names or IP addresses). */
  readonly hosts?: readonly string[];
  readonly days?: number;
}

export interface DevCertFiles {
  readonly caCert: string;
  readonly caKey: string;
  readonly node: (id: string) => { readonly cert: string; readonly key: string };
  readonly client: { readonly cert: string; readonly key: string };
  /** What was created now (existing files are kept). */
  readonly created: readonly string[];
}

export function devCertPaths(dir: string): Omit<DevCertFiles, 'created'> {
  const at = resolve(dir);
  const pair = (name: string) => ({ cert: join(at, `${name}.crt`), key: join(at, `${name}.key`) });
  return { caCert: join(at, 'ca.crt'), caKey: join(at, 'ca.key'), node: pair, client: pair(DEV_CLIENT_NAME) };
}

/** Runs openssl; a missing binary becomes an error that says what to do. */
function openssl(args: readonly string[]): Promise<void> {
  return new Promise((resolveRun, reject) => {
    execFile('openssl', args, { timeout: OPENSSL_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (error === null) return resolveRun();
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new Error('the openssl command is not installed (apt-get install openssl, brew install openssl); or bring certificates of your own CA'));
      }
      reject(new Error(`openssl ${args[0] ?? ''} failed: ${stderr.trim() || error.message}`));
    });
  });
}

/** A P-256 key: small, and the fastest handshakes on both sides. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function subjectAltNames(names: readonly string[]): string {
  return names.map((n) => (isIP(n) === 0 ? `DNS:${n}` : `IP:${n}`)).join(',');
}

async function issue(paths: Omit<DevCertFiles, 'created'>, dir: string, name: string, usage: 'node' | 'client', sans: readonly string[], days: number): Promise<void> {
  const { cert, key } = paths.node(name);
  const request = join(dir, `${name}.csr`);
  const extensions = join(dir, `${name}.ext`);
  writeFileSync(extensions, [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${usage === 'node' ? 'serverAuth,clientAuth' : 'clientAuth'}`,
    `subjectAltName=${subjectAltNames(sans)}`,
    '',
  ].join('\n'));
  try {
    await openssl(['req', '-new', ...NEW_KEY, '-keyout', key, '-subj', `/CN=${name}`, '-out', request]);
    chmodSync(key, 0o600);
    await openssl(['x509', '-req', '-in', request, '-CA', paths.caCert, '-CAkey', paths.caKey, '-set_serial', `0x${randomBytes(16).toString('hex')}`,
      '-days', String(days), '-sha256', '-extfile', extensions, '-out', cert]);
  } finally {
    rmSync(request, { force: true });
    rmSync(extensions, { force: true });
  }
}

/** Makes the CA (unless it exists) and the node and client certificates that do not exist yet. */
export async function makeDevCerts(options: DevCertOptions): Promise<DevCertFiles> {
  const days = options.days ?? DEV_CERT_DAYS_DEFAULT;
  if (!Number.isInteger(days) || days < 1 || days > DEV_CERT_DAYS_MAX) throw new RangeError(`days must be a whole number from 1 to ${DEV_CERT_DAYS_MAX}, got ${days}`);
  for (const id of options.nodes) {
    if (!NAME.test(id) || id === DEV_CLIENT_NAME || id === 'ca') throw new RangeError(`invalid node id "${id}" (letters, digits, - and _; not "ca" or "${DEV_CLIENT_NAME}")`);
  }
  const hosts = options.hosts ?? DEV_CERT_HOSTS_DEFAULT;
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const paths = devCertPaths(dir);
  const created: string[] = [];
  if (!existsSync(paths.caCert) || !existsSync(paths.caKey)) {
    await openssl(['req', '-x509', ...NEW_KEY, '-keyout', paths.caKey, '-subj', '/CN=raftis development CA', '-days', String(days), '-sha256',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', paths.caCert]);
    chmodSync(paths.caKey, 0o600);
    created.push(paths.caCert);
  }
  for (const id of options.nodes) {
    if (existsSync(paths.node(id).cert) && existsSync(paths.node(id).key)) continue;
    await issue(paths, dir, id, 'node', [id, ...hosts.filter((h) => h !== id)], days);
    created.push(paths.node(id).cert);
  }
  if (!existsSync(paths.client.cert) || !existsSync(paths.client.key)) {
    await issue(paths, dir, DEV_CLIENT_NAME, 'client', [DEV_CLIENT_NAME], days);
    created.push(paths.client.cert);
  }
  return { ...paths, created };
}

const USAGE = `usage: raftis dev-certs [--dir ./data/tls] [--host NAME]... [--days ${DEV_CERT_DAYS_DEFAULT}] ID...
  Makes a local CA (ca.crt, ca.key) unless DIR has one, a certificate for each node ID
  (ID.crt, ID.key: CN and DNS name ID, plus localhost, 127.0.0.1, ::1 and each --host)
  and a client certificate (client.crt, client.key). For development only.`;

/** `raftis dev-certs`. */
export async function devCertsCommand(argv: readonly string[]): Promise<number> {
  let dir = './data/tls';
  let days = DEV_CERT_DAYS_DEFAULT;
  const hosts: string[] = [...DEV_CERT_HOSTS_DEFAULT];
  const nodes: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (arg.startsWith('--')) {
      const value = argv[++i];
      if (value === undefined) return fail(`${arg}: missing value`);
      if (arg === '--dir') dir = value;
      else if (arg === '--host') hosts.push(value);
      else if (arg === '--days') days = Number(value);
      else return fail(`unknown option ${arg}`);
    } else nodes.push(arg);
  }
  if (nodes.length === 0) return fail('name at least one node id');
  try {
    const files = await makeDevCerts({ dir, nodes, hosts, days });
    process.stdout.write([
      files.created.length === 0 ? `raftis dev-certs: everything already exists in ${resolve(dir)}` : `raftis dev-certs: created ${files.created.join(', ')}`,
      `  CA: ${files.caCert}   client: ${files.client.cert} ${files.client.key}`,
      '',
    ].join('\n'));
    return 0;
  } catch (error) {
    process.stderr.write(`raftis dev-certs: ${(error as Error).message}\n`);
    return error instanceof RangeError ? 64 : 1;
  }
}

function fail(message: string): number {
  process.stderr.write(`raftis dev-certs: ${message}\n${USAGE}\n`);
  return 64;
}
