// Set algebra over sorted sets: ZUNION, ZINTER, ZDIFF (and their STORE forms) with WEIGHTS,
// AGGREGATE SUM|MIN|MAX and WITHSCORES, and ZINTERCARD with LIMIT, as Redis 7 computes them
// (zunionInterDiffGenericCommand): inputs in ascending size (a stable order), a weighted
// score that is NaN counts as 0, a SUM of +inf and -inf is 0, results ordered by score.
// Plain sets are inputs too, each member with score 1. Redis looks the keys up (WRONGTYPE)
// before it reads the options, so an option error is kept by the parse and answered after.

import type { ErrorReply, Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, parsedCommand, type CommandSpec, type KeyPositions } from './command-spec.js';
import { isKeyword } from './integer-parse.js';
import { CommandError, errorReply, integerReply, syntaxError, wrongTypeError } from './replies.js';
import { parseScore } from './zset-range.js';
import { parseLong, scoredMembersReply, storeZset } from './zset-reply.js';
import { ZSetValue, type ScoredMember } from './zset-value.js';
import { compareKeys } from './order-tree.js';
import { isCollection } from './value.js';
import { SetValue } from './set-value.js';

type Operation = 'union' | 'inter' | 'diff';
type Aggregate = 'sum' | 'min' | 'max';

interface AlgebraOptions {
  readonly weights: readonly number[] | null;
  readonly aggregate: Aggregate;
  readonly withScores: boolean;
  /** ZINTERCARD's LIMIT; 0 = none. */
  readonly limit: number;
}

interface AlgebraRequest {
  readonly destination: Uint8Array | null;
  readonly keys: readonly Uint8Array[];
  /** The options, or the error Redis answers for them once the keys are found to be of the right types. */
  readonly options: AlgebraOptions | ErrorReply;
}

/** How a command of the family reads its arguments. */
interface AlgebraForm {
  readonly name: string;
  readonly operation: Operation;
  readonly store: boolean;
  readonly cardinality: boolean;
}

const weightError = errorReply('ERR weight value is not a float');
const limitError = errorReply("ERR LIMIT can't be negative");

function parseOptions(form: AlgebraForm, argv: readonly Uint8Array[], from: number, keyCount: number): AlgebraOptions {
  let weights: number[] | null = null;
  let aggregate: Aggregate = 'sum';
  let withScores = false;
  let limit = 0;
  const weighable = form.operation !== 'diff' && !form.cardinality;
  for (let j = from; j < argv.length;) {
    const option = arg(argv, j);
    const remaining = argv.length - j;
    if (weighable && remaining >= keyCount + 1 && isKeyword(option, 'weights')) {
      weights = argv.slice(j + 1, j + 1 + keyCount).map((bytes) => {
        const weight = parseScore(bytes);
        if (weight === null) throw new CommandError(weightError);
        return weight;
      });
      j += keyCount + 1;
    } else if (weighable && remaining >= 2 && isKeyword(option, 'aggregate')) {
      const name = arg(argv, j + 1);
      const found = (['sum', 'min', 'max'] as const).find((candidate) => isKeyword(name, candidate));
      if (found === undefined) throw new CommandError(syntaxError);
      aggregate = found;
      j += 2;
    } else if (!form.store && !form.cardinality && isKeyword(option, 'withscores')) {
      withScores = true;
      j += 1;
    } else if (form.cardinality && remaining >= 2 && isKeyword(option, 'limit')) {
      limit = parseLong(arg(argv, j + 1), limitError);
      if (limit < 0) throw new CommandError(limitError);
      j += 2;
    } else {
      throw new CommandError(syntaxError);
    }
  }
  return { weights, aggregate, withScores, limit };
}

function parseAlgebra(form: AlgebraForm) {
  return (argv: readonly Uint8Array[]): AlgebraRequest => {
    const numkeysAt = form.store ? 2 : 1;
    const keyCount = parseLong(arg(argv, numkeysAt));
    if (keyCount < 1) throw new CommandError(errorReply(`ERR at least 1 input key is needed for '${form.name}' command`));
    if (keyCount > argv.length - numkeysAt - 1) throw new CommandError(syntaxError);
    const keysEnd = numkeysAt + 1 + keyCount;
    let options: AlgebraOptions | ErrorReply;
    try {
      options = parseOptions(form, argv, keysEnd, keyCount);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      options = error.reply;
    }
    return { destination: form.store ? arg(argv, 1) : null, keys: argv.slice(numkeysAt + 1, keysEnd), options };
  };
}

// ---- inputs ----------------------------------------------------------------------------------

/** One input: a sorted set, a plain set (scores 1) or a missing key (empty). */
interface Source {
  readonly length: number;
  readonly weight: number;
  score(member: string): number | undefined;
  /** Every member and score, a sorted set's in ascending order. */
  forEach(visit: (member: string, score: number) => void): void;
}

const emptySource = (weight: number): Source => ({ length: 0, weight, score: () => undefined, forEach: () => {} });

/** Looks the keys up in order: WRONGTYPE (thrown) for a key that is neither a sorted set nor a set. */
function loadSources(context: CommandContext, keys: readonly Uint8Array[], weights: readonly number[] | null): Source[] {
  return keys.map((key, i) => {
    const weight = weights?.[i] ?? 1;
    const stored = context.lookupRead(key)?.stored;
    if (stored === undefined) return emptySource(weight);
    if (!isCollection(stored)) throw new CommandError(wrongTypeError);
    if (stored instanceof ZSetValue) {
      return { length: stored.length, weight, score: (member) => stored.score(member), forEach: (visit) => stored.forEach(visit) };
    }
    if (stored instanceof SetValue) {
      return {
        length: stored.length,
        weight,
        score: (member) => (stored.has(member) ? 1 : undefined),
        forEach: (visit) => {
          for (const member of stored.values()) visit(member, 1);
        },
      };
    }
    throw new CommandError(wrongTypeError);
  });
}

// ---- the operations ----------------------------------------------------------------------------

function weighted(score: number, weight: number): number {
  const value = score * weight;
  return Number.isNaN(value) ? 0 : value;
}

function aggregateInto(target: number, value: number, aggregate: Aggregate): number {
  if (aggregate === 'min') return value < target ? value : target;
  if (aggregate === 'max') return value > target ? value : target;
  const sum = target + value;
  return Number.isNaN(sum) ? 0 : sum;
}

function bySize(sources: readonly Source[]): Source[] {
  return [...sources].sort((a, b) => a.length - b.length);
}

function union(sources: readonly Source[], aggregate: Aggregate): ScoredMember[] {
  const scores = new Map<string, number>();
  for (const source of bySize(sources)) {
    source.forEach((member, score) => {
      const value = weighted(score, source.weight);
      const current = scores.get(member);
      scores.set(member, current === undefined ? value : aggregateInto(current, value, aggregate));
    });
  }
  return Array.from(scores, ([member, score]) => ({ member, score }));
}

/** Members in every input with their aggregated scores; stops after `limit` (0 = all). */
function intersection(sources: readonly Source[], aggregate: Aggregate, limit: number): ScoredMember[] {
  const [smallest, ...others] = bySize(sources) as [Source, ...Source[]];
  const result: ScoredMember[] = [];
  if (smallest.length === 0) return result;
  smallest.forEach((member, score) => {
    if (limit > 0 && result.length >= limit) return;
    let total = weighted(score, smallest.weight);
    for (const other of others) {
      const found = other.score(member);
      if (found === undefined) return;
      total = aggregateInto(total, found * other.weight, aggregate);
    }
    result.push({ member, score: total });
  });
  return result;
}

function difference(sources: readonly Source[]): ScoredMember[] {
  const [first, ...others] = sources as [Source, ...Source[]];
  const result: ScoredMember[] = [];
  first.forEach((member, score) => {
    if (others.every((other) => other.score(member) === undefined)) result.push({ member, score });
  });
  return result;
}

function compute(form: AlgebraForm, sources: readonly Source[], options: AlgebraOptions): ScoredMember[] {
  if (form.operation === 'union') return union(sources, options.aggregate);
  if (form.operation === 'inter') return intersection(sources, options.aggregate, options.limit);
  return difference(sources);
}

function run(form: AlgebraForm) {
  return (context: CommandContext, request: AlgebraRequest): Reply => {
    const options = request.options;
    const sources = loadSources(context, request.keys, 'kind' in options ? null : options.weights);
    if ('kind' in options) return options;
    const items = compute(form, sources, options);
    if (form.cardinality) return integerReply(items.length);
    if (request.destination !== null) {
      storeZset(context, request.destination, items);
      return integerReply(items.length);
    }
    items.sort((a, b) => compareKeys(a.score, a.member, b.score, b.member));
    return scoredMembersReply(items, options.withScores);
  };
}

const movableKeys: KeyPositions = [0, 0, 0];
/** The STORE forms: COMMAND shows the destination alone (the sources are movable keys). */
const destinationKey: KeyPositions = [1, 1, 1];

function row(name: string, operation: Operation, store: boolean, cardinality = false): CommandSpec {
  const form: AlgebraForm = { name, operation, store, cardinality };
  return store
    ? parsedCommand(name, -4, ['write', 'denyoom', 'movablekeys'], destinationKey, parseAlgebra(form), run(form))
    : parsedCommand(name, -3, ['readonly', 'movablekeys'], movableKeys, parseAlgebra(form), run(form));
}

export const zsetAlgebraCommands: readonly CommandSpec[] = [
  row('zunion', 'union', false),
  row('zunionstore', 'union', true),
  row('zinter', 'inter', false),
  row('zinterstore', 'inter', true),
  row('zintercard', 'inter', false, true),
  row('zdiff', 'diff', false),
  row('zdiffstore', 'diff', true),
];
