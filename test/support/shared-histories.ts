// Where the workplace's reference histories live: RAFTIS_SHARED_DIR/histories if set, else
// ../shared/histories beside the repository, else the workplace's /work/shared/histories
// (a clone elsewhere, e.g. in CI, still finds them). Missing everywhere is a failure.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function sharedHistoriesFolder(): string {
  const fromEnv = process.env['RAFTIS_SHARED_DIR'];
  const candidates = [
    ...(fromEnv === undefined ? [] : [join(fromEnv, 'histories')]),
    fileURLToPath(new URL('../../../shared/histories/', import.meta.url)),
    join(process.cwd(), '..', 'shared', 'histories'),
    '/work/shared/histories',
  ];
  const found = candidates.find((folder) => existsSync(join(folder, 'expected.json')));
  if (found === undefined) throw new Error(`reference histories not found; looked in ${candidates.join(', ')} (set RAFTIS_SHARED_DIR)`);
  return found;
}
