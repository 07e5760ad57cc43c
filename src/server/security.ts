// The node's TLS material and credentials, read from the files its settings name and
// checked at start-up (a file that cannot be read, a key that does not match its
// certificate, a cipher list OpenSSL rejects: each a ConfigError naming the setting). One
// secure context serves clients (--tls-port), peers (--tls-cluster, with the CA) and admin
// HTTP (--admin-tls). reloadTls() reads the files again, for certificate rotation without a
// restart (SIGHUP).

import { readFileSync } from 'node:fs';
import { DEFAULT_CIPHERS, createSecureContext, type ConnectionOptions, type SecureContextOptions } from 'node:tls';
import { ConfigError, checkAdminToken, checkClusterSecret, parseTlsProtocols, type ServerConfig } from './config.js';

export interface Security {
  /** Key, certificate, CA, protocol range and ciphers; null when no TLS setting is on. */
  readonly tls: SecureContextOptions | null;
  readonly clusterSecret: Buffer | null;
  readonly adminToken: string | null;
}

export function loadSecurity(config: ServerConfig): Security {
  return { tls: loadTls(config), clusterSecret: loadClusterSecret(config), adminToken: loadAdminToken(config) };
}

/**
 * How a joining node reaches the member named by --join: over TLS when peers use TLS (the
 * cluster is then reached only over TLS), presenting its own certificate as a client.
 */
export function joinTlsOptions(config: ServerConfig, security: Security): ConnectionOptions | null {
  return config.tlsCluster && security.tls !== null ? { ...security.tls } : null;
}

/** Whether any listener or the peer transport uses TLS. */
export function tlsWanted(config: ServerConfig): boolean {
  return config.tlsPort !== 0 || config.tlsCluster || config.adminTls;
}

/** The secure context options from the files, checked by building a context; null when TLS is off. */
export function loadTls(config: ServerConfig): SecureContextOptions | null {
  if (!tlsWanted(config)) return null;
  const cert = readSetting('--tls-cert-file', config.tlsCertFile);
  const key = readSetting('--tls-key-file', config.tlsKeyFile);
  const ca = config.tlsCaCertFile === null ? undefined : readSetting('--tls-ca-cert-file', config.tlsCaCertFile);
  const protocols = parseTlsProtocols(config.tlsProtocols, '--tls-protocols');
  const ciphers = cipherString(config);
  const options: SecureContextOptions = {
    cert,
    key,
    ...(config.tlsKeyFilePass === null ? {} : { passphrase: config.tlsKeyFilePass }),
    ...(ca === undefined ? {} : { ca }),
    minVersion: protocols.min,
    maxVersion: protocols.max,
    ...(ciphers === undefined ? {} : { ciphers }),
  };
  // Each part alone first, so an error names the setting at fault.
  tryContext(`--tls-ca-cert-file ${config.tlsCaCertFile ?? ''}`, ca === undefined ? null : { ca });
  tryContext(`--tls-ciphers/--tls-ciphersuites "${ciphers ?? ''}"`, ciphers === undefined ? null : { ciphers, minVersion: protocols.min, maxVersion: protocols.max });
  tryContext(`--tls-cert-file ${config.tlsCertFile ?? ''} and --tls-key-file ${config.tlsKeyFile ?? ''}`, options);
  return options;
}

function tryContext(what: string, options: SecureContextOptions | null): void {
  if (options === null) return;
  try {
    createSecureContext(options);
  } catch (error) {
    throw new ConfigError(`${what}: ${opensslReason(error)}`);
  }
}

/** OpenSSL's reason ("key values mismatch", "no start line") rather than its error stack. */
function opensslReason(error: unknown): string {
  const reason = (error as { reason?: unknown }).reason;
  if (typeof reason === 'string' && reason !== '') return reason;
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/**
 * Node takes TLSv1.3 suites and older ciphers in one list (suites are the TLS_ names).
 * Redis sets them apart: --tls-ciphers leaves the TLSv1.3 suites at their default and
 * --tls-ciphersuites the older ciphers, so each is completed with the other's default.
 */
function cipherString(config: ServerConfig): string | undefined {
  if (config.tlsCiphers === null && config.tlsCiphersuites === null) return undefined;
  const defaults = DEFAULT_CIPHERS.split(':');
  const split = (text: string) => text.split(':').map((c) => c.trim()).filter((c) => c !== '');
  const suites = config.tlsCiphersuites === null ? defaults.filter((c) => c.startsWith('TLS_')) : split(config.tlsCiphersuites);
  const ciphers = config.tlsCiphers === null ? defaults.filter((c) => !c.startsWith('TLS_')) : split(config.tlsCiphers);
  const misplacedSuite = suites.find((c) => !c.startsWith('TLS_'));
  if (misplacedSuite !== undefined) throw new ConfigError(`--tls-ciphersuites: "${misplacedSuite}" is not a TLSv1.3 suite (those are named TLS_…; older ciphers go in --tls-ciphers)`);
  const misplacedCipher = ciphers.find((c) => c.startsWith('TLS_'));
  if (misplacedCipher !== undefined) throw new ConfigError(`--tls-ciphers: "${misplacedCipher}" is a TLSv1.3 suite; give it in --tls-ciphersuites`);
  return [...suites, ...ciphers].join(':');
}

function readSetting(flag: string, path: string | null): Buffer {
  if (path === null) throw new ConfigError(`${flag} is required here`);
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(`${flag} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** A secret or token file: its content without the line ending an editor adds. */
function readSecretFile(flag: string, path: string): string {
  return readSetting(flag, path).toString('utf8').replace(/\r?\n$/, '');
}

function loadClusterSecret(config: ServerConfig): Buffer | null {
  if (config.clusterSecret !== null) return checkClusterSecret(Buffer.from(config.clusterSecret, 'utf8'), '--cluster-secret');
  if (config.clusterSecretFile === null) return null;
  return checkClusterSecret(Buffer.from(readSecretFile('--cluster-secret-file', config.clusterSecretFile), 'utf8'), `--cluster-secret-file ${config.clusterSecretFile}`);
}

function loadAdminToken(config: ServerConfig): string | null {
  if (config.adminToken !== null) return config.adminToken;
  if (config.adminTokenFile === null) return null;
  return checkAdminToken(readSecretFile('--admin-token-file', config.adminTokenFile), `--admin-token-file ${config.adminTokenFile}`);
}
