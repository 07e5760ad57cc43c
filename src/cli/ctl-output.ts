// How `raftis ctl` prints a reply: for people, rows of field/value pairs (RAFT.NODES) as an
// aligned table and INFO-style text as it is; for scripts (`--json`), the reply as JSON,
// field/value rows as objects. Pure functions of the reply, so they are tested apart.

import type { RespValue } from '../resp/codec.js';

type Json = null | boolean | number | string | Json[] | { [field: string]: Json };

/** The reply for people: a table for rows of pairs, else the value as redis-cli would show it. */
export function renderHuman(reply: RespValue): string {
  const rows = pairRows(reply);
  if (rows === null) return renderValue(reply);
  return table(rows.map((row) => row.map(([field, value]) => [renderValue(field), renderValue(value)] as [string, string])));
}

/**
 * The reply as JSON text (one line); errors as `{"error": message}`. INFO-style text
 * (`field:value` lines under `# Section` headings, as RAFT.INFO answers) becomes an object
 * of its fields, numbers as numbers.
 */
export function renderJson(reply: RespValue): string {
  const text = reply.kind === 'bulk' && reply.value !== null ? Buffer.from(reply.value).toString() : reply.kind === 'verbatim' ? reply.value : null;
  const fields = text === null ? null : infoFields(text);
  return JSON.stringify(fields ?? toJson(reply));
}

/** A decimal that JSON carries exactly as a number; anything else stays text. */
function numeric(value: string): string | number {
  if (/^-?\d+$/.test(value)) return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  return /^-?\d+\.\d+$/.test(value) ? Number(value) : value;
}

/** `field:value` lines (blank lines and `#` headings skipped) as an object; null when a line is neither. */
export function infoFields(text: string): { [field: string]: string | number } | null {
  const fields: { [field: string]: string | number } = {};
  let any = false;
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    const value = line.slice(colon + 1);
    fields[line.slice(0, colon)] = numeric(value);
    any = true;
  }
  return any ? fields : null;
}

export function toJson(reply: RespValue): Json {
  switch (reply.kind) {
    case 'error': return { error: reply.message };
    case 'simple': return reply.value;
    case 'integer': return typeof reply.value === 'bigint' ? reply.value.toString() : reply.value;
    case 'double': return Number.isFinite(reply.value) ? reply.value : String(reply.value);
    case 'bulk': return reply.value === null ? null : Buffer.from(reply.value).toString();
    case 'verbatim': return reply.value;
    case 'null': return null;
    case 'boolean': return reply.value;
    case 'bignum': return reply.value.toString();
    case 'attributed': return toJson(reply.value);
    case 'map':
    case 'pairs': return objectOf(reply.value);
    case 'set':
    case 'push': return reply.value.map(toJson);
    case 'array': {
      if (reply.value === null) return null;
      const rows = pairRows(reply);
      return rows === null ? reply.value.map(toJson) : rows.map(objectOf);
    }
  }
}

function objectOf(pairs: readonly (readonly [RespValue, RespValue])[]): { [field: string]: Json } {
  const object: { [field: string]: Json } = {};
  for (const [field, value] of pairs) object[renderValue(field)] = toJson(value);
  return object;
}

/**
 * Rows of field/value pairs (RAFT.NODES over RESP2: an array of flat [field, value, ...]
 * arrays) as lists of pairs; null for any other reply.
 */
function pairRows(reply: RespValue): [RespValue, RespValue][][] | null {
  if (reply.kind !== 'array' || reply.value === null || reply.value.length === 0) return null;
  const rows: [RespValue, RespValue][][] = [];
  for (const row of reply.value) {
    if (row.kind !== 'array' || row.value === null || row.value.length === 0 || row.value.length % 2 !== 0) return null;
    const fields: [RespValue, RespValue][] = [];
    for (let i = 0; i + 1 < row.value.length; i += 2) fields.push([row.value[i] as RespValue, row.value[i + 1] as RespValue]);
    rows.push(fields);
  }
  return rows;
}

/** Rows as columns under upper-case headers, in the order fields first appear; a missing field is blank. */
export function table(rows: readonly (readonly [string, string])[][]): string {
  const columns: string[] = [];
  for (const row of rows) for (const [field] of row) if (!columns.includes(field)) columns.push(field);
  const cells = rows.map((row) => columns.map((column) => row.find(([field]) => field === column)?.[1] ?? ''));
  const lines = [columns.map((column) => column.toUpperCase()), ...cells];
  const widths = columns.map((_, i) => Math.max(...lines.map((line) => (line[i] as string).length)));
  return lines.map((line) => line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i] as number))).join('  ').trimEnd()).join('\n');
}

function renderValue(reply: RespValue): string {
  switch (reply.kind) {
    case 'error': return `(error) ${reply.message}`;
    case 'simple': return reply.value;
    case 'integer': return String(reply.value);
    case 'double': return reply.text ?? String(reply.value);
    case 'bulk': return reply.value === null ? '(nil)' : Buffer.from(reply.value).toString();
    case 'verbatim': return reply.value.trimEnd();
    case 'null': return '(nil)';
    case 'attributed': return renderValue(reply.value);
    case 'map': return reply.value.map(([k, v]) => `${renderValue(k)}=${renderValue(v)}`).join(' ');
    case 'pairs': return reply.value.map(([k, v]) => `${renderValue(k)} ${renderValue(v)}`).join('\n');
    case 'boolean': return reply.value ? '(true)' : '(false)';
    case 'bignum': return reply.value.toString();
    case 'set':
    case 'push': return reply.value.map(renderValue).join('\n');
    case 'array': return reply.value === null ? '(nil)' : reply.value.map(renderValue).join('\n');
  }
}
