// Every collection type's snapshot codec, by type name and by code: the one place a new
// type is registered for snapshots (its commands register in commands.ts).

import { hashCodec } from './hash-value.js';
import { zsetCodec } from './zset-value.js';
import { setCodec } from './set-value.js';
import { listCodec } from './list-value.js';
import { streamCodec, streamCodecWithoutNodeSizes } from './stream-value.js';
import type { CollectionCodec, CollectionTypeName } from './value.js';

const codecs: readonly CollectionCodec[] = [hashCodec, zsetCodec, listCodec, setCodec, streamCodec];

/** Formats still read but no longer written. */
const readOnlyCodecs: readonly CollectionCodec[] = [streamCodecWithoutNodeSizes];

const byCode = new Map<number, CollectionCodec>([...codecs, ...readOnlyCodecs].map((codec) => [codec.code, codec]));
const byType = new Map<CollectionTypeName, CollectionCodec>(codecs.map((codec) => [codec.type, codec]));

export function codecByCode(code: number): CollectionCodec | undefined {
  return byCode.get(code);
}

export function codecOf(type: CollectionTypeName): CollectionCodec {
  const codec = byType.get(type);
  if (codec === undefined) throw new Error(`no snapshot codec for the ${type} type`);
  return codec;
}
