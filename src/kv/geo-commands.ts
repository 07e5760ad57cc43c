// Geo commands on sorted sets, as Redis 7 answers them (geo.c): GEOADD stores each point's
// 52-bit geohash as the member's score (through ZADD's rules), GEOPOS/GEOHASH/GEODIST decode
// scores, and the searches (GEORADIUS, GEORADIUSBYMEMBER, their _RO forms, GEOSEARCH,
// GEOSEARCHSTORE) walk the score ranges of Redis's 9 cells in Redis's order, so an unsorted
// reply lists members in the same order as Redis. Arguments are checked in Redis's order,
// after the key's type, so nothing is refused before the key was looked up.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, command, oneKey, parsedCommand, type CommandSpec } from './command-spec.js';
import { mapKeyOf } from './keyspace.js';
import { isKeyword, parseInt64 } from './integer-parse.js';
import { bulkText, CommandError, errorReply, integerReply, nilReply, notFloatError, notIntegerError, syntaxError } from './replies.js';
import { parseScore } from './zset-range.js';
import { memberReplies, storeZset, zsetKind } from './zset-reply.js';
import { zadd, type AddRequest } from './zset-commands.js';
import type { ZSetValue } from './zset-value.js';
import { formatCoordinate, formatFixed } from './fixed-format.js';
import { partialSort } from './partial-sort.js';
import {
  cellScores, geoDistance, geoLatitudeMax, geoLatitudeMin, geoLongitudeMax, geoLongitudeMin,
  geohashPoint, geohashScore, geohashString, searchArea, ShapeTest, type GeoHashBits, type GeoPoint, type GeoShape,
} from './geohash.js';

const text = (bytes: Uint8Array): string => mapKeyOf(bytes);
const fail = (message: string): never => {
  throw new CommandError(errorReply(message));
};

// ---- argument helpers (geo.c's extract*OrReply) ---------------------------------------------

/** getDoubleFromObjectOrReply: `message` replaces the default error text. */
function parseDouble(bytes: Uint8Array, message?: string): number {
  const value = parseScore(bytes);
  if (value === null) throw new CommandError(message === undefined ? notFloatError : errorReply(`ERR ${message}`));
  return value;
}

function parsePoint(argv: readonly Uint8Array[], at: number): GeoPoint {
  const longitude = parseDouble(arg(argv, at));
  const latitude = parseDouble(arg(argv, at + 1));
  if (longitude < geoLongitudeMin || longitude > geoLongitudeMax || latitude < geoLatitudeMin || latitude > geoLatitudeMax) {
    fail(`ERR invalid longitude,latitude pair ${formatFixed(longitude, 6)},${formatFixed(latitude, 6)}`);
  }
  return { longitude, latitude };
}

const units: Readonly<Record<string, number>> = { m: 1, km: 1000, ft: 0.3048, mi: 1609.34 };

/** The unit's metres, case-insensitively. */
function parseUnit(bytes: Uint8Array): number {
  const toMeters = units[text(bytes).toLowerCase()];
  return toMeters ?? fail('ERR unsupported unit provided. please use M, KM, FT, MI');
}

function parseRadius(argv: readonly Uint8Array[], at: number): { readonly radius: number; readonly toMeters: number } {
  const radius = parseDouble(arg(argv, at), 'need numeric radius');
  if (radius < 0) fail('ERR radius cannot be negative');
  return { radius, toMeters: parseUnit(arg(argv, at + 1)) };
}

function parseBox(argv: readonly Uint8Array[], at: number): { readonly width: number; readonly height: number; readonly toMeters: number } {
  const width = parseDouble(arg(argv, at), 'need numeric width');
  const height = parseDouble(arg(argv, at + 1), 'need numeric height');
  if (height < 0 || width < 0) fail('ERR height or width cannot be negative');
  return { width, height, toMeters: parseUnit(arg(argv, at + 2)) };
}

/** A member's position (any score decodes, as in Redis), or null when it is absent. */
function memberPoint(zset: ZSetValue | undefined, member: Uint8Array): GeoPoint | null {
  const score = zset?.score(text(member));
  return score === undefined ? null : geohashPoint(score);
}

function pointOfMember(zset: ZSetValue, member: Uint8Array): GeoPoint {
  return memberPoint(zset, member) ?? fail('ERR could not decode requested zset member');
}

// ---- GEOADD, GEOPOS, GEOHASH, GEODIST -------------------------------------------------------

/** GEOADD's arguments as ZADD's request (every coordinate checked before anything is stored, so before proposing too). */
function parseGeoadd(argv: readonly Uint8Array[]): AddRequest {
  const flags = { nx: false, xx: false, ch: false };
  let at = 2;
  for (; at < argv.length; at++) {
    const option = arg(argv, at);
    if (isKeyword(option, 'nx')) flags.nx = true;
    else if (isKeyword(option, 'xx')) flags.xx = true;
    else if (isKeyword(option, 'ch')) flags.ch = true;
    else break;
  }
  const elements = argv.length - at;
  if (elements % 3 !== 0 || (flags.xx && flags.nx) || elements === 0) throw new CommandError(syntaxError);
  const scores: number[] = [];
  const members: string[] = [];
  for (let j = at; j < argv.length; j += 3) {
    const point = parsePoint(argv, j);
    scores.push(geohashScore(point.longitude, point.latitude) as number);
    members.push(text(arg(argv, j + 2)));
  }
  return { key: arg(argv, 1), scores, members, ...flags, gt: false, lt: false, incr: false };
}

/**
 * A point's coordinates as Redis 7.0 replies them (addReplyHumanLongDouble): RESP3 doubles,
 * RESP2 bulk strings, both with the long double's digits. Distances stay bulk strings in both.
 */
function coordinatesReply(point: GeoPoint): Reply {
  const coordinate = (value: number): Reply => ({ kind: 'double', value, text: formatCoordinate(value) });
  return { kind: 'array', value: [coordinate(point.longitude), coordinate(point.latitude)] };
}

function geopos(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const zset = context.readCollection(arg(argv, 1), zsetKind);
  return {
    kind: 'array',
    value: argv.slice(2).map((member): Reply => {
      const point = memberPoint(zset, member);
      if (point === null) return { kind: 'array', value: null };
      return coordinatesReply(point);
    }),
  };
}

function geohash(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const zset = context.readCollection(arg(argv, 1), zsetKind);
  return {
    kind: 'array',
    value: argv.slice(2).map((member) => {
      const point = memberPoint(zset, member);
      return point === null ? nilReply : bulkText(geohashString(point));
    }),
  };
}

/** addReplyDoubleDistance: "%.4f" as a bulk string. */
function distanceReply(distance: number): Reply {
  return bulkText(formatFixed(distance, 4));
}

function geodist(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  if (argv.length > 5) return syntaxError;
  const toMeters = argv.length === 5 ? parseUnit(arg(argv, 4)) : 1;
  const zset = context.readCollection(arg(argv, 1), zsetKind);
  if (zset === undefined) return nilReply;
  const first = memberPoint(zset, arg(argv, 2));
  const second = memberPoint(zset, arg(argv, 3));
  if (first === null || second === null) return nilReply;
  return distanceReply(geoDistance(first.longitude, first.latitude, second.longitude, second.latitude) / toMeters);
}

// ---- searches ---------------------------------------------------------------------------------

/** Which search command, as georadiusGeneric's flags. */
interface SearchForm {
  readonly center: 'coordinates' | 'member' | 'options';
  /** Accepts STORE/STOREDIST key (GEORADIUS, GEORADIUSBYMEMBER). */
  readonly storeOption: boolean;
  /** GEOSEARCHSTORE: the destination is argument 1, STOREDIST a flag. */
  readonly storeForm: boolean;
}

interface SearchOptions {
  withDist: boolean;
  withHash: boolean;
  withCoord: boolean;
  any: boolean;
  sort: 'none' | 'asc' | 'desc';
  count: number;
  store: Uint8Array | null;
  storeDist: boolean;
  center: GeoPoint | null;
  fromMember: boolean;
  fromLonLat: boolean;
  radius: { readonly radius: number; readonly toMeters: number } | null;
  box: { readonly width: number; readonly height: number; readonly toMeters: number } | null;
}

interface Found {
  readonly member: string;
  readonly score: number;
  readonly point: GeoPoint;
  readonly distance: number;
}

/** georadiusGeneric's option loop; `zset` decodes FROMMEMBER (undefined: the key is absent). */
function parseSearchOptions(form: SearchForm, argv: readonly Uint8Array[], from: number, zset: ZSetValue | undefined, options: SearchOptions): void {
  const searchForm = form.center === 'options';
  for (let i = from; i < argv.length; i++) {
    const option = arg(argv, i);
    const remaining = argv.length - i - 1;
    if (isKeyword(option, 'withdist')) options.withDist = true;
    else if (isKeyword(option, 'withhash')) options.withHash = true;
    else if (isKeyword(option, 'withcoord')) options.withCoord = true;
    else if (isKeyword(option, 'any')) options.any = true;
    else if (isKeyword(option, 'asc')) options.sort = 'asc';
    else if (isKeyword(option, 'desc')) options.sort = 'desc';
    else if (isKeyword(option, 'count') && remaining >= 1) {
      const count = parseInt64(arg(argv, ++i));
      if (count === null) throw new CommandError(notIntegerError);
      if (count <= 0n) fail('ERR COUNT must be > 0');
      options.count = Number(count);
    } else if ((isKeyword(option, 'store') || isKeyword(option, 'storedist')) && remaining >= 1 && form.storeOption) {
      options.store = arg(argv, ++i);
      options.storeDist = isKeyword(option, 'storedist');
    } else if (isKeyword(option, 'storedist') && form.storeForm) {
      options.storeDist = true;
    } else if (isKeyword(option, 'frommember') && remaining >= 1 && searchForm && !options.fromLonLat) {
      const member = arg(argv, ++i);
      if (zset !== undefined) options.center = pointOfMember(zset, member);
      options.fromMember = true;
    } else if (isKeyword(option, 'fromlonlat') && remaining >= 2 && searchForm && !options.fromMember) {
      options.center = parsePoint(argv, i + 1);
      options.fromLonLat = true;
      i += 2;
    } else if (isKeyword(option, 'byradius') && remaining >= 2 && searchForm && options.box === null) {
      options.radius = parseRadius(argv, i + 1);
      i += 2;
    } else if (isKeyword(option, 'bybox') && remaining >= 3 && searchForm && options.radius === null) {
      options.box = parseBox(argv, i + 1);
      i += 3;
    } else {
      throw new CommandError(syntaxError);
    }
  }
}

/** The checks after the options (in Redis's order). */
function checkSearchOptions(form: SearchForm, name: string, options: SearchOptions): void {
  if (options.store !== null && (options.withDist || options.withHash || options.withCoord)) {
    fail(`ERR ${form.storeForm ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS'} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  if (form.center === 'options' && !options.fromLonLat && !options.fromMember) fail(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${name}`);
  if (form.center === 'options' && options.radius === null && options.box === null) fail(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${name}`);
  if (options.any && options.count === 0) fail('ERR the ANY argument requires COUNT argument');
}

function shapeOf(options: SearchOptions): GeoShape {
  const center = options.center as GeoPoint;
  if (options.radius !== null) return { kind: 'radius', center, ...options.radius };
  return { kind: 'box', center, ...(options.box as { readonly width: number; readonly height: number; readonly toMeters: number }) };
}

/** Members of one cell inside the shape, in score order, stopping at `limit` found in all (0 = none). */
function searchCell(zset: ZSetValue, cell: GeoHashBits, test: ShapeTest, limit: number, found: Found[]): void {
  const { min, max } = cellScores(cell);
  const start = zset.countBefore((score) => score >= min);
  const count = zset.countBefore((score) => score >= max) - start;
  // Walked in place, not sliced: with ANY the walk ends at the limit, however crowded the cell.
  zset.walkRuns(start, count, (members, scores, from, to) => {
    for (let i = from; i < to; i++) {
      const score = scores[i] as number;
      const distance = test.distanceTo(score);
      if (distance < 0) continue;
      found.push({ member: members[i] as string, score, point: { longitude: test.pointLongitude, latitude: test.pointLatitude }, distance });
      if (limit !== 0 && found.length >= limit) return false;
    }
    return true;
  });
}

/** membersOfAllNeighbors: the 9 cells in order, a cell equal to the one just searched skipped. */
function searchShape(zset: ZSetValue, shape: GeoShape, limit: number): Found[] {
  const cells = searchArea(shape).cells;
  const test = new ShapeTest(shape);
  const found: Found[] = [];
  let lastSearched = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell === null || cell === undefined) continue;
    const previous = cells[lastSearched];
    if (lastSearched !== 0 && previous !== null && previous !== undefined && previous.bits === cell.bits && previous.step === cell.step) continue;
    if (limit !== 0 && found.length >= limit) break;
    searchCell(zset, cell, test, limit, found);
    lastSearched = i;
  }
  return found;
}

function foundReply(item: Found, member: Reply, options: SearchOptions, toMeters: number): Reply {
  if (!options.withDist && !options.withHash && !options.withCoord) return member;
  const parts: Reply[] = [member];
  if (options.withDist) parts.push(distanceReply(item.distance / toMeters));
  if (options.withHash) parts.push(integerReply(item.score));
  if (options.withCoord) parts.push(coordinatesReply(item.point));
  return { kind: 'array', value: parts };
}

function geoSearch(form: SearchForm) {
  return (context: CommandContext, argv: readonly Uint8Array[]): Reply => {
    const sourceAt = form.storeForm ? 2 : 1;
    const zset = context.readSource(arg(argv, sourceAt), zsetKind);
    const options: SearchOptions = {
      withDist: false, withHash: false, withCoord: false, any: false, sort: 'none', count: 0,
      store: form.storeForm ? arg(argv, 1) : null, storeDist: false, center: null, fromMember: false, fromLonLat: false, radius: null, box: null,
    };
    let from = sourceAt + 1;
    if (form.center === 'coordinates') {
      options.center = parsePoint(argv, 2);
      options.radius = parseRadius(argv, 4);
      from = 6;
    } else if (form.center === 'member') {
      if (zset !== undefined) {
        options.center = pointOfMember(zset, arg(argv, 2));
        options.radius = parseRadius(argv, 3);
      }
      from = 5;
    }
    parseSearchOptions(form, argv, from, zset, options);
    checkSearchOptions(form, text(arg(argv, 0)), options);
    if (zset === undefined) {
      if (options.store === null) return { kind: 'array', value: [] };
      storeZset(context, options.store, []);
      return integerReply(0);
    }
    return answerSearch(context, zset, options);
  };
}

function answerSearch(context: CommandContext, zset: ZSetValue, options: SearchOptions): Reply {
  const sort = options.count !== 0 && options.sort === 'none' && !options.any ? 'asc' : options.sort;
  const shape = shapeOf(options);
  const found = searchShape(zset, shape, options.any ? options.count : 0);
  const returning = options.count === 0 ? found.length : Math.min(found.length, options.count);
  if (sort !== 'none') {
    // Redis's comparators answer 0 for equal distances: qsort (stable) or, when COUNT cuts, its partial quicksort.
    const ascending = (a: Found, b: Found): number => (a.distance > b.distance ? 1 : a.distance === b.distance ? 0 : -1);
    const compare = sort === 'asc' ? ascending : (a: Found, b: Found): number => -ascending(a, b);
    if (returning === found.length) found.sort(compare);
    else partialSort(found, compare, 0, returning - 1);
  }
  const returned = found.slice(0, returning);
  if (options.store === null) {
    const members = memberReplies(returned.map((item) => item.member));
    return { kind: 'array', value: returned.map((item, i) => foundReply(item, members[i] as Reply, options, shape.toMeters)) };
  }
  storeZset(context, options.store, returned.map((item) => ({ member: item.member, score: options.storeDist ? item.distance / shape.toMeters : item.score })));
  return integerReply(returned.length);
}

/** GEORADIUS/GEORADIUSBYMEMBER write only with STORE, but like Redis they are write commands (they go through the log). */
export const geoCommands: readonly CommandSpec[] = [
  parsedCommand('geoadd', -5, ['write', 'denyoom'], oneKey, parseGeoadd, zadd),
  command('geopos', -2, ['readonly'], oneKey, geopos),
  command('geohash', -2, ['readonly'], oneKey, geohash),
  command('geodist', -4, ['readonly'], oneKey, geodist),
  command('georadius', -6, ['write', 'denyoom', 'movablekeys'], oneKey, geoSearch({ center: 'coordinates', storeOption: true, storeForm: false })),
  command('georadius_ro', -6, ['readonly'], oneKey, geoSearch({ center: 'coordinates', storeOption: false, storeForm: false })),
  command('georadiusbymember', -5, ['write', 'denyoom', 'movablekeys'], oneKey, geoSearch({ center: 'member', storeOption: true, storeForm: false })),
  command('georadiusbymember_ro', -5, ['readonly'], oneKey, geoSearch({ center: 'member', storeOption: false, storeForm: false })),
  command('geosearch', -7, ['readonly'], oneKey, geoSearch({ center: 'options', storeOption: false, storeForm: false })),
  command('geosearchstore', -8, ['write', 'denyoom'], [1, 2, 1], geoSearch({ center: 'options', storeOption: false, storeForm: true })),
];
