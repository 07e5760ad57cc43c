// MONITOR: a client that sent it receives every command this node's clients run, one line
// each, as Redis writes them (`+<seconds.micros> [0 <addr>] "cmd" "arg" ...`, arguments quoted
// as sdscatrepr quotes them, passwords redacted). A node shows its own clients' commands;
// commands queued in MULTI show when EXEC runs them, between MULTI and EXEC, as in Redis.

import type { ClientConnection } from '../resp/server.js';

/** Redis's quoting of one argument (sdscatrepr): printable ASCII as is, the rest escaped. */
export function quoteArgument(arg: Buffer): string {
  let out = '"';
  for (const byte of arg) {
    switch (byte) {
      case 0x5c: out += '\\\\'; break;
      case 0x22: out += '\\"'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x07: out += '\\a'; break;
      case 0x08: out += '\\b'; break;
      default:
        out += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
    }
  }
  return out + '"';
}

/** How many arguments after index `from` a command's credentials take (Redis redacts them). */
function redactedFrom(argv: readonly Buffer[]): number {
  const name = argv[0]?.toString('latin1').toLowerCase();
  if (name === 'auth') return 1;
  if (name === 'hello') {
    for (let i = 2; i < argv.length; i++) if (argv[i]?.toString('latin1').toLowerCase() === 'auth') return i + 1;
  }
  return argv.length;
}

export class Monitors {
  private readonly clients = new Set<ClientConnection>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  add(conn: ClientConnection): void {
    this.clients.add(conn);
  }

  remove(conn: ClientConnection): void {
    this.clients.delete(conn);
  }

  get active(): boolean {
    return this.clients.size > 0;
  }

  /** Shows `argv`, run by `from`, to every monitoring client. */
  feed(from: ClientConnection, argv: readonly Buffer[]): void {
    if (this.clients.size === 0) return;
    const micros = Math.round(this.now() * 1000);
    const redactFrom = redactedFrom(argv);
    const args = argv.map((arg, i) => (i >= redactFrom ? '"(redacted)"' : quoteArgument(arg))).join(' ');
    const line = `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')} [0 ${from.address}] ${args}`;
    for (const client of this.clients) {
      if (client.closed) this.clients.delete(client);
      else client.push({ kind: 'simple', value: line });
    }
  }
}
