// ZSCAN: members and scores of a sorted set by position (collection-scan.ts): a full
// iteration returns every member present from its start to its end, members added meanwhile
// may be missed or not, as Redis allows. Scores are bulk strings in %.17g in both protocols,
// as Redis's d2string writes them.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { oneKey, parsedCommand, type CommandSpec } from './command-spec.js';
import { emptyScanReply, parseCollectionScan, scanMatches, scanPositions, scanReply, type CollectionScan } from './collection-scan.js';
import { formatRedisDouble } from '../base/double-format.js';
import { bulkText } from './replies.js';
import { memberReply, zsetKind } from './zset-reply.js';

function zscan(context: CommandContext, request: CollectionScan): Reply {
  const zset = context.readCollection(request.key, zsetKind);
  if (zset === undefined) return emptyScanReply;
  if (request.optionError !== null) return request.optionError;
  const items: Reply[] = [];
  const next = scanPositions(zset.length, request.cursor, request.count, (position) => {
    const { member, score } = zset.at(position);
    if (scanMatches(request, member)) items.push(memberReply(member), bulkText(formatRedisDouble(score)));
  });
  return scanReply(next, items);
}

export const zsetScanCommands: readonly CommandSpec[] = [
  parsedCommand('zscan', -3, ['readonly'], oneKey, parseCollectionScan, zscan),
];
