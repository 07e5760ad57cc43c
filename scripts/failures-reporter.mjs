// A node:test reporter that prints nothing while tests run and, at the end, one line per
// failed test (file, name, first lines of its error). The TAP stream above it is long; CI
// shows its tail, so the failures are repeated where they will be seen.
import { relative } from 'node:path';

export default async function* failuresReporter(source) {
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, details } = event.data;
    // A failing suite reports each failing test inside it already.
    if (details?.type === 'suite') continue;
    const error = details?.error;
    const cause = error?.cause ?? error;
    const message = String(cause?.message ?? cause ?? 'failed')
      .split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 4).join(' | ').slice(0, 400);
    const where = file ? relative(process.cwd(), file) : '?';
    failures.push(`not ok: ${where} :: ${name} :: ${message}`);
  }
  if (failures.length === 0) return;
  yield `\n# ${failures.length} failed:\n`;
  for (const line of failures) yield `# ${line}\n`;
}
