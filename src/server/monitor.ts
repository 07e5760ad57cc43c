// MONITOR: a client that sent it receives every command this node's clients run, one line
// each, as Redis writes them (`+<seconds.micros> [0 <addr>] "cmd" "arg" ...`, arguments quoted
// as sdscatrepr quotes them, passwords redacted). A node shows its own clients' commands;
// commands queued in MULTI show when EXEC runs them, between MULTI and EXEC, as in Redis.
// The commands a script calls show as `[0 lua]` on every node, since every node runs the
// script when it applies its entry (a read-only script only on the node serving it).

import type { ClientConnection } from '../resp/server.js';

/** Redis's quoting of one argument (sdscatrepr): printable ASCII as is, the rest escaped. */
export function quoteArgument(arg: Uint8Array): string {
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
function redactedFrom(argv: readonly Uint8Array[]): number {
  const name = latin1(argv[0]);
  if (name === 'auth') return 1;
  if (name === 'hello') {
    for (let i = 2; i < argv.length; i++) if (latin1(argv[i]) === 'auth') return i + 1;
  }
  return argv.length;
}

function latin1(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? '' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1').toLowerCase();
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

  /** Shows `argv`, run by `source` (a client's address, or `lua`), to every monitoring client. */
  feed(source: string, argv: readonly Uint8Array[]): void {
    if (this.clients.size === 0) return;
    const micros = Math.round(this.now() * 1000);
    const redactFrom = redactedFrom(argv);
    const args = argv.map((arg, i) => (i >= redactFrom ? '"(redacted)"' : quoteArgument(arg))).join(' ');
    const line = `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')} [0 ${source}] ${args}`;
    for (const client of this.clients) {
      if (client.closed) this.clients.delete(client);
      else client.push({ kind: 'simple', value: line });
    }
  }
}
