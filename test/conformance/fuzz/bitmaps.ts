/** Bitmap commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD[_RO]) mixed with string writes. */
import { anInt, type Gen, INTS, KEYS, kw, OTHER_TYPES, type Rng, small, VALUES } from './gen.js'

const key = (r: Rng): string => r.pick(KEYS)

/** A bit offset: mostly small (so keys meet), sometimes past a few hundred bytes or invalid. */
const bitOffset = (r: Rng): string =>
  r.weighted<() => string>([
    [80, () => String(r.int(0, 80))],
    [10, () => String(r.int(0, 1200))],
    // (4294967295 is valid but would make a 512 MB string)
    [10, () => r.pick(['-1', '4294967296', 'abc', '', '1.5', '+3', '9223372036854775808'])],
  ])()

/** A value written with SET/APPEND, including binary bytes. */
const strVal = (r: Rng): string =>
  r.chance(0.7) ? r.pick(VALUES) : r.pick(['\xff\xf0\x00', '\x00\x00\x01', 'foobar', '\x80', '\x01\x02\x03\x04\x05\x06\x07\x08\x09'])

/** A range index for BITCOUNT/BITPOS. */
const idx = (r: Rng): string => (r.chance(0.9) ? String(r.int(-20, 40)) : r.pick(INTS))

const unitOpt = (r: Rng): string[] =>
  r.chance(0.5) ? [] : [r.chance(0.9) ? kw(r, r.pick(['BYTE', 'BIT'])) : r.pick(['BITS', 'x'])]

/** A BITFIELD type: signed/unsigned widths, sometimes invalid (i65, u64, u0, x8). */
const bfType = (r: Rng): string =>
  r.chance(0.9)
    ? (r.chance(0.5) ? 'i' : 'u') + String(r.pick([1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 31, 32, 33, 48, 63]))
    : r.pick(['i64', 'u64', 'i65', 'u0', 'i0', 'x8', 'I8', 'U8', 'u', '8', 'i-1'])

/** A BITFIELD offset, plain or `#`-scaled. */
const bfOffset = (r: Rng): string =>
  r.weighted<() => string>([
    [60, () => String(r.int(0, 64))],
    [25, () => '#' + String(r.int(0, 8))],
    [15, () => r.pick(['-1', '#-1', 'abc', '#', '4294967296', '#x', '1.0'])],
  ])()

/** A BITFIELD value or increment, with extremes for overflow handling. */
const bfValue = (r: Rng): string =>
  r.weighted<() => string>([
    [50, () => String(r.int(-300, 300))],
    [30, () => r.pick(['127', '128', '-128', '-129', '255', '256', '65535', '-1', '2147483647', '4294967296'])],
    [15, () => r.pick(['9223372036854775807', '-9223372036854775808', '9223372036854775806', '-9223372036854775807'])],
    [5, () => r.pick(['abc', '', '1.5', '9223372036854775808'])],
  ])()

function bitfieldOps(r: Rng, readonly: boolean): string[] {
  const out: string[] = []
  const n = r.int(readonly ? 0 : 1, 4)
  for (let i = 0; i < n; i++) {
    const op = readonly
      ? r.chance(0.92) ? 'GET' : r.pick(['SET', 'INCRBY', 'OVERFLOW', 'FOO'])
      : r.weighted([[3, 'GET'], [3, 'SET'], [3, 'INCRBY'], [2, 'OVERFLOW'], [0.3, 'FOO']] as const)
    out.push(kw(r, op))
    if (op === 'GET') out.push(bfType(r), bfOffset(r))
    else if (op === 'SET' || op === 'INCRBY') out.push(bfType(r), bfOffset(r), bfValue(r))
    else if (op === 'OVERFLOW') out.push(r.chance(0.95) ? kw(r, r.pick(['WRAP', 'SAT', 'FAIL'])) : 'BAD')
    // Sometimes drop the last argument, to provoke the missing-argument errors.
    if (r.chance(0.03)) out.pop()
  }
  return out
}

const GENS: Array<readonly [number, Gen]> = [
  [8, (r) => ({ argv: ['SETBIT', key(r), bitOffset(r), r.chance(0.93) ? r.pick(['0', '1']) : r.pick(['2', '-1', 'x', ''])] })],
  [5, (r) => ({ argv: ['GETBIT', key(r), bitOffset(r)] })],
  [6, (r) => {
    // Redis 7.2 refuses `BITCOUNT k start` (no end) with a syntax error while Valkey 8 accepts it:
    // only generate forms where both agree (none or both ends).
    if (r.chance(0.25)) return { argv: ['BITCOUNT', key(r)] }
    const extra = r.chance(0.05) ? ['BYTE', 'x'] : unitOpt(r)
    return { argv: ['BITCOUNT', key(r), idx(r), idx(r), ...extra] }
  }],
  [6, (r) => {
    const argv = ['BITPOS', key(r), r.chance(0.93) ? r.pick(['0', '1']) : r.pick(['2', '-1', 'x'])]
    const n = r.int(0, 3)
    if (n >= 1) argv.push(idx(r))
    if (n >= 2) argv.push(idx(r))
    if (n >= 3) argv.push(...(r.chance(0.95) ? unitOpt(r) : ['BIT', 'x']))
    return { argv }
  }],
  [5, (r) => {
    const op = r.chance(0.95) ? kw(r, r.pick(['AND', 'OR', 'XOR', 'NOT'])) : r.pick(['NAND', 'DIFF', 'x'])
    const srcs = op.toUpperCase() === 'NOT' && r.chance(0.85) ? [key(r)] : r.some(KEYS, 1, 3)
    return { argv: ['BITOP', op, key(r), ...srcs] }
  }],
  [8, (r) => ({ argv: ['BITFIELD', key(r), ...bitfieldOps(r, false)] })],
  [3, (r) => ({ argv: ['BITFIELD_RO', key(r), ...bitfieldOps(r, true)] })],
  // String commands on the same keys.
  [3, (r) => ({ argv: ['SET', key(r), strVal(r)] })],
  [2, (r) => ({ argv: ['APPEND', key(r), strVal(r)] })],
  [3, (r) => ({ argv: ['GETRANGE', key(r), anInt(r, -12, 20), anInt(r, -12, 20)] })],
  [1, (r) => ({ argv: ['SETRANGE', key(r), small(r, 0, 20), strVal(r)] })],
  [2, (r) => ({ argv: ['GET', key(r)] })],
  [1, (r) => ({ argv: ['STRLEN', key(r)] })],
  [1, (r) => ({ argv: ['OBJECT', 'ENCODING', key(r)] })],
  [1, (r) => ({ argv: ['INCRBY', key(r), small(r)] })],
  [3, (r) => r.pick(OTHER_TYPES)(r)],
]

export const bitmaps: Gen = (r) => r.weighted(GENS)(r)
