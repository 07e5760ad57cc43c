// Options the command-line tools share: `--name value` options, and the TLS and
// authentication options as redis-cli names them (--tls --cacert --cert --key, --user --pass).

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';

/** Removes `--name value` from args and returns the value (undefined when absent). */
export function takeOption(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1] ?? '';
  args.splice(at, 2);
  return value;
}

/** TLS options from --tls, --cacert, --cert and --key; null without --tls, or a message on a bad combination. */
export function tlsOptions(args: string[]): ConnectionOptions | null | string {
  const tls = args.indexOf('--tls');
  if (tls >= 0) args.splice(tls, 1);
  const files = { ca: takeOption(args, '--cacert'), cert: takeOption(args, '--cert'), key: takeOption(args, '--key') };
  if (tls < 0) return Object.values(files).some((f) => f !== undefined) ? '--cacert, --cert and --key go with --tls' : null;
  if ((files.cert === undefined) !== (files.key === undefined)) return '--cert and --key go together';
  try {
    const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file));
    const [ca, cert, key] = [read(files.ca), read(files.cert), read(files.key)];
    return { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) };
  } catch (error) {
    return (error as Error).message;
  }
}

/** Credentials from --user and --pass (--pass alone: the default user), or null. */
export function authOptions(args: string[]): readonly [string, string] | null {
  const user = takeOption(args, '--user');
  const pass = takeOption(args, '--pass');
  return pass === undefined ? null : [user ?? 'default', pass];
}

/** Removes a flag without a value; true when it was there. */
export function takeFlag(args: string[], name: string): boolean {
  const at = args.indexOf(name);
  if (at < 0) return false;
  args.splice(at, 1);
  return true;
}

export interface ServerOptions {
  readonly server: string;
  readonly tls: ConnectionOptions | null;
  readonly auth: readonly [string, string] | null;
}

/** --server (default 127.0.0.1:6379) with its TLS and credentials, or the message of a bad combination. */
export function serverOptions(args: string[]): ServerOptions | string {
  const server = takeOption(args, '--server') ?? '127.0.0.1:6379';
  const tls = tlsOptions(args);
  if (typeof tls === 'string') return tls;
  return { server, tls, auth: authOptions(args) };
}
