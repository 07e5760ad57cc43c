// INFO's text as tests read it: sections of key:value lines.

import assert from 'node:assert/strict';

export type Sections = Map<string, Map<string, string>>;

/** Parses INFO text ("# Section" headers, key:value lines) into sections by lower-case name. */
export function parseInfo(reply: unknown): Sections {
  assert.equal(typeof reply, 'string', `INFO reply ${String(reply)}`);
  const sections: Sections = new Map();
  let current: Map<string, string> | undefined;
  for (const line of (reply as string).split('\r\n')) {
    if (line.startsWith('# ')) {
      current = new Map();
      sections.set(line.slice(2).toLowerCase(), current);
    } else if (line !== '') {
      assert.ok(current !== undefined, `INFO line before any section: ${line}`);
      const colon = line.indexOf(':');
      assert.ok(colon > 0, `INFO line without a colon: ${line}`);
      current.set(line.slice(0, colon), line.slice(colon + 1));
    }
  }
  return sections;
}

export function field(sections: Sections, section: string, key: string): string {
  const value = sections.get(section)?.get(key);
  assert.ok(value !== undefined, `INFO ${section} has ${key}: ${JSON.stringify([...(sections.get(section) ?? new Map())])}`);
  return value;
}

export function number(sections: Sections, section: string, key: string): number {
  const text = field(sections, section, key);
  assert.match(text, /^\d+$/, `${section}.${key}`);
  return Number(text);
}
