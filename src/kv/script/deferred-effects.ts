// The state machine's side of deferred effects, in the shape the Raft runtime drives
// (node/ports.ts DeferredEffects, matched structurally: kv imports no runtime types). The
// runtime decides when an entry is applied and how; this decides what a script entry is and
// what its record holds (docs/internals/scripting.md, "Deferred effects").

import type { Reply } from '../reply.js';
import type { KvStateMachine } from '../state-machine.js';
import { decodeEffectsEntry, encodeEffectsEntry, entryMayRunScript, isEffectsEntry, type EffectsRecordAt } from './effects-entry.js';

/** What the runtime hands over of a log entry. */
interface LoggedEntry {
  readonly index: number;
  readonly data: Uint8Array;
}

/**
 * The runtime's DeferredEffects over `kv`. `around` wraps each apply the way the caller wraps plain ones (the server times it and
 * delivers a batch's replies; the simulator notes it): the same for a run, a recording and a
 * replay.
 */
export function kvDeferredEffects<Entry extends LoggedEntry>(kv: KvStateMachine, around: (entry: Entry, apply: () => Reply) => Reply) {
  return {
    awaitsRecord: (entry: Entry): boolean => kv.replicatedSettings.values.scriptEffects && entryMayRunScript(entry.data),
    recordsIn: (entry: Entry): readonly EffectsRecordAt[] | null => {
      if (!isEffectsEntry(entry.data)) return null;
      const records = decodeEffectsEntry(entry.data);
      // Every node decodes the same bytes alike: one it cannot read resolves nothing, and the
      // entries it named are run instead (the same outcome).
      return records instanceof Error ? [] : records;
    },
    applyRecording: (entry: Entry): { readonly result: Reply; readonly record: EffectsRecordAt } => {
      let runs: EffectsRecordAt['runs'] = null;
      const result = around(entry, () => {
        const recorded = kv.applyRecording(entry.index, entry.data);
        runs = recorded.effects;
        return recorded.reply;
      });
      return { result, record: { index: entry.index, runs } };
    },
    applyReplaying: (entry: Entry, record: EffectsRecordAt): Reply => {
      const runs = record.runs;
      return around(entry, () => (runs === null ? kv.apply(entry.index, entry.data) : kv.applyReplaying(entry.index, entry.data, runs)));
    },
    encode: (records: readonly EffectsRecordAt[]): Uint8Array => encodeEffectsEntry(records),
  };
}
