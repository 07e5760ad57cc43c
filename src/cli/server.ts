// `raftis server`: runs one node until SIGINT/SIGTERM or SHUTDOWN, then stops it gracefully;
// SIGHUP reloads its TLS certificates.

import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { seedKeyHash } from '../kv/key-table.js';
import { ConfigError, loadConfig, usage } from '../server/config.js';
import { ClusterUnavailableError } from '../server/errors.js';
import { RaftisServer } from '../server/node-server.js';

export async function serverCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  // The keyspace's hash index is node-local: a seed of this process's own keeps clients from
  // aiming keys at one bucket.
  seedKeyHash(randomBytes(4).readInt32LE(0));
  let config;
  try {
    config = loadConfig(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`raftis server: ${error.message}\n`);
      return 78; // EX_CONFIG
    }
    throw error;
  }
  const logger = pino({ level: config.logLevel, base: { pid: process.pid } });
  let server: RaftisServer;
  try {
    server = await RaftisServer.start(config, logger);
  } catch (error) {
    logger.fatal({ err: error instanceof Error ? error.message : String(error) }, 'start-up failed');
    return failureStatus(error);
  }
  return new Promise<number>((resolve) => {
    // However the node is stopped (a signal, or SHUTDOWN from a client), the process exits 0,
    // unless it stopped on its own because the cluster would not add it (--join).
    server.stopped.then(() => resolve(server.joinFailure === null ? 0 : failureStatus(server.joinFailure)), (error: unknown) => {
      logger.error({ err: String(error) }, 'shutdown failed');
      resolve(1);
    });
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(130);
      }
      signalled = true;
      logger.info({ signal }, 'shutting down');
      // SHUTDOWN ABORT may cancel it while leadership is being handed over: a later signal starts again.
      server.stopOnSignal().then((outcome) => {
        if (outcome !== 'stopped') signalled = false;
      }, () => undefined);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // SIGHUP reloads the TLS certificates, key and CA from their files (it no longer ends the node).
    process.on('SIGHUP', () => {
      logger.info({ signal: 'SIGHUP' }, 'reloading TLS certificates');
      server.reloadTls();
    });
  });
}

/** Says why the node could not start (or join) and gives the exit status that tells it. */
function failureStatus(error: unknown): number {
  process.stderr.write(`raftis server: ${error instanceof Error ? error.message : String(error)}\n`);
  if (error instanceof ClusterUnavailableError) return 69; // EX_UNAVAILABLE
  return error instanceof ConfigError ? 78 : 1;
}
