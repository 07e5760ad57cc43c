// The command line shared by the side-by-side scripts (reads-ab.ts, writes-ab.ts): builds named
// as LABEL=PATH/dist/src/cli/main.js, and --ports FIRST-LAST for every port they listen on.

import { usePortRange } from './systems/ports.js';

/** parseArgs options every side-by-side script takes: rounds, run length, clients, ports, profiles, node flags, a JSON copy. */
export const AB_OPTIONS = {
  rounds: { type: 'string', default: '6' },
  seconds: { type: 'string', default: '8' },
  clients: { type: 'string', default: '64' },
  ports: { type: 'string' },
  profile: { type: 'string' },
  'node-arg': { type: 'string', multiple: true },
  json: { type: 'string' },
} as const;

export interface AbBuild {
  readonly label: string;
  /** The build's CLI: PATH/dist/src/cli/main.js. */
  readonly main: string;
}

export interface AbSettings {
  readonly rounds: number;
  readonly durationMs: number;
  readonly clients: number;
  readonly builds: AbBuild[];
}

/** The parsed AB_OPTIONS and the builds, with --ports put in force. */
export function abSettings(values: { readonly rounds: string; readonly seconds: string; readonly clients: string; readonly ports?: string | undefined }, positionals: readonly string[]): AbSettings {
  useAbPorts(values.ports);
  return { rounds: Number(values.rounds), durationMs: Number(values.seconds) * 1000, clients: Number(values.clients), builds: abBuilds(positionals) };
}

/** The builds named as LABEL=PATH/dist/src/cli/main.js. */
function abBuilds(args: readonly string[]): AbBuild[] {
  return args.map((arg) => {
    const at = arg.indexOf('=');
    if (at < 1) throw new Error(`expected LABEL=PATH/dist/src/cli/main.js, got ${arg}`);
    return { label: arg.slice(0, at), main: arg.slice(at + 1) };
  });
}

/** --ports FIRST-LAST: every port comes from there (none given: the kernel picks). */
function useAbPorts(ports: string | undefined): void {
  if (ports === undefined) return;
  const [first, last] = ports.split('-').map(Number);
  if (first === undefined || last === undefined || !(first > 0 && last >= first)) throw new Error(`invalid --ports ${ports}`);
  usePortRange(first, last);
}
