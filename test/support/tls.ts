// Certificates for TLS tests, made once per test process with `raftis dev-certs`'s code
// (the openssl binary): a cluster CA with node certificates n1…n5 and a client certificate,
// and a second, unrelated CA with its own n1…n3 (certificates the cluster must refuse).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDevCerts, type DevCertFiles } from '../../src/cli/dev-certs.js';
import { missingTool } from './redis-server.js';

export interface TestCerts {
  readonly dir: string;
  /** The cluster's CA and certificates. */
  readonly cluster: DevCertFiles;
  /** Another CA's certificates for the same node ids. */
  readonly stranger: DevCertFiles;
}

/** Null when openssl is on PATH; otherwise why TLS tests skip. */
export const missingOpenssl: string | null = missingTool('openssl') === null ? null : 'openssl is not on PATH (apt-get install openssl)';

let made: Promise<TestCerts> | null = null;

export function testCerts(): Promise<TestCerts> {
  made ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftis-certs-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const cluster = await makeDevCerts({ dir: join(dir, 'cluster'), nodes: ['n1', 'n2', 'n3', 'n4', 'n5'] });
    const stranger = await makeDevCerts({ dir: join(dir, 'stranger'), nodes: ['n1', 'n2', 'n3'] });
    return { dir, cluster, stranger };
  })();
  return made;
}

/** Key, certificate and CA contents for a TLS socket or server. */
export function secureContext(files: DevCertFiles, name: string, ca: DevCertFiles = files): { key: Buffer; cert: Buffer; ca: Buffer } {
  const pair = name === 'client' ? files.client : files.node(name);
  return { key: readFileSync(pair.key), cert: readFileSync(pair.cert), ca: readFileSync(ca.caCert) };
}
