// The public surface of src/check/: history recording for harnesses, the checker, and
// the check-history command.
export type { HistoryOp, KvOp, KvResult, KvFunction } from './history.js';
export { OK, resultMismatch } from './history.js';
export { HistoryRecorder } from './history-recorder.js';
export type { Model, Rejected } from './model.js';
export { REJECTED } from './model.js';
export { registerModel } from './register-model.js';
export type { RegisterOp, RegisterResult } from './register-model.js';
export { kvKeyModel } from './kv-model.js';
export type { KeyState } from './kv-model.js';
export { LinearizabilitySearch, searchLinearization } from './linearizability.js';
export type { Operation, SearchBudget, SearchOutcome, SearchVerdict } from './linearizability.js';
export { checkKvHistory, partitionByKey, cutHistory, CHECK_TIMEOUT_MS_DEFAULT, MEMO_ENTRIES_MAX_DEFAULT } from './check-kv-history.js';
export type { CheckOptions, CheckResult, Violation } from './check-kv-history.js';
export { formatOp, formatHistory, describeOp } from './format-history.js';
export { parseHistory, detectFormat } from './parse-history.js';
export { parseJepsen, REGISTER_KEY } from './parse-jepsen.js';
export { parseEdn } from './parse-edn.js';
export { parseJsonl, formatJsonl, readHistoryOp } from './parse-jsonl.js';
export type { HistoryFormat, ParsedHistory, ParseResult } from './parsed-history.js';
export {
  checkHistoryCommand,
  describeCheckResult,
  EXIT_LINEARIZABLE,
  EXIT_NOT_LINEARIZABLE,
  EXIT_UNDECIDED,
  EXIT_USAGE,
  EXIT_BAD_INPUT,
  EXIT_NO_INPUT,
} from './check-history-command.js';
export type { CommandOutput } from './check-history-command.js';
export type { MicroOp, TxnOp } from './txn-history.js';
export { describeTxnOp } from './txn-history.js';
export { checkListAppend, CYCLE_SEARCH_EDGE_VISITS_MAX } from './check-list-append.js';
export type { AnomalyType, CycleAnomaly, CycleStep, CycleType, ListAppendResult } from './check-list-append.js';
export { TxnHistoryError } from './list-append-graph.js';
export type { ReadAnomaly, ReadAnomalyType } from './list-append-graph.js';
export { describeListAppendResult, describeCycle } from './format-list-append.js';
export { parseTxnHistory, parseTxnEdn, parseTxnJsonl, formatTxnJsonl, looksLikeTxnHistory } from './parse-txn-history.js';
export type { TxnFormat, TxnParseResult } from './parse-txn-history.js';
export { checkStreamHistory, compareStreamIds, describeStreamResult, StreamHistoryError } from './check-stream.js';
export type { StreamAdd, StreamCheckResult, StreamDelivery, StreamEntry, StreamHistory, StreamRead } from './check-stream.js';
