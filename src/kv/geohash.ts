// Redis's geohash (geohash.c, geohash_helper.c), so that sorted-set scores, positions,
// distances and search areas come out bit for bit as Redis computes them: a point is its
// longitude and latitude quantized to 26 bits each over [-180, 180] × [-85.05112878,
// 85.05112878] (the Web Mercator limit) and interleaved into a 52-bit integer, latitude in
// the even bits and longitude in the odd ones; that integer is the member's score. A search
// covers its shape with a box of the hash at a coarser step and the box's 8 neighbours.
// Distances are haversine on a sphere of Redis's earth radius, in the same operation order
// as Redis's C code (V8's sin/cos/asin may differ from glibc's in the last bit).

export const geoStepMax = 26;
export const geoLongitudeMin = -180;
export const geoLongitudeMax = 180;
export const geoLatitudeMin = -85.05112878;
export const geoLatitudeMax = 85.05112878;
/** Redis's EARTH_RADIUS_IN_METERS (the quadratic mean radius of WGS-84). */
export const earthRadiusMeters = 6372797.560856;
const mercatorMax = 20037726.37;

/** A hash of `step` bits per coordinate (2 × step bits in all). */
export interface GeoHashBits {
  readonly bits: bigint;
  readonly step: number;
}

export interface GeoRange {
  readonly min: number;
  readonly max: number;
}

export interface GeoArea {
  readonly longitude: GeoRange;
  readonly latitude: GeoRange;
}

export const longitudeRange: GeoRange = { min: geoLongitudeMin, max: geoLongitudeMax };
export const mercatorLatitudeRange: GeoRange = { min: geoLatitudeMin, max: geoLatitudeMax };

const evenBits = 0x5555555555555555n;
const oddBits = 0xaaaaaaaaaaaaaaaan;
const mask64 = (1n << 64n) - 1n;

/** Spreads the low 32 bits of `value` to the even bit positions. */
function spread(value: bigint): bigint {
  let x = value & 0xffffffffn;
  x = (x | (x << 16n)) & 0x0000ffff0000ffffn;
  x = (x | (x << 8n)) & 0x00ff00ff00ff00ffn;
  x = (x | (x << 4n)) & 0x0f0f0f0f0f0f0f0fn;
  x = (x | (x << 2n)) & 0x3333333333333333n;
  return (x | (x << 1n)) & evenBits;
}

/** The even bits of `value` packed into the low 32 bits. */
function squash(value: bigint): bigint {
  let x = value & evenBits;
  x = (x | (x >> 1n)) & 0x3333333333333333n;
  x = (x | (x >> 2n)) & 0x0f0f0f0f0f0f0f0fn;
  x = (x | (x >> 4n)) & 0x00ff00ff00ff00ffn;
  x = (x | (x >> 8n)) & 0x0000ffff0000ffffn;
  return (x | (x >> 16n)) & 0xffffffffn;
}

/** C's conversion of a non-negative double to uint32_t (truncation). */
function toUint32(value: number): bigint {
  return BigInt(Math.trunc(value)) & 0xffffffffn;
}

/** geohashEncode: null when the point is outside the ranges (or Mercator's limits). */
export function geohashEncode(longitudes: GeoRange, latitudes: GeoRange, longitude: number, latitude: number, step: number): GeoHashBits | null {
  if (longitude > geoLongitudeMax || longitude < geoLongitudeMin || latitude > geoLatitudeMax || latitude < geoLatitudeMin) return null;
  if (latitude < latitudes.min || latitude > latitudes.max || longitude < longitudes.min || longitude > longitudes.max) return null;
  let latitudeOffset = (latitude - latitudes.min) / (latitudes.max - latitudes.min);
  let longitudeOffset = (longitude - longitudes.min) / (longitudes.max - longitudes.min);
  latitudeOffset *= 2 ** step;
  longitudeOffset *= 2 ** step;
  return { bits: spread(toUint32(latitudeOffset)) | (spread(toUint32(longitudeOffset)) << 1n), step };
}

/** The 52-bit score of a point (GEOADD), or null outside Redis's limits. */
export function geohashScore(longitude: number, latitude: number): number | null {
  const hash = geohashEncode(longitudeRange, mercatorLatitudeRange, longitude, latitude, geoStepMax);
  return hash === null ? null : Number(align52(hash));
}

/** geohashAlign52Bits: the hash's bits as the top of a 52-bit score. */
export function align52(hash: GeoHashBits): bigint {
  return (hash.bits << BigInt(52 - hash.step * 2)) & mask64;
}

/** geohashDecode: the cell a hash names. */
export function geohashDecode(longitudes: GeoRange, latitudes: GeoRange, hash: GeoHashBits): GeoArea {
  return cellArea(longitudes, latitudes, Number(squash(hash.bits >> 1n)), Number(squash(hash.bits)), hash.step);
}

/** The area of cell (longitudeCell, latitudeCell) at `step`, in Redis's order of operations. */
function cellArea(longitudes: GeoRange, latitudes: GeoRange, longitudeCell: number, latitudeCell: number, step: number): GeoArea {
  const cells = 2 ** step;
  const latitudeScale = latitudes.max - latitudes.min;
  const longitudeScale = longitudes.max - longitudes.min;
  return {
    latitude: {
      min: latitudes.min + (latitudeCell * 1.0 / cells) * latitudeScale,
      max: latitudes.min + ((latitudeCell + 1) * 1.0 / cells) * latitudeScale,
    },
    longitude: {
      min: longitudes.min + (longitudeCell * 1.0 / cells) * longitudeScale,
      max: longitudes.min + ((longitudeCell + 1) * 1.0 / cells) * longitudeScale,
    },
  };
}

/** The even bits of a 32-bit integer packed into its low 16 bits. */
function squash32(value: number): number {
  let x = value & 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  return (x | (x >>> 8)) & 0x0000ffff;
}

const half = 2 ** 26;

export interface GeoPoint {
  readonly longitude: number;
  readonly latitude: number;
}

/**
 * C's (uint64_t) conversion of a double as x86-64 code does it (cvttsd2si): a negative score
 * wraps around, one beyond the signed range maps through the "integer indefinite" value.
 */
function toUint64(score: number): bigint {
  const indefinite = 1n << 63n;
  if (score < 2 ** 63) return score >= -(2 ** 63) ? BigInt(Math.trunc(score)) & mask64 : indefinite;
  const high = score - 2 ** 63;
  return (high < 2 ** 63 ? BigInt(Math.trunc(high)) : indefinite) ^ indefinite;
}

/** decodeGeohash: the centre of a score's cell, clamped to the limits (any score decodes, as in Redis). */
export function geohashPoint(score: number): GeoPoint {
  if (isCellScore(score)) return { longitude: scoreLongitude(score), latitude: scoreLatitude(score) };
  const area = geohashDecode(longitudeRange, mercatorLatitudeRange, { bits: toUint64(score), step: geoStepMax });
  const longitude = Math.min(geoLongitudeMax, Math.max(geoLongitudeMin, (area.longitude.min + area.longitude.max) / 2));
  const latitude = Math.min(geoLatitudeMax, Math.max(geoLatitudeMin, (area.latitude.min + area.latitude.max) / 2));
  return { longitude, latitude };
}

/** A score scoreLongitude and scoreLatitude decode: a 52-bit hash (any other decodes through BigInt). */
function isCellScore(score: number): boolean {
  return score >= 0 && score < 2 ** 52;
}

/** The centre of cell `cell` of 2^26 along `range`, as cellArea then geohashPoint compute it (same operations, same order). */
function cellCentre(cell: number, range: GeoRange): number {
  const scale = range.max - range.min;
  const min = range.min + (cell * 1.0 / half) * scale;
  const max = range.min + ((cell + 1) * 1.0 / half) * scale;
  return (min + max) / 2;
}

// A 52-bit score decoded without BigInt or objects (searches decode every candidate, latitude
// first): two 26-bit halves, 13 bits of each coordinate in each, latitude in the even bits.
// Not `score % half`: a double's remainder is a call into the C library.

/** geohashPoint(score).latitude of a cell score (isCellScore). */
function scoreLatitude(score: number): number {
  const high = Math.floor(score / half);
  const low = Math.trunc(score) - high * half;
  return Math.min(geoLatitudeMax, Math.max(geoLatitudeMin, cellCentre(squash32(high) * 2 ** 13 + squash32(low), mercatorLatitudeRange)));
}

/** geohashPoint(score).longitude of a cell score (isCellScore). */
function scoreLongitude(score: number): number {
  const high = Math.floor(score / half);
  const low = Math.trunc(score) - high * half;
  return Math.min(geoLongitudeMax, Math.max(geoLongitudeMin, cellCentre(squash32(high >>> 1) * 2 ** 13 + squash32(low >>> 1), longitudeRange)));
}

const geoAlphabet = '0123456789bcdefghjkmnpqrstuvwxyz';

/** GEOHASH's 11-character string: the point re-encoded over the standard [-90, 90] latitudes, the 11th character 0. */
export function geohashString(point: GeoPoint): string {
  const hash = geohashEncode(longitudeRange, { min: -90, max: 90 }, point.longitude, point.latitude, geoStepMax);
  const bits = hash?.bits ?? 0n;
  let text = '';
  for (let i = 0; i < 10; i++) text += geoAlphabet[Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn)] as string;
  return `${text}0`;
}

// ---- neighbours ------------------------------------------------------------------------------

/** geohash_move_x / move_y: the neighbouring cell along longitude (odd bits) or latitude (even bits). */
function move(hash: GeoHashBits, direction: number, alongLongitude: boolean): GeoHashBits {
  if (direction === 0) return hash;
  const moving = alongLongitude ? oddBits : evenBits;
  const fixed = alongLongitude ? evenBits : oddBits;
  const shift = BigInt(64 - hash.step * 2);
  let moved = hash.bits & moving;
  const other = hash.bits & fixed;
  const filler = fixed >> shift;
  moved = direction > 0 ? (moved + (filler + 1n)) & mask64 : ((moved | filler) - (filler + 1n)) & mask64;
  moved &= moving >> shift;
  return { bits: moved | other, step: hash.step };
}

function neighbour(hash: GeoHashBits, east: number, north: number): GeoHashBits {
  return move(move(hash, east, true), north, false);
}

/** A search area: the centre cell and its 8 neighbours in Redis's order, a dropped neighbour as null. */
export interface GeoSearchArea {
  readonly cells: readonly (GeoHashBits | null)[];
}

/** A search shape: a circle of `radius`, or a box of `width` × `height`, in `unit`s of `toMeters` metres. */
export type GeoShape =
  | { readonly kind: 'radius'; readonly center: GeoPoint; readonly radius: number; readonly toMeters: number }
  | { readonly kind: 'box'; readonly center: GeoPoint; readonly width: number; readonly height: number; readonly toMeters: number };

const degreesToRadians = Math.PI / 180.0;
const radians = (degrees: number): number => degrees * degreesToRadians;
const degrees = (angle: number): number => angle / degreesToRadians;

/** geohashEstimateStepsByRadius. */
export function estimateSteps(rangeMeters: number, latitude: number): number {
  if (rangeMeters === 0) return 26;
  let range = rangeMeters;
  let step = 1;
  while (range < mercatorMax) {
    range *= 2;
    step++;
  }
  step -= 2;
  if (latitude > 66 || latitude < -66) {
    step--;
    if (latitude > 80 || latitude < -80) step--;
  }
  return Math.min(26, Math.max(1, step));
}

/** geohashBoundingBox: [min longitude, min latitude, max longitude, max latitude]. */
function boundingBox(shape: GeoShape): readonly [number, number, number, number] {
  const { longitude, latitude } = shape.center;
  const height = shape.toMeters * (shape.kind === 'radius' ? shape.radius : shape.height / 2);
  const width = shape.toMeters * (shape.kind === 'radius' ? shape.radius : shape.width / 2);
  const latitudeDelta = degrees(height / earthRadiusMeters);
  const longitudeDeltaTop = degrees(width / earthRadiusMeters / Math.cos(radians(latitude + latitudeDelta)));
  const longitudeDeltaBottom = degrees(width / earthRadiusMeters / Math.cos(radians(latitude - latitudeDelta)));
  const southern = latitude < 0;
  return [
    southern ? longitude - longitudeDeltaBottom : longitude - longitudeDeltaTop,
    latitude - latitudeDelta,
    southern ? longitude + longitudeDeltaBottom : longitude + longitudeDeltaTop,
    latitude + latitudeDelta,
  ];
}

/** geohashCalculateAreasByShapeWGS84: the cells whose members may be inside the shape. */
export function searchArea(shape: GeoShape): GeoSearchArea {
  const [minLongitude, minLatitude, maxLongitude, maxLatitude] = boundingBox(shape);
  const { longitude, latitude } = shape.center;
  const radiusMeters = shape.toMeters * (shape.kind === 'radius' ? shape.radius : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2)));
  let steps = estimateSteps(radiusMeters, latitude);
  let hash = geohashEncode(longitudeRange, mercatorLatitudeRange, longitude, latitude, steps) as GeoHashBits;
  const cellOf = (cell: GeoHashBits): GeoArea => geohashDecode(longitudeRange, mercatorLatitudeRange, cell);
  const north = cellOf(neighbour(hash, 0, 1));
  const south = cellOf(neighbour(hash, 0, -1));
  const east = cellOf(neighbour(hash, 1, 0));
  const west = cellOf(neighbour(hash, -1, 0));
  // Near a cell's edge the estimated step may leave part of the bounding box outside the 9 cells.
  const decrease = north.latitude.max < maxLatitude || south.latitude.min > minLatitude
    || east.longitude.max < maxLongitude || west.longitude.min > minLongitude;
  if (steps > 1 && decrease) {
    steps--;
    hash = geohashEncode(longitudeRange, mercatorLatitudeRange, longitude, latitude, steps) as GeoHashBits;
  }
  const area = cellOf(hash);
  // Neighbours in Redis's order: centre, N, S, E, W, NE, NW, SE, SW; useless ones dropped.
  const offsets: readonly (readonly [number, number])[] = [[0, 0], [0, 1], [0, -1], [1, 0], [-1, 0], [1, 1], [-1, 1], [1, -1], [-1, -1]];
  const dropSouth = steps >= 2 && area.latitude.min < minLatitude;
  const dropNorth = steps >= 2 && area.latitude.max > maxLatitude;
  const dropWest = steps >= 2 && area.longitude.min < minLongitude;
  const dropEast = steps >= 2 && area.longitude.max > maxLongitude;
  const cells = offsets.map(([eastward, northward]) => {
    if ((northward < 0 && dropSouth) || (northward > 0 && dropNorth) || (eastward < 0 && dropWest) || (eastward > 0 && dropEast)) return null;
    return neighbour(hash, eastward, northward);
  });
  return { cells };
}

/** scoresOfGeoHashBox: the score range [min, max) of a cell's members. */
export function cellScores(cell: GeoHashBits): { readonly min: number; readonly max: number } {
  return { min: Number(align52(cell)), max: Number(align52({ bits: cell.bits + 1n, step: cell.step })) };
}

// ---- distances -------------------------------------------------------------------------------

function latitudeDistance(latitude1: number, latitude2: number): number {
  return earthRadiusMeters * Math.abs(radians(latitude2) - radians(latitude1));
}

/** geohashGetDistance: haversine distance in metres. */
export function geoDistance(longitude1: number, latitude1: number, longitude2: number, latitude2: number): number {
  const longitude1r = radians(longitude1);
  const longitude2r = radians(longitude2);
  const v = Math.sin((longitude2r - longitude1r) / 2);
  if (v === 0.0) return latitudeDistance(latitude1, latitude2);
  const latitude1r = radians(latitude1);
  const latitude2r = radians(latitude2);
  const u = Math.sin((latitude2r - latitude1r) / 2);
  const a = u * u + Math.cos(latitude1r) * Math.cos(latitude2r) * v * v;
  return 2.0 * earthRadiusMeters * Math.asin(Math.sqrt(a));
}

/**
 * Radii (in radians of the earth) up to which a radius search first rules candidates out by
 * latitude and longitude alone: far below the sizes where asin and the haversine lose
 * precision, so the margin below covers every rounding.
 */
const prefilterRadiusMax = 0.5;
/** Relative slack of the prefilter's bounds over the shape: rounding is about 1e-15 of each. */
const prefilterSlack = 1e-9;

/**
 * The test of search candidates against one shape, with what depends only on the shape
 * computed once per search: `distanceTo(score)` is the distance in metres from the centre to
 * the centre of the score's cell when that point is inside the shape (Redis's
 * geohashGetDistanceIfInRadiusWGS84 / IfInRectangle, same operations in the same order), else
 * -1. A radius search first rules out a candidate whose latitude, or longitude, is farther
 * from the centre than any point of the circle (the great-circle distance is at least the
 * meridian distance, and a circle of angular radius ρ spans asin(sin ρ / cos φ) of longitude):
 * most candidates of the 9 cells fall outside the circle, and those need no trigonometry.
 */
export class ShapeTest {
  private readonly longitude: number;
  private readonly latitude: number;
  private readonly longitudeRadians: number;
  private readonly latitudeRadians: number;
  private readonly cosLatitude: number;
  /** The circle's radius in metres (or the box's half height), and half width for a box. */
  private readonly reach: number;
  private readonly halfWidth: number;
  /** Beyond these the candidate is out (Infinity: no prefilter). */
  private readonly latitudeReach: number;
  private readonly longitudeReachRadians: number;
  /** The point tested last when it is inside: its cell's centre. */
  pointLongitude = 0;
  pointLatitude = 0;

  constructor(private readonly shape: GeoShape) {
    this.longitude = shape.center.longitude;
    this.latitude = shape.center.latitude;
    this.longitudeRadians = radians(this.longitude);
    this.latitudeRadians = radians(this.latitude);
    this.cosLatitude = Math.cos(this.latitudeRadians);
    this.reach = shape.kind === 'radius' ? shape.radius * shape.toMeters : (shape.height * shape.toMeters) / 2;
    this.halfWidth = shape.kind === 'box' ? (shape.width * shape.toMeters) / 2 : 0;
    const angle = this.reach / earthRadiusMeters;
    const usable = shape.kind === 'radius' && angle < prefilterRadiusMax;
    this.latitudeReach = usable ? this.reach * (1 + prefilterSlack) : Infinity;
    const spanSine = Math.sin(angle) / this.cosLatitude;
    // Near a pole the circle may span every longitude: no longitude bound then.
    this.longitudeReachRadians = usable && spanSine < 0.5 ? Math.asin(spanSine) * (1 + prefilterSlack) : Infinity;
  }

  distanceTo(score: number): number {
    if (!isCellScore(score)) {
      const point = geohashPoint(score);
      this.pointLongitude = point.longitude;
      this.pointLatitude = point.latitude;
      return this.shape.kind === 'radius' ? this.inRadius() : this.inBox();
    }
    this.pointLatitude = scoreLatitude(score);
    // The longitude is decoded only for a candidate the latitude leaves in.
    if (earthRadiusMeters * Math.abs(radians(this.pointLatitude) - this.latitudeRadians) > this.latitudeReach) return -1;
    this.pointLongitude = scoreLongitude(score);
    return this.shape.kind === 'radius' ? this.inRadius() : this.inBox();
  }

  private inRadius(): number {
    const latitude = this.pointLatitude;
    const latitudeRadians = radians(latitude);
    if (earthRadiusMeters * Math.abs(latitudeRadians - this.latitudeRadians) > this.latitudeReach) return -1;
    const longitudeRadians = radians(this.pointLongitude);
    let span = Math.abs(longitudeRadians - this.longitudeRadians);
    if (span > Math.PI) span = 2 * Math.PI - span;
    if (span > this.longitudeReachRadians) return -1;
    // geoDistance from the centre, its cosine computed once.
    const v = Math.sin((longitudeRadians - this.longitudeRadians) / 2);
    let distance: number;
    if (v === 0.0) {
      distance = latitudeDistance(this.latitude, latitude);
    } else {
      const u = Math.sin((latitudeRadians - this.latitudeRadians) / 2);
      const a = u * u + this.cosLatitude * Math.cos(latitudeRadians) * v * v;
      distance = 2.0 * earthRadiusMeters * Math.asin(Math.sqrt(a));
    }
    return distance > this.reach ? -1 : distance;
  }

  /** geohashGetDistanceIfInRectangle: latitude first (cheaper), then longitude along the point's parallel. */
  private inBox(): number {
    const longitude = this.pointLongitude;
    const latitude = this.pointLatitude;
    if (latitudeDistance(latitude, this.latitude) > this.reach) return -1;
    if (geoDistance(longitude, latitude, this.longitude, latitude) > this.halfWidth) return -1;
    return geoDistance(this.longitude, this.latitude, longitude, latitude);
  }
}
