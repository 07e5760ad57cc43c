// Geo commands and COPY against a real redis-server: the same sequences give the same
// replies, errors included (coordinates as Redis prints them, distances to 4 digits, search
// results in Redis's cell order), and random points searched by radius and box agree
// (property). Skipped when redis-server is missing.

import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { redisServerPath, startRedis, type RedisInstance } from './redis-server.js';
import { compareSteps, type Step } from './redis-compare-support.js';

const path = redisServerPath();

const steps = (rows: readonly (readonly string[])[]): Step[] => rows.map((args) => ({ args }));

const places = ['GEOADD', 'Sicily', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania', '12.758489', '38.788135', 'edge1', '17.241510', '38.788135', 'edge2'];

const sequences: Record<string, readonly (readonly string[])[]> = {
  'GEOADD GEOPOS GEOHASH GEODIST': [
    places, ['GEOPOS', 'Sicily', 'Palermo', 'nope', 'Catania'], ['GEOHASH', 'Sicily', 'Palermo', 'Catania', 'nope'], ['GEODIST', 'Sicily', 'Palermo', 'Catania'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'km'], ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'MI'], ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'ft'],
    ['GEODIST', 'Sicily', 'Palermo', 'nope'], ['GEODIST', 'nokey', 'a', 'b'], ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'yards'], ['GEODIST', 'Sicily', 'a', 'b', 'km', 'x'],
    ['ZRANGE', 'Sicily', '0', '-1', 'WITHSCORES'], ['GEOADD', 'Sicily', 'NX', '13', '38', 'Palermo', '1', '1', 'new'], ['GEOADD', 'Sicily', 'XX', 'CH', '13', '38', 'Palermo', '2', '2', 'other'],
    ['GEOPOS', 'Sicily', 'Palermo', 'new', 'other'], ['GEOADD', 'Sicily', 'NX', 'XX', '1', '1', 'a'], ['GEOADD', 'Sicily', '1', '1'], ['GEOADD', 'Sicily', 'ch', '1', '1'],
    ['GEOADD', 'Sicily', '200', '100', 'bad'], ['GEOADD', 'Sicily', '1', '86', 'bad'], ['GEOADD', 'Sicily', 'x', '1', 'bad'], ['GEOADD', 'Sicily', '1', 'inf', 'bad'],
    ['GEOADD', 'Sicily', '-180', '-85.05112878', 'sw', '180', '85.05112878', 'ne', '0', '0', 'zero'], ['GEOPOS', 'Sicily', 'sw', 'ne', 'zero'], ['GEOHASH', 'Sicily', 'sw', 'ne', 'zero'],
    ['ZADD', 'Sicily', '-1', 'neg', '9007199254740993', 'huge'], ['GEOPOS', 'Sicily', 'neg', 'huge'], ['GEOHASH', 'Sicily', 'neg'], ['GEODIST', 'Sicily', 'neg', 'zero'],
    ['SET', 'str', 'x'], ['GEOADD', 'str', '1', '1', 'a'], ['GEOPOS', 'str', 'a'], ['GEOHASH', 'str', 'a'], ['GEODIST', 'str', 'a', 'b'], ['GEOPOS', 'nokey', 'a'], ['GEOHASH', 'nokey', 'a'],
    ['GEOPOS', 'Sicily'], ['GEOHASH', 'Sicily'],
  ],
  'GEORADIUS and GEORADIUSBYMEMBER': [
    places, ['GEORADIUS', 'Sicily', '15', '37', '200', 'km'], ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHDIST', 'WITHCOORD', 'WITHHASH'],
    ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'ASC', 'WITHDIST'], ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'DESC', 'COUNT', '2'],
    ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '1', 'ANY'], ['GEORADIUS', 'Sicily', '15', '37', '0', 'km'], ['GEORADIUS', 'Sicily', '15', '37', '20000', 'km'],
    ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'ANY'], ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '0'], ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', 'x'],
    ['GEORADIUS', 'Sicily', '15', '37', '-1', 'km'], ['GEORADIUS', 'Sicily', '15', '37', 'x', 'km'], ['GEORADIUS', 'Sicily', '15', '37', '1', 'parsec'], ['GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'bogus'],
    ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'dst'], ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'], ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STOREDIST', 'dst', 'COUNT', '2'],
    ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'], ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'dst', 'WITHDIST'], ['GEORADIUS', 'Sicily', '15', '37', '1', 'm', 'STORE', 'dst'], ['EXISTS', 'dst'],
    ['GEORADIUS_RO', 'Sicily', '15', '37', '200', 'km', 'STORE', 'dst'], ['GEORADIUS_RO', 'Sicily', '15', '37', '200', 'km', 'WITHDIST'],
    ['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '300', 'km', 'WITHDIST'], ['GEORADIUSBYMEMBER', 'Sicily', 'nope', '300', 'km'], ['GEORADIUSBYMEMBER', 'nokey', 'nope', 'x', 'y', 'STORE', 'dst'],
    ['GEORADIUSBYMEMBER', 'nokey', 'nope', 'x', 'y'], ['GEORADIUSBYMEMBER_RO', 'Sicily', 'Catania', '100', 'mi', 'WITHCOORD'], ['GEORADIUS', 'nokey', '15', '37', '200', 'km'],
    ['GEORADIUS', 'nokey', '15', '37', '200', 'km', 'STORE', 'Sicily2'], ['SET', 'str', 'x'], ['GEORADIUS', 'str', 'x', 'y', 'z', 'w'], ['GEORADIUS', 'Sicily', '200', '37', '1', 'km'],
  ],
  'GEOSEARCH and GEOSEARCHSTORE': [
    places, ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ASC'], ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', '400', '400', 'km', 'WITHDIST', 'WITHCOORD'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km'], ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'nope', 'BYRADIUS', '1', 'km'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37'], ['GEOSEARCH', 'Sicily', 'BYRADIUS', '1', 'km', 'ASC'], ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'FROMLONLAT', '1', '2', 'BYRADIUS', '1', 'km'],
    ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'BYBOX', '1', '1', 'km'], ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', '-1', '1', 'km'],
    ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', 'w', '1', 'km'], ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', '1', 'h', 'km'],
    ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '500', 'km', 'STORE', 'x'], ['geosearch', 'Sicily', 'BYRADIUS', '500', 'km'], ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'x', 'BYRADIUS', '1', 'km'],
    ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST'], ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
    ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'COUNT', '1'], ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
    ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'WITHDIST'], ['GEOSEARCHSTORE', 'dst', 'nokey', 'FROMMEMBER', 'x', 'BYRADIUS', '1', 'km'], ['EXISTS', 'dst'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'COUNT', '2', 'ANY', 'DESC'],
    ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'FROMMEMBER', 'Catania', 'BYRADIUS', '100', 'km', 'BYRADIUS', '200', 'km', 'WITHDIST'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'FROMLONLAT', '13', '38', 'BYBOX', '1', '1', 'km', 'BYBOX', '400', '400', 'km'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km'], ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'a', 'FROMMEMBER', 'b', 'BYRADIUS', '1', 'km'],
  ],
  'search cells near the poles and across the antimeridian': [
    ['GEOADD', 'k', '-0.15307903289794921875', '85', 'n1', '0.3515625', '85.00019260486917005437', 'n2'], ['GEORADIUSBYMEMBER', 'k', 'n1', '4891.94', 'm'],
    ['GEOADD', 'k', '-4.95211958885192871094', '85', 'n3', '11.25', '85.0511', 'n4'], ['GEORADIUSBYMEMBER', 'k', 'n3', '156544', 'm'],
    ['GEOADD', 'p', '45', '65', 'n1', '-135', '85.05', 'n2'], ['GEORADIUSBYMEMBER', 'p', 'n1', '5009431', 'm'],
    ['GEOADD', 'a', '179.9', '10', 'e', '-179.9', '10', 'w'], ['GEORADIUSBYMEMBER', 'a', 'e', '50', 'km', 'WITHDIST'], ['GEOSEARCH', 'a', 'FROMLONLAT', '180', '10', 'BYBOX', '100', '100', 'km'],
    ['GEOSEARCH', 'p', 'FROMLONLAT', '0', '-85', 'BYRADIUS', '20000', 'km', 'WITHCOORD'],
  ],
  'COPY (one database)': [
    ['SET', 's', 'v'], ['PEXPIRE', 's', '100000'], ['COPY', 's', 't'], ['GET', 't'], ['TTL', 't'], ['COPY', 's', 't'], ['COPY', 's', 't', 'REPLACE'], ['COPY', 's', 's'],
    ['COPY', 'nokey', 't'], ['COPY', 's', 't', 'DB', '0', 'REPLACE'], ['COPY', 's', 't', 'DB', '1'], ['COPY', 's', 't', 'DB', 'x'], ['COPY', 's', 't', 'DB', '-1'], ['COPY', 's', 't', 'DB'],
    ['COPY', 's', 't', 'bogus'], ['RPUSH', 'l', 'a', 'b', 'c'], ['COPY', 'l', 'l2'], ['RPUSH', 'l2', 'd'], ['LRANGE', 'l', '0', '-1'], ['LRANGE', 'l2', '0', '-1'],
    ['HSET', 'h', 'f', 'v', 'g', 'w'], ['COPY', 'h', 'h2'], ['HSET', 'h2', 'f', 'changed'], ['HGETALL', 'h'], ['HGET', 'h2', 'f'], ['SADD', 'set', 'a', 'b'], ['COPY', 'set', 's', 'REPLACE'],
    ['TYPE', 's'], ['SCARD', 's'], ['ZADD', 'z', '1', 'a', '2', 'b'], ['COPY', 'z', 'z2'], ['ZADD', 'z2', '3', 'c'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'z2', '0', '-1', 'WITHSCORES'],
    ['TTL', 's'], ['COPY'], ['COPY', 'a'],
  ],
};

describe('geo and COPY against redis-server', { skip: path === null ? 'redis-server not installed' : false }, () => {
  let redis: RedisInstance;
  before(async () => {
    redis = await startRedis(path as string, ['--databases', '1']);
  });
  after(async () => {
    await redis.stop();
  });

  for (const [name, rows] of Object.entries(sequences)) {
    test(name, async () => {
      await compareSteps(redis, steps(rows));
    });
  }

  // Points often share a cell (equal distances): COUNT then shows that ties come out in the
  // order of Redis's partial quicksort.
  test('random points searched by radius and box agree (property)', async () => {
    const coordinate = (min: number, max: number) => fc.double({ min, max, noNaN: true }).map((value) => value.toFixed(6));
    const point = fc.tuple(coordinate(-180, 180), coordinate(-85, 85));
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(point, fc.constant(['0.000000', '0.000000'] as [string, string])), { minLength: 1, maxLength: 60 }), point, fc.integer({ min: 1, max: 5000 }), async (points, [longitude, latitude], radius) => {
      const add = ['GEOADD', 'g', ...points.flatMap(([x, y], i) => [x, y, `m${i}`])];
      await compareSteps(redis, steps([
        add,
        ['GEORADIUS', 'g', longitude, latitude, String(radius), 'km', 'WITHDIST', 'WITHHASH', 'WITHCOORD'],
        ['GEOSEARCH', 'g', 'FROMLONLAT', longitude, latitude, 'BYBOX', String(radius), String(radius * 2), 'km', 'WITHDIST', 'ASC'],
        ['GEOSEARCH', 'g', 'FROMMEMBER', 'm0', 'BYRADIUS', String(radius), 'mi', 'WITHDIST'],
        ['GEOSEARCH', 'g', 'FROMLONLAT', longitude, latitude, 'BYRADIUS', '20000', 'km', 'COUNT', '3'],
        ['GEORADIUS', 'g', longitude, latitude, '20000', 'km', 'COUNT', '9', 'DESC'],
        ['GEODIST', 'g', 'm0', `m${points.length - 1}`, 'km'], ['GEOHASH', 'g', 'm0'], ['GEOPOS', 'g', 'm0'],
      ]));
    }), { numRuns: 60 });
  });
});
