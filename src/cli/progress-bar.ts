// Progress of one long CLI task (backup, restore, RDB import and export, sim sweeps, chaos runs): on a terminal, a
// bar redrawn in place with the rate and the time left; otherwise (CI, a log, a pipe) a
// plain line now and then. Written to stderr, so stdout carries only the result.

/** How often the bar is redrawn on a terminal. */
const REDRAW_INTERVAL_MS = 200;
/** How often a plain progress line is written when stderr is not a terminal. */
const PLAIN_INTERVAL_MS = 5_000;
const BAR_CELLS = 30;

/** What is counted; 'seconds' is a task of known length (its bar shows time, with no rate). */
export type ProgressUnit = 'bytes' | 'keys' | 'seeds' | 'seconds';

export interface ProgressOptions {
  readonly label: string;
  readonly unit: ProgressUnit;
  /** The amount at completion, when known beforehand (null: no bar, no time left). */
  readonly total: number | null;
  readonly stream?: NodeJS.WriteStream;
  readonly now?: () => number;
}

export function formatAmount(amount: number, unit: ProgressUnit): string {
  if (unit === 'seconds') return `${Math.round(amount)} s`;
  if (unit !== 'bytes') return `${Math.round(amount)} ${unit}`;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = amount;
  let at = 0;
  while (value >= 1024 && at < units.length - 1) {
    value /= 1024;
    at++;
  }
  return `${at === 0 ? value : value.toFixed(1)} ${units[at]}`;
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.max(0, Math.round(seconds));
  return whole < 60 ? `${whole}s` : `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}

export class ProgressBar {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly startedMs: number;
  private lastDrawMs: number;
  private done = 0;
  private drawn = false;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.now = options.now ?? Date.now;
    this.startedMs = this.now();
    // A terminal shows the bar at once; a log gets its first line only if the task takes a while.
    this.lastDrawMs = this.tty ? -Infinity : this.startedMs;
  }

  /** The amount done so far (absolute). */
  update(done: number): void {
    this.done = done;
    const now = this.now();
    if (now - this.lastDrawMs < (this.tty ? REDRAW_INTERVAL_MS : PLAIN_INTERVAL_MS)) return;
    this.lastDrawMs = now;
    this.draw(now);
  }

  /** The last line, with the total time and average rate. */
  finish(summary: string): void {
    const seconds = (this.now() - this.startedMs) / 1000;
    const line = `${this.options.label}: ${summary} in ${seconds.toFixed(1)} s`;
    this.stream.write(this.tty && this.drawn ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }

  private draw(now: number): void {
    const { label, unit, total } = this.options;
    const seconds = Math.max((now - this.startedMs) / 1000, 1e-3);
    const rate = this.done / seconds;
    const parts = [label];
    if (total !== null && total > 0) {
      const fraction = Math.min(this.done / total, 1);
      if (this.tty) parts.push(`[${'#'.repeat(Math.round(fraction * BAR_CELLS)).padEnd(BAR_CELLS, '.')}]`);
      parts.push(`${(fraction * 100).toFixed(1)}%`, `${formatAmount(this.done, unit)} of ${formatAmount(total, unit)}`);
      if (unit !== 'seconds') parts.push(`${formatAmount(rate, unit)}/s`);
      parts.push(`ETA ${formatSeconds(rate > 0 ? (total - this.done) / rate : Infinity)}`);
    } else {
      parts.push(formatAmount(this.done, unit), `${formatAmount(rate, unit)}/s`);
    }
    const line = parts.join('  ');
    if (!this.tty) {
      this.stream.write(`${line}\n`);
      return;
    }
    const columns = this.stream.columns > 20 ? this.stream.columns : 120;
    this.stream.write(`\r\x1b[2K${line.slice(0, columns - 1)}`);
    this.drawn = true;
  }
}
