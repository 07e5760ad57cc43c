// The progress of long CLI tasks: a bar redrawn in place with rate and time left on a
// terminal, plain lines at most every few seconds otherwise, and a final summary line.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressBar, formatAmount } from '../../src/cli/progress-bar.js';

function fakeStream(tty: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY: tty, columns: 200, write: (text: string) => { written.push(text); return true; } } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('ProgressBar', () => {
  it('draws a bar with percentage, rate and time left on a terminal, and ends the line', () => {
    let now = 0;
    const { stream, written } = fakeStream(true);
    const bar = new ProgressBar({ label: 'import', unit: 'keys', total: 1000, stream, now: () => now });
    now = 2000;
    bar.update(250);
    assert.equal(written.length, 1);
    assert.equal(written[0], `\r\x1b[2Kimport  [${'#'.repeat(8)}${'.'.repeat(22)}]  25.0%  250 keys of 1000 keys  125 keys/s  ETA 6s`);
    now = 2100;
    bar.update(260);
    assert.equal(written.length, 1, 'no redraw within 200 ms');
    now = 10_000;
    bar.finish('1000 keys restored');
    assert.equal(written.at(-1), '\r\x1b[2Kimport: 1000 keys restored in 10.0 s\n');
  });

  it('writes plain lines only every few seconds when not a terminal', () => {
    let now = 0;
    const { stream, written } = fakeStream(false);
    const bar = new ProgressBar({ label: 'backup', unit: 'bytes', total: null, stream, now: () => now });
    now = 1000;
    bar.update(1024);
    assert.deepEqual(written, [], 'a short task prints no progress line');
    now = 6000;
    bar.update(3 * 1024 * 1024);
    assert.deepEqual(written, ['backup  3.0 MiB  512.0 KiB/s\n']);
    bar.finish('3.0 MiB');
    assert.equal(written.at(-1), 'backup: 3.0 MiB in 6.0 s\n');
  });

  it('a task of known length (seconds) shows its time and the time left, no rate', () => {
    let now = 0;
    const { stream, written } = fakeStream(true);
    const bar = new ProgressBar({ label: 'chaos kill', unit: 'seconds', total: 600, stream, now: () => now });
    now = 150_000;
    bar.update(150);
    assert.equal(written[0], `\r\x1b[2Kchaos kill  [${'#'.repeat(8)}${'.'.repeat(22)}]  25.0%  150 s of 600 s  ETA 7m30s`);
  });

  it('formats amounts in binary units', () => {
    assert.equal(formatAmount(512, 'bytes'), '512 B');
    assert.equal(formatAmount(1536, 'bytes'), '1.5 KiB');
    assert.equal(formatAmount(12.4, 'keys'), '12 keys');
    assert.equal(formatAmount(7, 'seeds'), '7 seeds');
    assert.equal(formatAmount(61.4, 'seconds'), '61 s');
  });
});
