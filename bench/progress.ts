// The progress display: one line per workload, rewritten in place on a terminal (plain
// lines when stdout is not a TTY, e.g. in CI or a log), and a one-line summary per
// workload at the end.

const RENDER_INTERVAL_MS = 250;

interface Line { label: string; status: string; summary: string | null; startedMs: number; printed: boolean }

export class Progress {
  private readonly lines: Line[] = [];
  private readonly tty = process.stdout.isTTY === true;
  /** Lines of running workloads drawn last time: the ones to redraw in place. */
  private activeDrawn = 0;
  private lastRenderMs = 0;

  start(label: string): ProgressLine {
    const line: Line = { label, status: 'starting…', summary: null, startedMs: Date.now(), printed: false };
    this.lines.push(line);
    if (!this.tty) process.stdout.write(`▶ ${label}\n`);
    this.render(true);
    return {
      update: (status: string) => { line.status = status; this.render(false); },
      done: (summary: string) => {
        line.summary = summary;
        line.status = `done in ${((Date.now() - line.startedMs) / 1000).toFixed(1)} s: ${summary}`;
        if (!this.tty) process.stdout.write(`✔ ${label}: ${summary}\n`);
        this.render(true);
      },
    };
  }

  /** Prints the one-line summaries of every finished workload. */
  printSummary(): void {
    process.stdout.write('\nSummary\n');
    for (const line of this.lines) process.stdout.write(`  ${line.label}: ${line.summary ?? line.status}\n`);
  }

  private render(force: boolean): void {
    if (!this.tty) return;
    const now = Date.now();
    if (!force && now - this.lastRenderMs < RENDER_INTERVAL_MS) return;
    this.lastRenderMs = now;
    const columns = process.stdout.columns ?? 0;
    const width = columns > 20 ? columns : 120; // a pty without a size reports 0
    // Finished lines are printed once for good; only running ones are redrawn, so the
    // redrawn block stays a line or two however many workloads run.
    let out = this.activeDrawn > 0 ? `\x1b[${this.activeDrawn}F` : '';
    for (const line of this.lines.filter((l) => l.summary !== null && !l.printed)) {
      out += `\x1b[2K${`✔ ${line.label}: ${line.status}`.slice(0, width - 1)}\n`;
      line.printed = true;
    }
    const active = this.lines.filter((l) => l.summary === null);
    for (const line of active) out += `\x1b[2K${`… ${line.label}: ${line.status}`.slice(0, width - 1)}\n`;
    out += '\x1b[J';
    this.activeDrawn = active.length;
    process.stdout.write(out);
  }
}

export interface ProgressLine {
  update(status: string): void;
  done(summary: string): void;
}
