// BZPOPMIN, BZPOPMAX and BZMPOP as the state machine applies them: their non-blocking forms
// (zset-pop-commands.ts), answering the nil array when every key is empty. The server waits
// (src/server/blocking.ts) and proposes these same commands when a waited key gets members.

import { parseMpop, popOneWithKey, zmpop } from './zset-pop-commands.js';
import { parsedCommand, type CommandSpec, type KeyPositions } from './command-spec.js';
import { blockingParse, keysThenTimeout, nonBlocking } from './blocking-form.js';

const blockingKeys: KeyPositions = [1, -2, 1];
const noKeyPositions: KeyPositions = [0, 0, 0];

export const zsetBlockingCommands: readonly CommandSpec[] = [
  parsedCommand('bzpopmin', -3, ['write', 'noscript', 'blocking', 'fast'], blockingKeys, keysThenTimeout, nonBlocking(popOneWithKey('min'))),
  parsedCommand('bzpopmax', -3, ['write', 'noscript', 'blocking', 'fast'], blockingKeys, keysThenTimeout, nonBlocking(popOneWithKey('max'))),
  parsedCommand('bzmpop', -5, ['write', 'blocking', 'movablekeys'], noKeyPositions, blockingParse((argv) => parseMpop(argv, 2), 1), nonBlocking(zmpop)),
];
