// XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS and XINFO HELP, in Redis 7.0's
// field order. Idle times are judged at the read point's cluster time. The radix-tree
// fields are what Redis would show for the nodes stream-value.ts keeps track of.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, type CommandSpec, command } from './command-spec.js';
import { isKeyword } from './integer-parse.js';
import { CommandError, errorReply, integerReply, nilReply, noSuchKeyError, syntaxError } from './replies.js';
import type { StreamValue } from './stream-value.js';
import type { StreamGroup } from './stream-group.js';
import { streamIdBytes, STREAM_ID_MAX, type StreamId } from './stream-id.js';
import { entriesReply, entryReply, parseCount, rangeOf, streamKind } from './stream-commands.js';
import { groupLag } from './stream-group-commands.js';

const bulk = (text: string): Reply => ({ kind: 'bulk', value: Buffer.from(text, 'latin1') });
const idReply = (id: StreamId): Reply => ({ kind: 'bulk', value: streamIdBytes(id) });
const int = (value: number): Reply => integerReply(value);
const map = (pairs: readonly (readonly [string, Reply])[]): Reply => ({ kind: 'map', value: pairs.map(([name, value]) => [bulk(name), value] as const) });

function streamOf(context: CommandContext, key: Uint8Array): StreamValue {
  const stream = context.readCollection(key, streamKind);
  if (stream === undefined) throw new CommandError(noSuchKeyError);
  return stream;
}

function edgeEntry(stream: StreamValue, last: boolean): Reply {
  if (stream.entryCount === 0) return nilReply;
  const index = last ? stream.entryCount - 1 : 0;
  return entryReply(stream.idAt(index), stream.fieldsAt(index));
}

function header(stream: StreamValue): (readonly [string, Reply])[] {
  return [
    ['length', int(stream.entryCount)],
    // An emptied stream has no nodes left, as in Redis; the inner-node count is an estimate
    // (Redis's depends on how the node keys share prefixes): the keys plus the root.
    ['radix-tree-keys', int(stream.nodeCount)],
    ['radix-tree-nodes', int(stream.nodeCount + 1)],
    ['last-generated-id', idReply(stream.lastId)],
    ['max-deleted-entry-id', idReply(stream.maxDeletedId)],
    ['entries-added', int(stream.entriesAdded)],
    ['recorded-first-entry-id', idReply(stream.firstId)],
  ];
}

function lagReply(stream: StreamValue, group: StreamGroup): Reply {
  const lag = groupLag(stream, group);
  return lag === null ? nilReply : int(lag);
}

function entriesReadReply(group: StreamGroup): Reply {
  return group.entriesRead < 0 ? nilReply : int(group.entriesRead);
}

function xinfoStream(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const stream = streamOf(context, arg(argv, 2));
  if (argv.length === 3) {
    return map([...header(stream), ['groups', int(stream.groups.size)], ['first-entry', edgeEntry(stream, false)], ['last-entry', edgeEntry(stream, true)]]);
  }
  // Redis's addReplySubcommandSyntaxError for any other shape.
  const shapeError = errorReply(`ERR unknown subcommand or wrong number of arguments for '${Buffer.from(arg(argv, 1)).toString('latin1')}'. Try XINFO HELP.`);
  if (!isKeyword(arg(argv, 3), 'full') || (argv.length !== 4 && argv.length !== 6)) throw new CommandError(shapeError);
  let count = 10;
  if (argv.length === 6) {
    if (!isKeyword(arg(argv, 4), 'count')) throw new CommandError(syntaxError);
    const value = parseCount(arg(argv, 5));
    count = value < 0n ? 10 : Number(value > 1_000_000_000n ? 1_000_000_000n : value);
  }
  const groups = [...stream.groups.values()].sort(byName).map((group) => fullGroup(context, stream, group, count));
  return map([...header(stream), ['entries', entriesReply(rangeOf(stream, 0n, STREAM_ID_MAX, count))], ['groups', { kind: 'array', value: groups }]]);
}

function fullGroup(context: CommandContext, stream: StreamValue, group: StreamGroup, count: number): Reply {
  const pending = group.pendingRange(0n, STREAM_ID_MAX, count).map((entry): Reply => ({
    kind: 'array', value: [idReply(entry.id), bulk(entry.consumer), int(entry.deliveryTime), int(entry.deliveryCount)],
  }));
  const consumers = [...group.consumers.values()].sort(byName).map((consumer) => map([
    ['name', bulk(consumer.name)],
    ['seen-time', int(consumer.seenTime)],
    ['pel-count', int(consumer.pending.size)],
    ['pending', { kind: 'array', value: group.pendingRange(0n, STREAM_ID_MAX, count, consumer.name).map((entry): Reply => ({ kind: 'array', value: [idReply(entry.id), int(entry.deliveryTime), int(entry.deliveryCount)] })) }],
  ]));
  return map([
    ['name', bulk(group.name)],
    ['last-delivered-id', idReply(group.lastId)],
    ['entries-read', entriesReadReply(group)],
    ['lag', lagReply(stream, group)],
    ['pel-count', int(group.pendingCount)],
    ['pending', { kind: 'array', value: pending }],
    ['consumers', { kind: 'array', value: consumers }],
  ]);
}

function byName(a: { readonly name: string }, b: { readonly name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function xinfoGroups(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const stream = streamOf(context, arg(argv, 2));
  return {
    kind: 'array',
    value: [...stream.groups.values()].sort(byName).map((group) => map([
      ['name', bulk(group.name)],
      ['consumers', int(group.consumers.size)],
      ['pending', int(group.pendingCount)],
      ['last-delivered-id', idReply(group.lastId)],
      ['entries-read', entriesReadReply(group)],
      ['lag', lagReply(stream, group)],
    ])),
  };
}

function xinfoConsumers(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const key = arg(argv, 2);
  const name = Buffer.from(arg(argv, 3)).toString('latin1');
  const group = streamOf(context, key).groups.get(name);
  if (group === undefined) return errorReply(`NOGROUP No such consumer group '${name}' for key name '${Buffer.from(key).toString('latin1')}'`);
  return {
    kind: 'array',
    value: [...group.consumers.values()].sort(byName).map((consumer) => map([
      ['name', bulk(consumer.name)],
      ['pending', int(consumer.pending.size)],
      ['idle', int(Math.max(0, context.nowMs - consumer.seenTime))],
    ])),
  };
}

const XINFO_HELP = [
  'XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
  'HELP',
  '    Prints this help.',
];

function xinfo(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const sub = Buffer.from(arg(argv, 1)).toString('latin1').toLowerCase();
  const wrongArgs = errorReply(`ERR wrong number of arguments for 'xinfo|${sub}' command`);
  switch (sub) {
    case 'help':
      return argv.length === 2 ? { kind: 'array', value: XINFO_HELP.map((line) => ({ kind: 'simple', value: line })) } : wrongArgs;
    case 'stream':
      return argv.length >= 3 ? xinfoStream(context, argv) : wrongArgs;
    case 'groups':
      return argv.length === 3 ? xinfoGroups(context, argv) : wrongArgs;
    case 'consumers':
      return argv.length === 4 ? xinfoConsumers(context, argv) : wrongArgs;
    default:
      return errorReply(`ERR unknown subcommand '${Buffer.from(arg(argv, 1)).toString('latin1')}'. Try XINFO HELP.`);
  }
}

export const streamInfoCommands: readonly CommandSpec[] = [
  command('xinfo', -2, ['readonly'], [2, 2, 1], xinfo),
];
