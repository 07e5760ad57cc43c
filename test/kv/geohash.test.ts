// Redis's geohash as raftis computes it: the score of a known point (Palermo, as Redis's
// documentation shows it), encode/decode round trips within one cell, 11-character strings,
// and search cells that always hold the centre.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cellScores, geohashDecode, geohashPoint, geohashScore, geohashString, longitudeRange, mercatorLatitudeRange, searchArea } from '../../src/kv/geohash.js';

test('the score of Palermo is the one Redis stores', () => {
  assert.equal(geohashScore(13.361389, 38.115556), 3479099956230698);
  assert.equal(geohashString(geohashPoint(3479099956230698)), 'sqc8b49rny0');
});

test('points outside Redis\'s limits have no score', () => {
  assert.equal(geohashScore(180.1, 0), null);
  assert.equal(geohashScore(0, 85.06), null);
});

// At the very top edges (longitude 180, latitude 85.05112878) the offset rounds up to 2^26 and
// spills into bit 52, as it does in Redis (the differential test checks those corners).
test('encode then decode lands within one cell of the point (property)', () => {
  const cellLongitude = 360 / 2 ** 26;
  const cellLatitude = (2 * 85.05112878) / 2 ** 26;
  fc.assert(fc.property(fc.double({ min: -180, max: 179.9999, noNaN: true }), fc.double({ min: -85.05112878, max: 85.05, noNaN: true }), (longitude, latitude) => {
    const score = geohashScore(longitude, latitude);
    assert.ok(score !== null && Number.isSafeInteger(score) && score >= 0 && score < 2 ** 52);
    const point = geohashPoint(score);
    assert.ok(Math.abs(point.longitude - longitude) <= cellLongitude, `longitude ${longitude} → ${point.longitude}`);
    assert.ok(Math.abs(point.latitude - latitude) <= cellLatitude, `latitude ${latitude} → ${point.latitude}`);
    assert.equal(geohashScore(point.longitude, point.latitude), score);
  }), { numRuns: 2000 });
});

test('the first search cell holds the centre\'s own score (property)', () => {
  fc.assert(fc.property(fc.double({ min: -180, max: 180, noNaN: true }), fc.double({ min: -85, max: 85, noNaN: true }), fc.double({ min: 0, max: 5e6, noNaN: true }), (longitude, latitude, radius) => {
    const score = geohashScore(longitude, latitude) as number;
    const centre = searchArea({ kind: 'radius', center: { longitude, latitude }, radius, toMeters: 1 }).cells[0];
    assert.ok(centre !== null && centre !== undefined);
    const { min, max } = cellScores(centre);
    assert.ok(min <= score && score < max, `${score} outside [${min}, ${max})`);
  }), { numRuns: 1000 });
});

test('decoding a score by 26-bit halves agrees with the 64-bit decode (property)', () => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 52n - 1n }), (bits) => {
    const area = geohashDecode(longitudeRange, mercatorLatitudeRange, { bits, step: 26 });
    const point = geohashPoint(Number(bits));
    assert.equal(point.longitude, (area.longitude.min + area.longitude.max) / 2);
    assert.equal(point.latitude, Math.min(85.05112878, Math.max(-85.05112878, (area.latitude.min + area.latitude.max) / 2)));
  }), { numRuns: 2000 });
});
