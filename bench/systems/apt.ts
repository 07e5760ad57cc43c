// Installing a peer system's Debian packages when the harness runs as root (as CI and the
// project's machines do) and they are missing; otherwise the caller skips that system with why.

import { execFileSync } from 'node:child_process';

/** Installs `packages` with apt-get; null when done, else why not. */
export function aptInstall(packages: readonly string[]): string | null {
  if (process.getuid?.() !== 0) return `the harness is not root, so it cannot apt-get install ${packages.join(' ')}`;
  try {
    execFileSync('apt-get', ['update'], { stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', ...packages], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return null;
  } catch (error) {
    return `apt-get install ${packages.join(' ')} failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}
