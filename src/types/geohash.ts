/**
 * Geohash and geo search, bit-compatible with Redis 7.2 (src/geohash.c,
 * src/geohash_helper.c, src/geo.c).
 *
 * A GEO key is an ordinary sorted set whose scores are 52-bit interleaved
 * geohashes (latitude bits even, longitude bits odd), exact as doubles.
 * Positions reported by GEOPOS / GEODIST / GEOSEARCH are always the centre of
 * the stored cell, never the coordinates originally given.
 *
 * Hashes are handled as two uint32 halves internally (the C code uses
 * uint64_t, and a hash can reach bit 53 for longitude 180).
 *
 * Trigonometry: Redis uses glibc's sin/cos/asin, which are correctly rounded
 * for all but a tiny fraction of arguments, while V8's Math.sin/cos/asin differ
 * from them in the last bit for several percent of arguments. Distances show up
 * exactly (STOREDIST scores, sort order, points on a radius), so this module
 * uses its own correctly rounded `sin`, `cos` and `asin` (double-double
 * evaluation), which agree with glibc wherever glibc is correctly rounded.
 */
import { fail } from '../core/errors.js'
import { formatHumanLongDouble } from '../core/numbers.js'

export const GEO_STEP_MAX = 26
export const GEO_LAT_MIN = -85.05112878
export const GEO_LAT_MAX = 85.05112878
export const GEO_LONG_MIN = -180
export const GEO_LONG_MAX = 180
export const EARTH_RADIUS_IN_METERS = 6372797.560856
export const MERCATOR_MAX = 20037726.37
const D_R = Math.PI / 180.0

/** Error texts in the form `fail()` takes. */
export const geoErrors = {
  UNIT: 'unsupported unit provided. please use M, KM, FT, MI',
} as const

// ===========================================================================
// Correctly rounded sin, cos, asin
//
// Fast path: x = j·π/64 + t with |t| ≤ π/128 and a table of sin and cos of
// j·π/64 in double-double: sin x = S + C·t + (S·(cos t − 1) + C·(sin t − t)),
// the first part in double-double, the small rest in doubles, with an error
// bound. When that bound leaves the rounding undecided (a fraction of a
// percent of calls) the accurate path evaluates Taylor series entirely in
// double-double after reducing by π/2.

// Double-double results land in R[0] + R[1] (typed-array slots: module-level
// `let` doubles would be boxed on every write).
const R = new Float64Array(2)
const SPLIT = 134217729 // 2^27 + 1

function mulDD(ah: number, al: number, bh: number, bl: number): void {
  const p = ah * bh
  let t = SPLIT * ah
  const a1 = t - (t - ah)
  const a2 = ah - a1
  t = SPLIT * bh
  const b1 = t - (t - bh)
  const b2 = bh - b1
  const e = a1 * b1 - p + a1 * b2 + a2 * b1 + a2 * b2 + (ah * bl + al * bh)
  R[0] = p + e
  R[1] = e - (R[0]! - p)
}

function addDD(ah: number, al: number, bh: number, bl: number): void {
  const s = ah + bh
  const bb = s - ah
  const e = ah - (s - bb) + (bh - bb) + (al + bl)
  R[0] = s + e
  R[1] = e - (R[0]! - s)
}

// π/2 in four parts (33, 33, 33, 53 bits): k × the first three is exact for |k| < 2^20.
const PIO2_1 = 1.5707963267341256
const PIO2_2 = 6.077100506303966e-11
const PIO2_3 = 2.0222662487111665e-21
const PIO2_4 = 8.4784276603689e-32
const TWO_OVER_PI = 2 / Math.PI
// π/64 likewise (exact scalings): j × the first three is exact for |j| < 2^20.
const PI64_1 = PIO2_1 / 32
const PI64_2 = PIO2_2 / 32
const PI64_3 = PIO2_3 / 32
const PI64_4 = PIO2_4 / 32
const SIXTYFOUR_OVER_PI = 64 / Math.PI

// Taylor coefficients 1/n! as double-double (exact n!, n ≤ 18) and doubles.
const INVFACT_H = new Float64Array(26)
const INVFACT_L = new Float64Array(26)
{
  let f = 1
  for (let n = 1; n <= 25; n++) {
    f *= n
    const q = 1 / f
    // 1 - q·f exactly, via the product's error term
    let t = SPLIT * q
    const q1 = t - (t - q)
    const q2 = q - q1
    t = SPLIT * f
    const f1 = t - (t - f)
    const f2 = f - f1
    const p = q * f
    const pe = q1 * f1 - p + q1 * f2 + q2 * f1 + q2 * f2
    INVFACT_H[n] = q
    INVFACT_L[n] = (1 - p - pe) / f
  }
}

/**
 * sin(r), or cos(r) when `cosine`, for |r| ≲ π/4 given as rh + rl, into
 * R[0] + R[1] with a relative error far below 2^-80.
 */
function kernelDD(rh: number, rl: number, cosine: boolean): void {
  mulDD(rh, rl, rh, rl)
  const zh = R[0]!
  const zl = R[1]!
  // sin r = r(1 - z/3! + z²/5! - …), cos r = 1 - z/2! + z²/4! - …, z = r²;
  // with q = -1/base! + z/(base+2)! - …, the term for n = base + 2j has sign (-1)^(j+1).
  const base = cosine ? 2 : 3
  // Terms with j ≥ 5 are below 2^-27 relative: plain doubles suffice.
  let q = 0
  for (let n = base + 22; n >= base + 10; n -= 2) {
    const c = ((n - base) >> 1) & 1 ? INVFACT_H[n]! : -INVFACT_H[n]!
    q = c + zh * q
  }
  let qh = q
  let ql = 0
  for (let n = base + 8; n >= base; n -= 2) {
    const pos = ((n - base) >> 1) & 1
    mulDD(zh, zl, qh, ql)
    addDD(pos ? INVFACT_H[n]! : -INVFACT_H[n]!, pos ? INVFACT_L[n]! : -INVFACT_L[n]!, R[0]!, R[1]!)
    qh = R[0]!
    ql = R[1]!
  }
  mulDD(zh, zl, qh, ql)
  addDD(1, 0, R[0]!, R[1]!)
  if (!cosine) mulDD(rh, rl, R[0]!, R[1]!)
}

/** Accurate sin (cos when `shift` is 1) of x into R[0] + R[1]; false when |x| ≥ 1e5. */
function sincosDD(x: number, shift: number): boolean {
  if (!(Math.abs(x) < 1e5)) return false
  const k = Math.round(x * TWO_OVER_PI)
  let rh = x
  let rl = 0
  if (k !== 0) {
    addDD(x, 0, -k * PIO2_1, 0)
    addDD(R[0]!, R[1]!, -k * PIO2_2, 0)
    addDD(R[0]!, R[1]!, -k * PIO2_3, 0)
    addDD(R[0]!, R[1]!, -k * PIO2_4, 0)
    rh = R[0]!
    rl = R[1]!
  }
  const quadrant = (k + shift) & 3
  kernelDD(rh, rl, (quadrant & 1) === 1)
  if (quadrant >= 2) {
    R[0] = -R[0]!
    R[1] = -R[1]!
  }
  return true
}

/** sin and cos of j·π/64 for j = 0..127 as double-double: [Sh, Sl, Ch, Cl] per j. */
let TAB: Float64Array | null = null

function buildTable(): Float64Array {
  const tab = new Float64Array(128 * 4)
  // π/64 as double-double
  addDD(PI64_1, 0, PI64_2, 0)
  addDD(R[0]!, R[1]!, PI64_3, 0)
  addDD(R[0]!, R[1]!, PI64_4, 0)
  const ph = R[0]!
  const pl = R[1]!
  for (let j = 0; j < 128; j++) {
    const quadrant = j >> 5
    const m = j & 31
    // sin and cos of m·π/64 through an angle ≤ π/4
    const mm = m <= 16 ? m : 32 - m
    mulDD(mm, 0, ph, pl)
    const rh = R[0]!
    const rl = R[1]!
    kernelDD(rh, rl, false)
    let sh = R[0]!
    let sl = R[1]!
    kernelDD(rh, rl, true)
    let ch = R[0]!
    let cl = R[1]!
    if (m > 16) {
      const h = sh
      const l = sl
      sh = ch
      sl = cl
      ch = h
      cl = l
    }
    // rotate by quadrant·π/2
    for (let q = 0; q < quadrant; q++) {
      const h = sh
      const l = sl
      sh = ch
      sl = cl
      ch = -h
      cl = -l
    }
    tab[j * 4] = sh
    tab[j * 4 + 1] = sl
    tab[j * 4 + 2] = ch
    tab[j * 4 + 3] = cl
  }
  return tab
}

// Fast-path result: F[0] + F[1], within ±F[2] of the true value.
const F = new Float64Array(3)

/** Fast sin (or cos) of x into F[0], F[1], F[2]; false when |x| ≥ 1000. */
function fastSinCos(x: number, cosine: boolean): boolean {
  if (!(Math.abs(x) < 1000)) return false
  const tab = TAB ?? (TAB = buildTable())
  const j = Math.round(x * SIXTYFOUR_OVER_PI)
  // t = x - j·π/64 as th + tl
  const a = x - j * PI64_1
  const b = j * PI64_2
  const s0 = a - b
  const bb = s0 - a
  const tl0 = a - (s0 - bb) + (-b - bb) - j * PI64_3 - j * PI64_4
  const th = s0 + tl0
  const tl = tl0 - (th - s0)
  const t2 = th * th
  const sinm =
    th * t2 * (-1 / 6 + t2 * (1 / 120 + t2 * (-1 / 5040 + t2 * (1 / 362880 + t2 * (-1 / 39916800)))))
  const cosm = t2 * (-0.5 + t2 * (1 / 24 + t2 * (-1 / 720 + t2 * (1 / 40320 + t2 * (-1 / 3628800)))))
  const k = (j & 127) << 2
  let sh = tab[k]!
  let sl = tab[k + 1]!
  let ch = tab[k + 2]!
  let cl = tab[k + 3]!
  if (cosine) {
    // cos x = C·cos t − S·sin t: the sine form with S := C, C := −S
    const h = sh
    const l = sl
    sh = ch
    sl = cl
    ch = -h
    cl = -l
  }
  // S + C·t in double-double (exact product C·th by splitting)
  const p = ch * th
  let u = SPLIT * ch
  const c1 = u - (u - ch)
  const c2 = ch - c1
  u = SPLIT * th
  const t1 = u - (u - th)
  const t2b = th - t1
  const pe = c1 * t1 - p + c1 * t2b + c2 * t1 + c2 * t2b + (ch * tl + cl * th)
  const s = sh + p
  const sb = s - sh
  const se0 = sh - (s - sb) + (p - sb)
  // small terms; -S·t·tl accounts for tl in cos t
  const corrS = sh * cosm
  const corrC = ch * sinm
  const se = se0 + (pe + sl + (corrS + corrC - sh * th * tl))
  F[0] = s + se
  F[1] = se - (F[0]! - s)
  F[2] = 8.881784197001252e-16 * (Math.abs(corrS) + Math.abs(corrC)) + 5.293955920339377e-23 * Math.abs(F[0]!) // 2^-50, 2^-74
  return true
}

/** sin(x), correctly rounded (glibc's result wherever glibc is correctly rounded). */
export function crSin(x: number): number {
  // |x| < 2^-27: sin x = x - x³/6 rounds to x
  if (Math.abs(x) < 7.450580596923828e-9) return x
  if (fastSinCos(x, false)) {
    const r = F[0]! + (F[1]! + F[2]!)
    if (r === F[0]! + (F[1]! - F[2]!)) return r
  }
  return sincosDD(x, 0) ? R[0]! + R[1]! : Math.sin(x)
}

/** cos(x), correctly rounded. */
export function crCos(x: number): number {
  // |x| < 2^-27: cos x = 1 - x²/2 rounds to 1
  if (Math.abs(x) < 7.450580596923828e-9) return 1
  if (fastSinCos(x, true)) {
    const r = F[0]! + (F[1]! + F[2]!)
    if (r === F[0]! + (F[1]! - F[2]!)) return r
  }
  return sincosDD(x, 1) ? R[0]! + R[1]! : Math.cos(x)
}

/** asin(y), correctly rounded: a Newton step on V8's result with a double-double residual. */
export function crAsin(y: number): number {
  const ay = Math.abs(y)
  if (!(ay < 1)) return Math.asin(y) // ±1 → ±π/2 (the rounded value), NaN beyond
  if (ay < 7.450580596923828e-9) return y // asin y = y + y³/6 rounds to y
  const t0 = Math.asin(y)
  const c = Math.cos(t0)
  // asin y = t0 + d + tan(t0)·d²/2 + …, d = (y − sin t0) / cos t0
  fastSinCos(t0, false)
  let d = (y - F[0]! - F[1]!) / c
  let delta = d + 0.5 * d * d * (y / c)
  let h = t0 + delta
  const l = delta - (h - t0)
  const e = F[2]! / Math.abs(c) + Math.abs(delta) * 1.7763568394002505e-15 // 2^-49
  const r = h + (l + e)
  if (r === h + (l - e)) return r
  sincosDD(t0, 0)
  d = (y - R[0]! - R[1]!) / c
  delta = d + 0.5 * d * d * (y / c)
  h = t0 + delta
  return h
}

// ===========================================================================
// Bits

/** uint32 value with bit i of x (i < 16) moved to bit 2i. */
function spread16(x: number): number {
  x &= 0xffff
  x = (x | (x << 8)) & 0x00ff00ff
  x = (x | (x << 4)) & 0x0f0f0f0f
  x = (x | (x << 2)) & 0x33333333
  x = (x | (x << 1)) & 0x55555555
  return x
}

/** The even bits of a uint32 packed into 16 bits. */
function compact16(x: number): number {
  x &= 0x55555555
  x = (x | (x >>> 1)) & 0x33333333
  x = (x | (x >>> 2)) & 0x0f0f0f0f
  x = (x | (x >>> 4)) & 0x00ff00ff
  x = (x | (x >>> 8)) & 0x0000ffff
  return x
}

// 64-bit values as (hi, lo) uint32 pairs; results of helpers in B[0]:B[1].
const B = new Uint32Array(2)

/** interleave64(lat, lon): lat bits to even positions, lon bits to odd. */
function interleave(lat: number, lon: number): void {
  B[1] = (spread16(lat) | (spread16(lon) << 1)) >>> 0
  B[0] = (spread16(lat >>> 16) | (spread16(lon >>> 16) << 1)) >>> 0
}

/** uint64 → double as C converts it (one rounding). */
function toDouble(hi: number, lo: number): number {
  return hi * 4294967296 + lo
}

/**
 * (uint64_t) of a double as x86-64 gcc code computes it: truncation, two's
 * complement for negatives, 2^63 for out-of-range negatives and NaN, 0 for
 * values ≥ 2^64 (zset scores are normally 0 ≤ s < 2^53 and take the fast path).
 */
function scoreBits(score: number): void {
  if (score >= 0 && score < 9007199254740992) {
    const t = Math.floor(score)
    B[0] = Math.floor(t / 4294967296)
    B[1] = t >>> 0
    return
  }
  if (!(score < 9223372036854775808)) {
    // x - 2^63 converted, then bit 63 flipped: 2^63 ≤ x < 2^64 keeps its value, anything beyond gives 0
    if (score < 18446744073709551616) {
      const t = BigInt(score)
      B[0] = Number(t >> 32n)
      B[1] = Number(t & 0xffffffffn)
    } else {
      B[0] = 0
      B[1] = 0
    }
    return
  }
  if (score > -9223372036854775808 || score === -9223372036854775808) {
    // covers -2^63 ≤ x < 2^63 (negatives): two's complement of the truncation
    const t = BigInt.asUintN(64, BigInt(Math.trunc(score)))
    B[0] = Number(t >> 32n)
    B[1] = Number(t & 0xffffffffn)
    return
  }
  B[0] = 0x80000000
  B[1] = 0
}

function shl64(hi: number, lo: number, s: number): void {
  if (s === 0) {
    B[0] = hi
    B[1] = lo
  } else if (s >= 32) {
    B[0] = (lo << (s - 32)) >>> 0
    B[1] = 0
  } else {
    B[0] = ((hi << s) | (lo >>> (32 - s))) >>> 0
    B[1] = (lo << s) >>> 0
  }
}

function add64(ah: number, al: number, bh: number, bl: number): void {
  const s = al + bl
  B[1] = s >>> 0
  B[0] = (ah + bh + (s > 0xffffffff ? 1 : 0)) >>> 0
}

function sub64(ah: number, al: number, bh: number, bl: number): void {
  const s = al - bl
  B[1] = s >>> 0
  B[0] = (ah - bh - (s < 0 ? 1 : 0)) >>> 0
}

/** Mask pattern (0x55555555 or 0xaaaaaaaa repeated) shifted right by 64 - w (1 ≤ w ≤ 52), into B[0]:B[1]. */
function laneMask(pattern: number, w: number): void {
  if (w > 32) {
    B[0] = pattern >>> (64 - w)
    B[1] = pattern >>> 0
  } else {
    B[0] = 0
    B[1] = pattern >>> (32 - w)
  }
}

// ===========================================================================
// Encode / decode

/** 2^0 … 2^32 (avoids a pow call on hot paths). */
const POW2 = new Float64Array(33)
for (let i = 0; i <= 32; i++) POW2[i] = 2 ** i

/**
 * `geohashEncode` into B[0]:B[1] for a valid position: offsets within the ranges
 * scaled by 2^step and truncated, then interleaved (bits not aligned).
 */
function encodeBits(lon: number, lat: number, step: number, latMin: number, latMax: number): void {
  const latOff = ((lat - latMin) / (latMax - latMin)) * POW2[step]!
  const lonOff = ((lon - GEO_LONG_MIN) / (GEO_LONG_MAX - GEO_LONG_MIN)) * POW2[step]!
  interleave(latOff >>> 0, lonOff >>> 0)
}

/** True when GEOADD / FROMLONLAT accept the pair (bounds inclusive). */
export function geoValidLonLat(lon: number, lat: number): boolean {
  return lon >= GEO_LONG_MIN && lon <= GEO_LONG_MAX && lat >= GEO_LAT_MIN && lat <= GEO_LAT_MAX
}

/** Throws `ERR invalid longitude,latitude pair %f,%f` when the pair is out of range. */
export function geoCheckLonLat(lon: number, lat: number): void {
  if (!geoValidLonLat(lon, lat)) {
    fail(`invalid longitude,latitude pair ${formatFixed(lon, 6)},${formatFixed(lat, 6)}`)
  }
}

/**
 * The GEOADD score of a position (the 52-bit geohash as a double; longitude
 * 180 sets bit 53 and the value is rounded the way ZADD parses it). NaN when
 * the pair is out of range.
 */
export function geoEncode(lon: number, lat: number): number {
  if (!geoValidLonLat(lon, lat)) return NaN
  encodeBits(lon, lat, GEO_STEP_MAX, GEO_LAT_MIN, GEO_LAT_MAX)
  return toDouble(B[0]!, B[1]!)
}

// Cell bounds of the last decodeCell call: lat min, lat max, lon min, lon max.
const CELL = new Float64Array(4)

/** `geohashDecode` of hash bits hi:lo at `step` with Redis's ranges. */
function decodeCell(hi: number, lo: number, step: number): void {
  const ilat = (compact16(lo) | (compact16(hi) << 16)) >>> 0
  const ilon = (compact16(lo >>> 1) | (compact16(hi >>> 1) << 16)) >>> 0
  const d = POW2[step]!
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN
  const lonScale = GEO_LONG_MAX - GEO_LONG_MIN
  CELL[0] = GEO_LAT_MIN + ((ilat * 1.0) / d) * latScale
  CELL[1] = GEO_LAT_MIN + ((((ilat + 1) >>> 0) * 1.0) / d) * latScale
  CELL[2] = GEO_LONG_MIN + ((ilon * 1.0) / d) * lonScale
  CELL[3] = GEO_LONG_MIN + ((((ilon + 1) >>> 0) * 1.0) / d) * lonScale
}

/** Decoded position of the last decodeScore call: lon, lat. */
const OUT = new Float64Array(2)

function decodeScore(score: number): void {
  scoreBits(score)
  decodeCell(B[0]!, B[1]!, GEO_STEP_MAX)
  let lon = (CELL[2]! + CELL[3]!) / 2
  if (lon > GEO_LONG_MAX) lon = GEO_LONG_MAX
  if (lon < GEO_LONG_MIN) lon = GEO_LONG_MIN
  let lat = (CELL[0]! + CELL[1]!) / 2
  if (lat > GEO_LAT_MAX) lat = GEO_LAT_MAX
  if (lat < GEO_LAT_MIN) lat = GEO_LAT_MIN
  OUT[0] = lon
  OUT[1] = lat
}

/** The position (cell centre) Redis reports for a score: [longitude, latitude]. */
export function geoDecode(score: number): [number, number] {
  decodeScore(score)
  return [OUT[0]!, OUT[1]!]
}

/** Same as `geoDecode`, writing into `out[0]`, `out[1]` (no allocation). */
export function geoDecodeInto(score: number, out: { [i: number]: number }): void {
  decodeScore(score)
  out[0] = OUT[0]!
  out[1] = OUT[1]!
}

const GEOALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz'

/**
 * The GEOHASH string of a score: the cell centre re-encoded with latitude
 * range -90..90, ten base32 characters from bit 51 down, then `0`.
 */
export function geohashString(score: number): string {
  decodeScore(score)
  encodeBits(OUT[0]!, OUT[1]!, GEO_STEP_MAX, -90, 90)
  const hi = B[0]!
  const lo = B[1]!
  let s = ''
  for (let i = 0; i < 10; i++) {
    const shift = 52 - (i + 1) * 5 // 47 … 2
    let idx: number
    if (shift >= 32) idx = (hi >>> (shift - 32)) & 31
    else if (shift > 27) idx = ((lo >>> shift) | (hi << (32 - shift))) & 31
    else idx = (lo >>> shift) & 31
    s += GEOALPHABET[idx]
  }
  return s + '0'
}

// ===========================================================================
// Distances

/** `geohashGetLatDistance`: metres along a meridian. */
function latDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(lat2 * D_R - lat1 * D_R)
}

// Two-entry memo of cos(latitude): searches compute many distances from one
// centre (and the box test twice per point), so one of the two cosines repeats.
const COS_MEMO = new Float64Array([NaN, 0, NaN, 0])
let cosRecent = 0

function cosMemo(x: number): number {
  if (x === COS_MEMO[0]) {
    cosRecent = 0
    return COS_MEMO[1]!
  }
  if (x === COS_MEMO[2]) {
    cosRecent = 1
    return COS_MEMO[3]!
  }
  const c = crCos(x)
  const slot = cosRecent === 0 ? 2 : 0
  COS_MEMO[slot] = x
  COS_MEMO[slot + 1] = c
  cosRecent = slot >> 1
  return c
}

/** `geohashGetDistance`: haversine distance in metres, with Redis's operation order. */
export function geoDistance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lon1r = lon1 * D_R
  const lon2r = lon2 * D_R
  const v = crSin((lon2r - lon1r) / 2)
  if (v === 0.0) return latDistance(lat1, lat2)
  const lat1r = lat1 * D_R
  const lat2r = lat2 * D_R
  const u = crSin((lat2r - lat1r) / 2)
  const a = u * u + cosMemo(lat1r) * cosMemo(lat2r) * v * v
  return 2.0 * EARTH_RADIUS_IN_METERS * crAsin(Math.sqrt(a))
}

/** Metres per unit for `m`, `km`, `ft`, `mi` (ASCII case-insensitive, as strcasecmp), or -1 for anything else. */
export function geoUnitFactor(unit: string | Uint8Array): number {
  const n = unit.length
  if (n === 0 || n > 2) return -1
  const c0 = (typeof unit === 'string' ? unit.charCodeAt(0) : unit[0]!) | 0x20
  if (n === 1) return c0 === 0x6d /* m */ ? 1 : -1
  const c1 = (typeof unit === 'string' ? unit.charCodeAt(1) : unit[1]!) | 0x20
  if (c1 === 0x6d /* m */) return c0 === 0x6b /* k */ ? 1000 : -1
  if (c0 === 0x66 /* f */ && c1 === 0x74 /* t */) return 0.3048
  if (c0 === 0x6d /* m */ && c1 === 0x69 /* i */) return 1609.34
  return -1
}

// ===========================================================================
// Search shapes

/** A GEOSEARCH / GEORADIUS query: centre, shape in `unit`s, `unit` = metres per unit. */
export type GeoShape =
  | { type: 'radius'; lon: number; lat: number; radius: number; unit: number }
  | { type: 'box'; lon: number; lat: number; width: number; height: number; unit: number }

/** `geohashBoundingBox`: [minLon, minLat, maxLon, maxLat] in degrees. */
export function geoBoundingBox(shape: GeoShape): [number, number, number, number] {
  const lon = shape.lon
  const lat = shape.lat
  const height = shape.unit * (shape.type === 'radius' ? shape.radius : shape.height / 2)
  const width = shape.unit * (shape.type === 'radius' ? shape.radius : shape.width / 2)
  const latDelta = height / EARTH_RADIUS_IN_METERS / D_R
  const lonDeltaTop = width / EARTH_RADIUS_IN_METERS / crCos((lat + latDelta) * D_R) / D_R
  const lonDeltaBottom = width / EARTH_RADIUS_IN_METERS / crCos((lat - latDelta) * D_R) / D_R
  const d = lat < 0 ? lonDeltaBottom : lonDeltaTop
  return [lon - d, lat - latDelta, lon + d, lat + latDelta]
}

/** `geohashEstimateStepsByRadius`: the geohash precision (1..26) for a search radius in metres. */
export function geoEstimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26
  let step = 1
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2
    step++
  }
  step -= 2
  if (lat > 66 || lat < -66) {
    step--
    if (lat > 80 || lat < -80) step--
  }
  if (step < 1) step = 1
  if (step > 26) step = 26
  return step
}

// The 9 cells: centre, N, S, E, W, NE, NW, SE, SW (scan order); step 0 = dropped.
const CELL_HI = new Float64Array(9)
const CELL_LO = new Float64Array(9)
const CELL_STEP = new Int32Array(9)

/** geohash_move_x / geohash_move_y on hi:lo at `step`, result in B[0]:B[1]; `lonLane` moves longitude (odd bits), else latitude (even bits). */
function move(hi: number, lo: number, step: number, lonLane: boolean, d: number): void {
  const w = step * 2
  const mine = lonLane ? 0xaaaaaaaa : 0x55555555
  const other = lonLane ? 0x55555555 : 0xaaaaaaaa
  let xh = (hi & mine) >>> 0
  let xl = (lo & mine) >>> 0
  const yh = (hi & other) >>> 0
  const yl = (lo & other) >>> 0
  laneMask(other, w)
  const zh = B[0]!
  const zl = B[1]!
  if (d > 0) {
    add64(xh, xl, zh, zl)
    add64(B[0]!, B[1]!, 0, 1)
  } else {
    const oh = (xh | zh) >>> 0
    const ol = (xl | zl) >>> 0
    add64(zh, zl, 0, 1)
    sub64(oh, ol, B[0]!, B[1]!)
  }
  xh = B[0]!
  xl = B[1]!
  laneMask(mine, w)
  B[0] = ((xh & B[0]!) | yh) >>> 0
  B[1] = ((xl & B[1]!) | yl) >>> 0
}

function setCell(i: number, hi: number, lo: number, step: number, dlon: number, dlat: number): void {
  let h = hi
  let l = lo
  if (dlon !== 0) {
    move(h, l, step, true, dlon)
    h = B[0]!
    l = B[1]!
  }
  if (dlat !== 0) {
    move(h, l, step, false, dlat)
    h = B[0]!
    l = B[1]!
  }
  CELL_HI[i] = h
  CELL_LO[i] = l
  CELL_STEP[i] = step
}

const NEIGHBOR_DLON = [0, 0, 0, 1, -1, 1, -1, 1, -1]
const NEIGHBOR_DLAT = [0, 1, -1, 0, 0, 1, 1, -1, -1]

function cells(lon: number, lat: number, step: number): void {
  encodeBits(lon, lat, step, GEO_LAT_MIN, GEO_LAT_MAX)
  const hi = B[0]!
  const lo = B[1]!
  for (let i = 0; i < 9; i++) setCell(i, hi, lo, step, NEIGHBOR_DLON[i]!, NEIGHBOR_DLAT[i]!)
}

/**
 * The score ranges GEOSEARCH scans for a shape (`geohashCalculateAreasByShapeWGS84`
 * then `membersOfAllNeighbors`): up to 9 cells in the order centre, N, S, E, W,
 * NE, NW, SE, SW, without the cells Redis drops and without a cell equal to the
 * last one scanned. Each range is `[min, max)` (max exclusive), to be scanned
 * in sorted-set order. With ANY + COUNT, the caller stops before a range once
 * it has COUNT points (and after each point). The centre must be valid.
 */
export function geoSearchAreas(shape: GeoShape): Array<[number, number]> {
  const [minLon, minLat, maxLon, maxLat] = geoBoundingBox(shape)
  const lon = shape.lon
  const lat = shape.lat
  const radiusMeters =
    (shape.type === 'radius'
      ? shape.radius
      : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2))) * shape.unit
  let step = geoEstimateSteps(radiusMeters, lat)
  cells(lon, lat, step)

  // Step too coarse when a neighbour does not reach past the bounding box.
  let decrease = false
  decodeCell(CELL_HI[1]!, CELL_LO[1]!, step)
  if (CELL[1]! < maxLat) decrease = true
  decodeCell(CELL_HI[2]!, CELL_LO[2]!, step)
  if (CELL[0]! > minLat) decrease = true
  decodeCell(CELL_HI[3]!, CELL_LO[3]!, step)
  if (CELL[3]! < maxLon) decrease = true
  decodeCell(CELL_HI[4]!, CELL_LO[4]!, step)
  if (CELL[2]! > minLon) decrease = true
  if (step > 1 && decrease) {
    step--
    cells(lon, lat, step)
  }

  if (step >= 2) {
    decodeCell(CELL_HI[0]!, CELL_LO[0]!, step)
    // indices: 1 N, 2 S, 3 E, 4 W, 5 NE, 6 NW, 7 SE, 8 SW
    if (CELL[0]! < minLat) CELL_STEP[2] = CELL_STEP[8] = CELL_STEP[7] = 0
    if (CELL[1]! > maxLat) CELL_STEP[1] = CELL_STEP[5] = CELL_STEP[6] = 0
    if (CELL[2]! < minLon) CELL_STEP[4] = CELL_STEP[8] = CELL_STEP[6] = 0
    if (CELL[3]! > maxLon) CELL_STEP[3] = CELL_STEP[7] = CELL_STEP[5] = 0
  }

  const out: Array<[number, number]> = []
  let last = 0 // Redis's `last_processed`: 0 also after scanning the centre
  for (let i = 0; i < 9; i++) {
    const s = CELL_STEP[i]!
    if (s === 0) continue // a dropped cell: bits and step zeroed
    if (last !== 0 && CELL_HI[i] === CELL_HI[last] && CELL_LO[i] === CELL_LO[last] && s === CELL_STEP[last]) continue
    const shift = 52 - s * 2
    shl64(CELL_HI[i]!, CELL_LO[i]!, shift)
    const min = toDouble(B[0]!, B[1]!)
    add64(CELL_HI[i]!, CELL_LO[i]!, 0, 1)
    shl64(B[0]!, B[1]!, shift)
    const max = toDouble(B[0]!, B[1]!)
    out.push([min, max])
    last = i
  }
  return out
}

/**
 * Whether a member's position (decoded cell centre) is inside the shape, as
 * `geoAppendIfWithinShape` decides: the distance centre → point in metres
 * (divide by `shape.unit` for replies and STOREDIST), or -1 when outside.
 */
export function geoShapeDistance(shape: GeoShape, lon: number, lat: number): number {
  if (shape.type === 'radius') {
    const d = geoDistance(shape.lon, shape.lat, lon, lat)
    return d > shape.radius * shape.unit ? -1 : d
  }
  const widthM = shape.width * shape.unit
  const heightM = shape.height * shape.unit
  if (latDistance(lat, shape.lat) > heightM / 2) return -1
  if (geoDistance(lon, lat, shape.lon, lat) > widthM / 2) return -1
  return geoDistance(shape.lon, shape.lat, lon, lat)
}

// ===========================================================================
// Sorting (qsort / pqsort on distances)

/**
 * Sorts search results by distance as GEOSEARCH does with ASC/DESC, in place.
 * `dist[i]` is the distance of `items[i]`. When `count` is 0 or ≥ the number
 * of items Redis calls glibc's qsort (a stable merge sort here); otherwise its
 * partial quicksort `pqsort`, which only guarantees the first `count` places
 * and orders equal distances its own way, reproduced here.
 */
export function geoSortByDistance<T>(items: T[], dist: number[], desc: boolean, count = 0): void {
  const n = items.length
  if (n !== dist.length) throw new RangeError('items and dist differ in length')
  if (count === 0 || count >= n) {
    const idx = new Array<number>(n)
    for (let i = 0; i < n; i++) idx[i] = i
    idx.sort(desc ? (a, b) => cmpNum(dist[b]!, dist[a]!) : (a, b) => cmpNum(dist[a]!, dist[b]!))
    const it = items.slice()
    const ds = dist.slice()
    for (let i = 0; i < n; i++) {
      items[i] = it[idx[i]!]!
      dist[i] = ds[idx[i]!]!
    }
    return
  }
  const cmp = desc ? (a: number, b: number) => cmpNum(dist[b]!, dist[a]!) : (a: number, b: number) => cmpNum(dist[a]!, dist[b]!)
  const swap = (a: number, b: number): void => {
    const t = items[a]!
    items[a] = items[b]!
    items[b] = t
    const d = dist[a]!
    dist[a] = dist[b]!
    dist[b] = d
  }
  pqsort(0, n, cmp, swap, 0, count - 1)
}

function cmpNum(a: number, b: number): number {
  return a > b ? 1 : a === b ? 0 : -1
}

function med3(a: number, b: number, c: number, cmp: (a: number, b: number) => number): number {
  return cmp(a, b) < 0
    ? cmp(b, c) < 0
      ? b
      : cmp(a, c) < 0
        ? c
        : a
    : cmp(b, c) > 0
      ? b
      : cmp(a, c) < 0
        ? a
        : c
}

/**
 * Bentley–McIlroy quicksort restricted to the partitions that overlap
 * [lrange, rrange] (Redis's pqsort.c), on element indices base..base+n-1.
 */
function pqsort(
  base: number,
  n: number,
  cmp: (a: number, b: number) => number,
  swap: (a: number, b: number) => void,
  lrange: number,
  rrange: number,
): void {
  for (;;) {
    if (n < 7) {
      for (let pm = base + 1; pm < base + n; pm++) {
        for (let pl = pm; pl > base && cmp(pl - 1, pl) > 0; pl--) swap(pl, pl - 1)
      }
      return
    }
    let pm = base + (n >>> 1)
    if (n > 7) {
      let pl = base
      let pn = base + n - 1
      if (n > 40) {
        const d = n >>> 3
        pl = med3(pl, pl + d, pl + 2 * d, cmp)
        pm = med3(pm - d, pm, pm + d, cmp)
        pn = med3(pn - 2 * d, pn - d, pn, cmp)
      }
      pm = med3(pl, pm, pn, cmp)
    }
    swap(base, pm)
    let pa = base + 1
    let pb = pa
    let pc = base + n - 1
    let pd = pc
    for (;;) {
      let r: number
      while (pb <= pc && (r = cmp(pb, base)) <= 0) {
        if (r === 0) {
          swap(pa, pb)
          pa++
        }
        pb++
      }
      while (pb <= pc && (r = cmp(pc, base)) >= 0) {
        if (r === 0) {
          swap(pc, pd)
          pd--
        }
        pc--
      }
      if (pb > pc) break
      swap(pb, pc)
      pb++
      pc--
    }
    const pn = base + n
    let r = Math.min(pa - base, pb - pa)
    vecswap(base, pb - r, r, swap)
    r = Math.min(pd - pc, pn - pd - 1)
    vecswap(pb, pn - r, r, swap)
    r = pb - pa
    if (r > 1) {
      const l = base
      const h = base + r - 1
      if (!((lrange < l && rrange < l) || (lrange > h && rrange > h))) pqsort(base, r, cmp, swap, lrange, rrange)
    }
    r = pd - pc
    if (r > 1) {
      base = pn - r
      n = r
      const l = base
      const h = base + r - 1
      if (!((lrange < l && rrange < l) || (lrange > h && rrange > h))) continue
    }
    return
  }
}

function vecswap(a: number, b: number, n: number, swap: (a: number, b: number) => void): void {
  for (let i = 0; i < n; i++) swap(a + i, b + i)
}

// ===========================================================================
// Formatting

/**
 * printf `%.<digits>f` of a double, exactly as glibc prints it (exact decimal
 * value, ties to even; `inf`, `-inf`, `nan`). Used for error messages.
 */
export function formatFixed(x: number, digits: number): string {
  if (x !== x) return 'nan'
  if (x === Infinity) return 'inf'
  if (x === -Infinity) return '-inf'
  const neg = x < 0 || Object.is(x, -0)
  const ax = Math.abs(x)
  let s: string
  if (ax < 1e21) {
    s = ax.toFixed(digits)
    // toFixed rounds ties up; glibc rounds exact ties to even. A tie needs the
    // exact expansion to stop at digit digits+1 with a 5.
    const longer = ax.toFixed(Math.min(100, digits + 1))
    if (longer.charCodeAt(longer.length - 1) === 53 /* 5 */ && isExactAt(ax, digits + 1)) {
      s = roundHalfEven(longer)
    }
  } else {
    s = BigInt(ax).toString() + (digits > 0 ? '.' + '0'.repeat(digits) : '')
  }
  return neg ? '-' + s : s
}

/** True when ax has at most `d` fractional decimal digits (10^d = 2^d·5^d, so ax·2^d must be whole). */
function isExactAt(ax: number, d: number): boolean {
  return Number.isInteger(ax * 2 ** d)
}

/** Drops the last digit (a 5 ending an exact expansion) of a fixed string, rounding half to even. */
function roundHalfEven(s: string): string {
  let body = s.slice(0, -1)
  if (body.endsWith('.')) body = body.slice(0, -1)
  const last = body.charCodeAt(body.length - 1) - 48
  if (last % 2 === 0) return body
  // round up the odd digit: increment the decimal string
  const chars = body.split('')
  let i = chars.length - 1
  for (; i >= 0; i--) {
    const c = chars[i]!
    if (c === '.') continue
    if (c === '9') {
      chars[i] = '0'
      continue
    }
    chars[i] = String.fromCharCode(c.charCodeAt(0) + 1)
    break
  }
  return (i < 0 ? '1' : '') + chars.join('')
}

/**
 * A GEOPOS / WITHCOORD coordinate as Redis prints it (`%.17Lf`, then trailing
 * zeros and a trailing point removed, `-0` as `0`): the text of the RESP2 bulk
 * string, and of the RESP3 double. Same as core's `formatHumanLongDouble`.
 */
export function formatCoord(x: number): string {
  return formatHumanLongDouble(x)
}

/**
 * A distance as GEODIST / WITHDIST print it (`fixedpoint_d2string(d, 4)`):
 * llrint(d × 10000) (ties to even), as integer part, `.`, 4 digits.
 */
export function formatDistance(d: number): string {
  if (d === 0) return '0.0000'
  const v = d * 10000.0
  let r = Math.floor(v)
  const diff = v - r
  if (diff > 0.5 || (diff === 0.5 && r % 2 !== 0)) r += 1
  const neg = r < 0
  const a = neg ? -r : r
  const int = Math.floor(a / 10000)
  const frac = a - int * 10000
  const fs = frac < 10 ? '000' + frac : frac < 100 ? '00' + frac : frac < 1000 ? '0' + frac : String(frac)
  return (neg ? '-' : '') + int + '.' + fs
}
