// A report section between markers that a run which does not measure it carries over from the
// previous report (the snapshot, collection and before/after sections each describe their own
// run: command, commit, machine, load). A run of only such workloads replaces just their
// sections in the report (spliceKeptSections) and leaves the rest of it alone.

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

const START_MARKER = /^<!-- ([A-Z][A-Z-]*):START /;

/**
 * `report` with each fresh block (a kept section's lines with its markers, as keptSectionLines
 * gives them) in place of that section's previous copy, or, for a section it lacks, before the
 * `beforeHeading` line; everything else is left as it was.
 */
export function spliceKeptSections(report: string, blocks: readonly (readonly string[])[], beforeHeading: string): string {
  let text = report;
  for (const block of blocks) {
    const name = START_MARKER.exec(block[0] ?? '')?.[1];
    if (name === undefined) throw new Error(`not a kept section: ${block[0] ?? '(empty)'}`);
    const body = block.join('\n').trimEnd();
    const start = text.indexOf(`<!-- ${name}:START `);
    const endMarker = `<!-- ${name}:END -->`;
    const end = text.indexOf(endMarker, start);
    if (start >= 0 && end > start) {
      text = `${text.slice(0, start)}${body}${text.slice(end + endMarker.length)}`;
      continue;
    }
    const at = text.indexOf(`\n${beforeHeading}\n`);
    text = at < 0 ? `${text.trimEnd()}\n\n${body}\n` : `${text.slice(0, at + 1)}${body}\n\n${text.slice(at + 1)}`;
  }
  return text;
}
