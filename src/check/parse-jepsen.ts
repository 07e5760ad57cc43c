// Parses Jepsen's register-test log lines (the etcd histories of ../shared/histories/):
//   INFO  jepsen.util - 3	:invoke	:read	nil
// Only lines of that shape matter; everything else in a Jepsen log is noise. The
// history is of one register, recorded here as the key REGISTER_KEY.
import type { KvOp, KvResult } from './history.js';
import { OK } from './history.js';
import { PendingOps } from './pending-ops.js';
import { parseError } from './parsed-history.js';
import type { ParseResult } from './parsed-history.js';

/** The key a single-register history is recorded under. */
export const REGISTER_KEY = 'register';

const LINE = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s+(.*?)\s*$/;
const CAS_ARGUMENT = /^\[\s*(\S+)\s+(\S+)\s*\]$/;

export function parseJepsen(text: string): ParseResult {
  const pending = new PendingOps();
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const match = LINE.exec(lines[index]!.trim());
    if (match === null) continue;
    const process = Number(match[1]);
    const type = match[2]!;
    const f = match[3]!;
    const argument = match[4]!;
    if (type === 'invoke') {
      const op = invokedOp(f, argument);
      if (op === null) return parseError(lineNumber, `cannot read the argument of :${f}: ${argument}`);
      pending.invoke(process, op, lineNumber);
      continue;
    }
    const open = pending.open(process);
    if (open === undefined) return parseError(lineNumber, `process ${process} completes :${f} without an open :invoke`);
    if (open.f !== jepsenToKv(f)) return parseError(lineNumber, `process ${process} completes :${f} but invoked ${open.f}`);
    if (type === 'info') {
      pending.info(process);
    } else if (type === 'ok') {
      const result = okResult(f, argument);
      if (result === undefined) return parseError(lineNumber, `cannot read the result of :${f}: ${argument}`);
      pending.ok(process, result, lineNumber);
    } else if (f === 'cas') {
      // etcd's client reports :fail for a cas whose comparison failed: the cas ran and
      // returned false, which (unlike dropping it) also says the value differed.
      pending.ok(process, false, lineNumber);
    } else if (f === 'read') {
      // A read that timed out: unknown, and an unknown read constrains nothing.
      pending.info(process);
    } else {
      pending.fail(process);
    }
  }
  return { ok: true, history: { format: 'jepsen', ops: pending.finish(), initialValue: null } };
}

function jepsenToKv(f: string): KvOp['f'] {
  return f === 'read' ? 'get' : f === 'write' ? 'put' : 'cas';
}

function invokedOp(f: string, argument: string): KvOp | null {
  if (f === 'read') return { f: 'get', key: REGISTER_KEY };
  if (f === 'write') {
    const value = readValue(argument);
    return value === null ? null : { f: 'put', key: REGISTER_KEY, value };
  }
  const cas = CAS_ARGUMENT.exec(argument);
  if (cas === null) return null;
  const value = readValue(cas[2]!);
  if (value === null) return null;
  return { f: 'cas', key: REGISTER_KEY, expected: readValue(cas[1]!), value };
}

function okResult(f: string, argument: string): KvResult | undefined {
  if (f === 'read') return readValue(argument);
  if (f === 'write') return OK;
  return true;
}

/** A Jepsen value: nil, or a token kept as its text. */
function readValue(token: string): string | null {
  return token === 'nil' ? null : token;
}
