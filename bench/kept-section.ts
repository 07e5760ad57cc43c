// A report section between markers that a run which does not measure it carries over from the
// previous report (the snapshot, collection and before/after sections each describe their own
// run: command, commit, machine, load).

import { existsSync, readFileSync } from 'node:fs';

export interface KeptSection {
  readonly start: string;
  readonly end: string;
}

export function keptSection(name: string, writtenBy: string): KeptSection {
  return { start: `<!-- ${name}:START (written by ${writtenBy}; kept when a run does not measure it) -->`, end: `<!-- ${name}:END -->` };
}

/** The section's lines from this run (`fresh`, without markers), or the previous report's copy, or nothing. */
export function keptSectionLines(reportPath: string, section: KeptSection, fresh: readonly string[] | null): string[] {
  if (fresh !== null) return [section.start, ...fresh, section.end, ''];
  if (!existsSync(reportPath)) return [];
  const text = readFileSync(reportPath, 'utf8');
  const start = text.indexOf(section.start);
  const end = text.indexOf(section.end);
  return start >= 0 && end > start ? [text.slice(start, end + section.end.length), ''] : [];
}
