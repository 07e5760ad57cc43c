// `raftis server` configuration as an operator meets it: invalid settings from flags, the
// environment or a config file stop the process with exit code 78 (EX_CONFIG) and a message
// naming the setting; --help lists every setting; a restart needs no --id or
// --initial-cluster (the identity is in the data directory), and a wrong --id is refused.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SETTINGS } from '../../src/server/config.js';
import { freePort } from '../support/cluster.js';
import { portFree } from '../support/ports.js';
import { RawConnection } from '../support/raw-resp.js';
import { missingOpenssl, testCerts } from '../support/tls.js';
import { waitFor } from '../support/wait.js';

const MAIN = resolve('dist/src/cli/main.js');
const EX_CONFIG = 78;
const EXIT_TIMEOUT_MS = 30_000;

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment without any RAFTIS_* variable of the test runner's own. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('RAFTIS_')) env[key] = value;
  return { ...env, ...extra };
}

interface Started {
  readonly exited: Promise<Run>;
  kill(signal: NodeJS.Signals): void;
}

function start(args: readonly string[], env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, [MAIN, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<Run>((resolveRun, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`raftis ${args.join(' ')} did not exit within ${EXIT_TIMEOUT_MS} ms; stderr: ${stderr}`));
    }, EXIT_TIMEOUT_MS);
    // 'close', not 'exit': the child's output may still be in the pipes when it exits.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
  return { exited, kill: (signal) => child.kill(signal) };
}

function run(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return start(args, env).exited;
}

async function ping(port: number): Promise<boolean> {
  try {
    const connection = await RawConnection.open(port);
    const reply = await connection.call('PING');
    connection.close();
    return reply === 'PONG';
  } catch {
    return false;
  }
}

describe('raftis server configuration', () => {
  let root: string;
  let configFile: string;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'raftis-config-'));
    configFile = join(root, 'bad.json');
    writeFileSync(configFile, JSON.stringify({ tickMs: 50, noSuchSetting: 1 }));
  });

  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const invalid: { name: string; args: string[]; env?: Record<string, string>; message: RegExp }[] = [
    { name: 'a port out of range', args: ['--listen', '127.0.0.1:99999'], message: /--listen: port 99999 is out of range/ },
    { name: 'an address with no port', args: ['--listen', 'localhost'], message: /--listen: expected host:port/ },
    { name: 'an unknown flag', args: ['--no-such-flag', '1'], message: /unknown setting --no-such-flag/ },
    { name: 'an idle shrink sooner than V8 measures a quiet young generation', args: ['--idle-gc-shrink-ms', '5999'], message: /idle-gc-shrink-ms \(5999\) must be 0 \(never\) or at least 6000/ },
    { name: 'heartbeat not below election', args: ['--heartbeat-ticks', '10', '--election-ticks', '10'], message: /heartbeat-ticks \(10\) must be below election-ticks \(10\)/ },
    { name: 'a bad read consistency', args: ['--read-consistency', 'eventual'], message: /--read-consistency: "eventual" is not one of linearizable, lease, stale/ },
    { name: 'a bad size', args: ['--maxmemory', '12xb'], message: /--maxmemory: expected a size .* got "12xb"/ },
    { name: 'a number below its minimum', args: ['--tick-ms', '0'], message: /--tick-ms: 0 is below the minimum 1/ },
    { name: 'a bad environment variable', args: [], env: { RAFTIS_TICK_MS: 'abc' }, message: /RAFTIS_TICK_MS: expected a whole number, got "abc"/ },
    { name: 'a flag missing its value', args: ['--tick-ms'], message: /--tick-ms: missing value/ },
    { name: 'an invalid node id', args: ['--id', 'bad id!'], message: /invalid node id "bad id!"/ },
    { name: 'an admin address equal to the client address', args: ['--listen', '127.0.0.1:7001', '--admin-listen', '127.0.0.1:7001'], message: /--admin-listen 127\.0\.0\.1:7001 is the same address as --listen/ },
    { name: 'an initial cluster without this node', args: ['--initial-cluster', 'n2=127.0.0.1:1,n3=127.0.0.1:2'], message: /--initial-cluster does not name this node's id "n1"/ },
    { name: 'a TLS port without a certificate', args: ['--tls-port', '7001'], message: /--tls-port needs --tls-cert-file/ },
    { name: 'plain TCP off without a TLS port', args: ['--listen', '127.0.0.1:0'], message: /--listen port 0 turns plain TCP off: give --tls-port/ },
    { name: 'client certificates required without a CA', args: ['--tls-port', '7001', '--tls-cert-file', 'c.pem', '--tls-key-file', 'k.pem'], message: /--tls-auth-clients yes needs --tls-ca-cert-file/ },
    { name: 'peer TLS without a CA', args: ['--tls-cluster', '--tls-cert-file', 'c.pem', '--tls-key-file', 'k.pem'], message: /--tls-cluster needs --tls-ca-cert-file/ },
    { name: 'a TLS port equal to the client port', args: ['--listen', '127.0.0.1:7001', '--tls-port', '7001'], message: /--tls-port 7001 is the --listen port/ },
    { name: 'a bad tls-auth-clients', args: ['--tls-auth-clients', 'maybe'], message: /--tls-auth-clients: "maybe" is not one of yes, no, optional/ },
    { name: 'an unknown TLS protocol', args: ['--tls-protocols', 'TLSv1.2 TLSv1.4'], message: /--tls-protocols: unknown protocol "TLSv1.4"/ },
    { name: 'TLS protocols with a gap', args: ['--tls-protocols', 'TLSv1.1 TLSv1.3'], message: /--tls-protocols: "TLSv1.1 TLSv1.3" leaves a gap/ },
    { name: 'a short cluster secret', args: [], env: { RAFTIS_CLUSTER_SECRET: 'short' }, message: /--cluster-secret: the cluster secret has 5 bytes; it needs 16 to 4096/ },
    { name: 'both cluster secret settings', args: ['--cluster-secret', 'x'.repeat(20), '--cluster-secret-file', 's'], message: /--cluster-secret and --cluster-secret-file exclude each other/ },
    { name: 'a missing cluster secret file', args: ['--cluster-secret-file', '/nonexistent/secret'], message: /--cluster-secret-file \/nonexistent\/secret: cannot read it \(ENOENT\)/ },
    { name: 'a missing certificate file', args: ['--tls-port', '7001', '--tls-cert-file', '/nonexistent/c.pem', '--tls-key-file', '/nonexistent/k.pem', '--tls-auth-clients', 'no'], message: /--tls-cert-file \/nonexistent\/c\.pem: cannot read it \(ENOENT\)/ },
    { name: 'a short admin token', args: ['--admin-token', 'abc'], message: /--admin-token: the admin token has 3 characters; it needs 16/ },
    { name: 'a query buffer limit below 1 MB', args: ['--client-query-buffer-limit', '512kb'], message: /--client-query-buffer-limit: 524288 is below the minimum 1048576/ },
    { name: 'a bulk length over the query buffer limit', args: ['--client-query-buffer-limit', '4mb', '--proto-max-bulk-len', '8mb'], message: /proto-max-bulk-len \(8388608\) must not exceed client-query-buffer-limit \(4194304\)/ },
    { name: 'an output buffer limit below 64 KB', args: ['--client-output-buffer-limit', '1kb'], message: /--client-output-buffer-limit: 1024 is below the minimum 65536/ },
    { name: 'maxclients of 0', args: ['--maxclients', '0'], message: /--maxclients: 0 is below the minimum 1/ },
    { name: 'a yes/no setting given something else', args: ['--idle-malloc-trim', 'maybe'], message: /--idle-malloc-trim: expected true or false, got "maybe"/ },
    { name: 'a join user without its password', args: ['--join-user', 'joiner'], message: /--join-user needs --join-password/ },
  ];

  // The processes start together (each exits at once); the tests below check them one by one.
  const runs = new Map<string, Promise<Run>>();
  before(() => {
    for (const { name, args, env } of invalid) {
      const result = run(['server', '--id', 'n1', '--data-dir', join(root, 'never'), ...args], env ?? {});
      result.catch(() => {}); // reported by its own test
      runs.set(name, result);
    }
  });

  for (const { name, message } of invalid) {
    it(`exits ${EX_CONFIG} naming the setting for ${name}`, async () => {
      const result = await (runs.get(name) ?? Promise.reject(new Error(`no run for ${name}`)));
      assert.equal(result.code, EX_CONFIG, `exit code; stderr: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /^raftis server: /);
    });
  }

  it(`exits ${EX_CONFIG} for a config file with an unknown key, naming the file and the key`, async () => {
    const result = await run(['server', '--id', 'n1', '--config', configFile]);
    assert.equal(result.code, EX_CONFIG, result.stderr);
    assert.match(result.stderr, new RegExp(`config file ${configFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: unknown setting "noSuchSetting"`));
    const viaEnv = await run(['server', '--id', 'n1'], { RAFTIS_CONFIG: configFile });
    assert.equal(viaEnv.code, EX_CONFIG);
    assert.match(viaEnv.stderr, /unknown setting "noSuchSetting"/);
  });

  it(`exits ${EX_CONFIG} for a key that does not match its certificate, and for a TLSv1.3 suite given as a cipher`, { skip: missingOpenssl ?? false }, async () => {
    const { cluster } = await testCerts();
    const tls = ['--tls-port', '7001', '--tls-cert-file', cluster.node('n1').cert, '--tls-ca-cert-file', cluster.caCert];
    const mismatch = await run(['server', '--id', 'n1', '--data-dir', join(root, 'never'), ...tls, '--tls-key-file', cluster.node('n2').key]);
    assert.equal(mismatch.code, EX_CONFIG, mismatch.stderr);
    assert.match(mismatch.stderr, /--tls-cert-file .*n1\.crt and --tls-key-file .*n2\.key: key values mismatch/);
    const cipher = await run(['server', '--id', 'n1', '--data-dir', join(root, 'never'), ...tls, '--tls-key-file', cluster.node('n1').key, '--tls-ciphers', 'TLS_AES_128_GCM_SHA256']);
    assert.equal(cipher.code, EX_CONFIG, cipher.stderr);
    assert.match(cipher.stderr, /--tls-ciphers: "TLS_AES_128_GCM_SHA256" is a TLSv1\.3 suite; give it in --tls-ciphersuites/);
  });

  it('exits 1 when its client port is taken, and stops the peer port and Raft it had started', async () => {
    const port = await freePort();
    const peerPort = await freePort();
    const holder = createServer();
    await new Promise<void>((resolveListen) => holder.listen(port, '127.0.0.1', resolveListen));
    try {
      const result = await run(['server', '--id', 'solo', '--data-dir', join(root, 'taken'), '--listen', `127.0.0.1:${port}`, '--peer-listen', `127.0.0.1:${peerPort}`]);
      assert.equal(result.code, 1, `exit code; stderr: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`raftis server: listen EADDRINUSE: address already in use 127\\.0\\.0\\.1:${port}`));
      // Before the fix the process stayed: its Raft node led the cluster with no client port.
      assert.ok(await portFree(peerPort), 'the peer port is released');
    } finally {
      await new Promise((resolveClose) => holder.close(resolveClose));
    }
  });

  it('lists every setting with its environment variable in --help', async () => {
    const result = await run(['server', '--help']);
    assert.equal(result.code, 0);
    for (const setting of SETTINGS) {
      const env = `RAFTIS_${setting.flag.toUpperCase().replace(/-/g, '_')}`;
      assert.match(result.stdout, new RegExp(`--${setting.flag}\\s.*\\[${env}\\]`), `--help lists --${setting.flag}`);
    }
    assert.match(result.stdout, /--config FILE/);
  });

  it('restarts from its data directory with no --id or --initial-cluster, and refuses a mismatched --id', async () => {
    const dataDir = join(root, 'restart');
    const port = await freePort();
    const peerPort = await freePort();
    const addresses = ['--listen', `127.0.0.1:${port}`, '--peer-listen', `127.0.0.1:${peerPort}`];

    const missingId = await run(['server', '--data-dir', dataDir, ...addresses]);
    assert.equal(missingId.code, EX_CONFIG);
    assert.match(missingId.stderr, /--id is required/);

    const first = start(['server', '--id', 'solo', '--data-dir', dataDir, ...addresses, '--log-level', 'warn']);
    await waitFor('the first run to serve', async () => (await ping(port)) && (await callOnce(port, ['RAFT.LEADER'])) === 'solo', { timeoutMs: 20_000 });
    assert.equal(await callOnce(port, ['SET', 'kept', 'yes']), 'OK');
    first.kill('SIGTERM');
    assert.equal((await first.exited).code, 0);

    const second = start(['server', '--data-dir', dataDir, ...addresses, '--log-level', 'warn']);
    await waitFor('the restarted node to lead again', async () => (await ping(port)) && (await callOnce(port, ['RAFT.LEADER'])) === 'solo', { timeoutMs: 20_000 });
    const info = String(await callOnce(port, ['RAFT.INFO']));
    assert.match(info, /node_id:solo\r\n/, 'the id came from the data directory');
    assert.equal(await callOnce(port, ['GET', 'kept']), 'yes', 'and so did the data');
    second.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);

    const wrongId = await run(['server', '--id', 'other', '--data-dir', dataDir, ...addresses]);
    assert.equal(wrongId.code, EX_CONFIG, wrongId.stderr);
    assert.match(wrongId.stderr, /--id other does not match the data directory .* which belongs to node solo/);
  });
});

describe('raftis server restarted with nothing but --data-dir', () => {
  it('listens on the addresses stored in its data directory', async () => {
    const root = mkdtempSync(join(tmpdir(), 'raftis-config-'));
    const dataDir = join(root, 'solo');
    const port = await freePort();
    const peerPort = await freePort();
    try {
      const first = start(['server', '--id', 'solo', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--peer-listen', `127.0.0.1:${peerPort}`, '--log-level', 'warn']);
      await waitFor('the first run to serve', () => ping(port), { timeoutMs: 20_000 });
      first.kill('SIGTERM');
      assert.equal((await first.exited).code, 0);
      const second = start(['server', '--data-dir', dataDir, '--log-level', 'warn']);
      try {
        await waitFor(`the restarted node on its stored port ${port}`, () => ping(port), { timeoutMs: 10_000 });
      } finally {
        second.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

async function callOnce(port: number, argv: string[]): Promise<unknown> {
  const connection = await RawConnection.open(port);
  try {
    const reply = await connection.call(...argv);
    return typeof reply === 'object' && reply !== null && 'verbatim' in reply ? reply.verbatim : reply;
  } finally {
    connection.close();
  }
}
