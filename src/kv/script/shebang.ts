// The "#!lua flags=..." first line of a script (Redis 7): which engine, and the flags that
// declare what the script does. A script without it runs with the pre-7 rules (it may write).

import { CommandError, errorReply } from '../replies.js';

export interface ScriptFlags {
  /** True when the script has a shebang line (its flags then replace the default rules). */
  readonly declared: boolean;
  readonly noWrites: boolean;
  readonly allowOom: boolean;
}

const undeclared: ScriptFlags = { declared: false, noWrites: false, allowOom: false };
const knownFlags = ['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'];

/** The flags of `body`'s shebang line, or Redis's error for a bad one (returned as a CommandError). */
export function parseShebang(body: Uint8Array): ScriptFlags | CommandError {
  if (body[0] !== 0x23 || body[1] !== 0x21) return undeclared;
  const end = body.indexOf(0x0a);
  const line = Buffer.from(body.subarray(2, end < 0 ? body.length : end)).toString('latin1').trim();
  const [engine = '', ...options] = line.split(/\s+/);
  if (engine !== 'lua') return new CommandError(errorReply(`ERR Unexpected engine in script shebang: #!${engine}`));
  const flags = new Set<string>();
  for (const option of options) {
    if (!option.startsWith('flags=')) return new CommandError(errorReply(`ERR Unknown lua shebang option: ${option}`));
    for (const flag of option.slice('flags='.length).split(',')) {
      if (flag === '') continue;
      if (!knownFlags.includes(flag)) return new CommandError(errorReply(`ERR Unexpected flag in script shebang: ${flag}`));
      flags.add(flag);
    }
  }
  return { declared: true, noWrites: flags.has('no-writes'), allowOom: flags.has('allow-oom') };
}
