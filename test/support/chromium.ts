// Headless Chromium for the browser tests: the system's Chromium (Debian's `chromium`
// package, or RAFTIS_CHROMIUM naming another executable) driven by playwright-core, which
// downloads no browser of its own. Tests skip with `missingChromium()`'s message when there
// is none.

import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The Chromium executable to use, or null. */
export function chromiumPath(): string | null {
  const named = process.env['RAFTIS_CHROMIUM'];
  if (named !== undefined && named !== '') return existsSync(named) ? named : null;
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/** Why browser tests cannot run here, or false when they can (node:test's `skip` option). */
export function missingChromium(): string | false {
  if (chromiumPath() !== null) return false;
  const named = process.env['RAFTIS_CHROMIUM'];
  return named !== undefined && named !== ''
    ? `RAFTIS_CHROMIUM=${named} does not exist: browser tests skipped`
    : `chromium is not installed (apt-get install chromium, or set RAFTIS_CHROMIUM to a Chromium executable): browser tests skipped`;
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (executablePath === null) throw new Error(missingChromium() || 'no chromium');
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
