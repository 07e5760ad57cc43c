// Long coverage-guided fuzzing of the decoders that read bytes from outside (docs/testing.md):
//   node --import tsx scripts/fuzz.ts [--seconds 60] [--seed N] [--target NAME]... [--corpus DIR]
// Each target runs for --seconds from its seeds, its stored regression inputs
// (test/fuzz/corpus/<target>/) and, with --corpus, the inputs a previous run kept there; a
// finding is written to test/fuzz/corpus/<target>/ (it then runs in the default test run as a
// regression case) and the exit code is 1.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzz, inputName } from '../test/fuzz/coverage-fuzzer.js';
import { FUZZ_TARGETS } from '../test/fuzz/targets.js';
import { CORPUS_DIR, storedInputs } from '../test/fuzz/corpus.js';

function usage(message: string): never {
  console.error(`${message}\nusage: scripts/fuzz.ts [--seconds S] [--seed N] [--target ${FUZZ_TARGETS.map((t) => t.name).join('|')}]... [--corpus DIR]`);
  process.exit(64);
}

const argv = process.argv.slice(2);
let seconds = 60;
let seed = Date.now() % 1_000_000_007;
let corpusDir: string | null = null;
const chosen: string[] = [];
for (let i = 0; i < argv.length; i++) {
  const value = argv[i + 1];
  switch (argv[i]) {
    case '--seconds': seconds = Number(value); i++; break;
    case '--seed': seed = Number(value); i++; break;
    case '--target': chosen.push(value ?? ''); i++; break;
    case '--corpus': corpusDir = value ?? null; i++; break;
    default: usage(`unknown argument ${argv[i]}`);
  }
}
if (!(seconds > 0) || !Number.isSafeInteger(seed)) usage('--seconds must be positive and --seed an integer');
const targets = chosen.length === 0 ? FUZZ_TARGETS : chosen.map((name) => FUZZ_TARGETS.find((t) => t.name === name) ?? usage(`no target ${name}`));

let failed = false;
for (const target of targets) {
  const kept = corpusDir === null ? [] : storedInputs(join(corpusDir, target.name));
  const report = fuzz(target, { seed, runs: Number.MAX_SAFE_INTEGER, timeMs: seconds * 1000, extraInputs: [...storedInputs(join(CORPUS_DIR, target.name)), ...kept], stopOnFinding: false });
  console.log(`${target.name}: seed ${seed}, ${report.executions} inputs in ${(report.elapsedMs / 1000).toFixed(1)} s, corpus ${report.corpus.length}, ${report.blocksReached} blocks, ${report.features} features, ${report.findings.length} findings`);
  if (corpusDir !== null) {
    mkdirSync(join(corpusDir, target.name), { recursive: true });
    for (const input of report.corpus) writeFileSync(join(corpusDir, target.name, inputName(input)), input);
  }
  for (const finding of report.findings.slice(0, 20)) {
    failed = true;
    const dir = join(CORPUS_DIR, target.name);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `crash-${inputName(finding.input)}`);
    writeFileSync(path, finding.input);
    console.log(`  ${path}: ${finding.problem.split('\n').slice(0, 4).join('\n    ')}`);
  }
}
process.exit(failed ? 1 : 0);
