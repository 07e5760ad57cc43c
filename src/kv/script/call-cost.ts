// What a redis.call (or pcall) counts in a script's instruction budget (script-instructions-max),
// so that host work bounds a script as its Lua instructions do: a script of a million cheap
// calls stops like a loop of a million instructions would. The cost is a function of the
// call's arguments and reply alone, which every replica has the same, so every replica stops
// the same script at the same call.
//
// Calibrated on the development machine (fengari, Node 20; 2026-12-06): a SET or INCR from a
// script takes 35–70 times an empty loop's instruction, a GET of a 100 KB value about 500
// times, an LRANGE of 1000 elements about 1000 times (test/kv/script-commands.test.ts keeps
// the figures honest only in shape; they are estimates, rounded up).

import type { Reply } from '../reply.js';

/** What any call counts: the command table lookup, the checks, the handler, the conversions. */
export const CALL_INSTRUCTIONS = 100;
/** Each element of the reply (an array's, a map's pair counts two) becomes a Lua value. */
const ELEMENT_INSTRUCTIONS = 1;
/** Bytes of arguments and of reply strings copied between Lua and the command per instruction. */
const BYTES_PER_INSTRUCTION = 256;

/** The instructions a call of `argv` that answered `reply` counts. */
export function callInstructions(argv: readonly Uint8Array[], reply: Reply): number {
  let bytes = 0;
  for (const part of argv) bytes += part.length;
  const { elements, bytes: replyBytes } = replySize(reply);
  return CALL_INSTRUCTIONS + elements * ELEMENT_INSTRUCTIONS + Math.floor((bytes + replyBytes) / BYTES_PER_INSTRUCTION);
}

/** Elements and string bytes of a reply, nested ones included. */
function replySize(reply: Reply): { elements: number; bytes: number } {
  const size = { elements: 0, bytes: 0 };
  const pending: Reply[] = [reply];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    switch (next.kind) {
      case 'bulk':
        size.bytes += next.value?.length ?? 0;
        break;
      case 'simple':
      case 'verbatim':
        size.bytes += next.value.length;
        break;
      case 'error':
        size.bytes += next.message.length;
        break;
      case 'array':
      case 'set':
      case 'push':
        size.elements += next.value?.length ?? 0;
        if (next.value !== null) pending.push(...next.value);
        break;
      case 'map':
      case 'pairs':
        size.elements += 2 * next.value.length;
        for (const [key, value] of next.value) pending.push(key, value);
        break;
      default:
        break;
    }
  }
  return size;
}
