// Redis's geohash as raftis computes it: the score of a known point (Palermo, as Redis's
// documentation shows it), encode/decode round trips within one cell, 11-character strings,
// search cells that always hold the centre, and a search's test of candidates agreeing with
// measuring each one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  cellScores, earthRadiusMeters, geoDistance, geohashDecode, geohashPoint, geohashScore, geohashString, longitudeRange, mercatorLatitudeRange,
  searchArea, ShapeTest, type GeoPoint, type GeoShape,
} from '../../src/kv/geohash.js';

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

/** The search test as written before ShapeTest (every candidate decoded and measured): the oracle. */
function referenceDistance(shape: GeoShape, point: GeoPoint): number {
  const { longitude, latitude } = shape.center;
  const latitudeDistance = (a: number, b: number): number => earthRadiusMeters * Math.abs(b * (Math.PI / 180) - a * (Math.PI / 180));
  if (shape.kind === 'radius') {
    const distance = geoDistance(longitude, latitude, point.longitude, point.latitude);
    return distance > shape.radius * shape.toMeters ? -1 : distance;
  }
  if (latitudeDistance(point.latitude, latitude) > (shape.height * shape.toMeters) / 2) return -1;
  if (geoDistance(point.longitude, point.latitude, longitude, point.latitude) > (shape.width * shape.toMeters) / 2) return -1;
  return geoDistance(longitude, latitude, point.longitude, point.latitude);
}

const centres = fc.record({ longitude: fc.double({ min: -180, max: 180, noNaN: true }), latitude: fc.double({ min: -85, max: 85, noNaN: true }) });
/** A candidate's score: a point up to `spread` degrees from the centre in each direction (wrapped, clamped to the limits). */
const near = (centre: GeoPoint, east: number, north: number): number => {
  let longitude = centre.longitude + east;
  if (longitude > 180) longitude -= 360;
  if (longitude < -180) longitude += 360;
  return geohashScore(longitude, Math.max(-85.05, Math.min(85.05, centre.latitude + north))) as number;
};
const offsets = fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), fc.integer({ min: -3, max: 2 }));

test('the search test (prefilters, one decode) answers as measuring every candidate does, on and off the boundary (property)', () => {
  fc.assert(fc.property(centres, fc.double({ min: 0, max: 7, noNaN: true }), offsets, fc.constantFrom(1, 1000, 0.3048), (centre, logRadius, [east, north, scale], toMeters) => {
    const radius = 10 ** logRadius / toMeters;
    const score = near(centre, east * 10 ** scale, north * 10 ** scale);
    const point = geohashPoint(score);
    const shapes: GeoShape[] = [
      { kind: 'radius', center: centre, radius, toMeters },
      { kind: 'box', center: centre, width: radius * 2, height: radius, toMeters },
    ];
    // The candidate exactly on the circle, and a hair either side of it.
    const onCircle = geoDistance(centre.longitude, centre.latitude, point.longitude, point.latitude);
    for (const edge of [onCircle, onCircle * (1 - 1e-15), onCircle * (1 + 1e-15)]) shapes.push({ kind: 'radius', center: centre, radius: edge, toMeters: 1 });
    for (const shape of shapes) assert.equal(new ShapeTest(shape).distanceTo(score), referenceDistance(shape, point), JSON.stringify(shape));
  }), { numRuns: 5000 });
});
