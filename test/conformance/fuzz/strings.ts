/** Strings and generic key commands. */
import { aFloat, anInt, type Gen, INTS, KEYS, kw, OTHER_TYPES, type Rng, small, ttl, VALUES } from './gen.js'

const key = (r: Rng): string => r.pick(KEYS)
const val = (r: Rng): string => r.pick(VALUES)

/** SET's options in a random order and mix (including invalid mixes). */
/** EXAT/PXAT arguments that are not a time SET accepts (or the far future): no valid past time. */
const NOT_A_TIME = INTS.filter((x) => !/^[1-9]\d*$/.test(x) || x === '9223372036854775807' || x === '9223372036854775808')

function setOptions(r: Rng): string[] {
  const out: string[] = []
  const n = r.int(0, 3)
  for (let i = 0; i < n; i++) {
    const o = r.pick(['NX', 'XX', 'GET', 'KEEPTTL', 'EX', 'PX', 'EXAT', 'PXAT'])
    out.push(kw(r, o))
    if (o === 'EX' || o === 'PX') out.push(ttl(r, o === 'EX' ? 's' : 'ms'))
    // No time in the past that is valid: SET then keeps the key until it expires in Redis 7.2, where
    // Valkey 8 skips or deletes it (WATCH, DBSIZE and events differ); recorded scenarios cover it.
    if (o === 'EXAT') out.push(r.chance(0.9) ? String(4000000000 + r.int(0, 9)) : r.pick(NOT_A_TIME))
    if (o === 'PXAT') out.push(r.chance(0.9) ? String(4000000000000 + r.int(0, 9)) : r.pick(NOT_A_TIME))
  }
  return out
}

const GENS: Array<readonly [number, Gen]> = [
  [6, (r) => ({ argv: ['SET', key(r), val(r), ...setOptions(r)] })],
  [4, (r) => ({ argv: ['GET', key(r)] })],
  [2, (r) => ({ argv: ['APPEND', key(r), val(r)] })],
  [3, (r) => ({ argv: [r.pick(['INCR', 'DECR']), key(r)] })],
  [3, (r) => ({ argv: [r.pick(['INCRBY', 'DECRBY']), key(r), anInt(r, -100, 100)] })],
  [3, (r) => ({ argv: ['INCRBYFLOAT', key(r), aFloat(r)] })],
  [2, (r) => ({ argv: ['GETRANGE', key(r), anInt(r, -10, 10), anInt(r, -10, 10)] })],
  [2, (r) => ({ argv: ['SETRANGE', key(r), anInt(r, -1, 12), val(r)] })],
  [1, (r) => ({ argv: ['STRLEN', key(r)] })],
  [1, (r) => ({ argv: ['GETDEL', key(r)] })],
  [1, (r) => ({ argv: ['GETSET', key(r), val(r)] })],
  [1, (r) => ({ argv: ['SETNX', key(r), val(r)] })],
  [1, (r) => ({ argv: ['SETEX', key(r), ttl(r, 's'), val(r)] })],
  [1, (r) => ({ argv: ['PSETEX', key(r), ttl(r, 'ms'), val(r)] })],
  [2, (r) => ({ argv: ['GETEX', key(r), ...(r.chance(0.3) ? [] : r.chance(0.3) ? [kw(r, 'PERSIST')] : r.chance(0.5) ? [kw(r, r.pick(['EX', 'PX'])), ttl(r, 'ms')] : [kw(r, r.pick(['EXAT', 'PXAT'])), r.pick(['4000000000', '4000000000000', '0', '-1', 'x'])])] })],
  [2, (r) => ({ argv: ['MGET', ...r.some(KEYS, 1, 4)] })],
  [1, (r) => ({ argv: ['MSET', ...r.some(KEYS, 1, 3).flatMap((k) => [k, val(r)])] })],
  [1, (r) => ({ argv: ['MSETNX', ...r.some(KEYS, 1, 3).flatMap((k) => [k, val(r)])] })],
  [1, (r) => ({ argv: ['SUBSTR', key(r), anInt(r), anInt(r)] })],
  [1, (r) => {
    const opts: string[] = []
    if (r.chance(0.3)) opts.push(kw(r, 'LEN'))
    else if (r.chance(0.3)) opts.push(kw(r, 'IDX'), ...(r.chance(0.5) ? [kw(r, 'MINMATCHLEN'), small(r, 0, 3)] : []), ...(r.chance(0.5) ? [kw(r, 'WITHMATCHLEN')] : []))
    return { argv: ['LCS', key(r), key(r), ...opts] }
  }],
  // generic
  [2, (r) => ({ argv: [r.pick(['DEL', 'UNLINK', 'EXISTS', 'TOUCH']), ...r.some(KEYS, 1, 3)] })],
  [2, (r) => ({ argv: [r.pick(['EXPIRE', 'PEXPIRE']), key(r), ttl(r, 'ms'), ...(r.chance(0.4) ? [kw(r, r.pick(['NX', 'XX', 'GT', 'LT']))] : [])] })],
  [1, (r) => ({ argv: [r.pick(['EXPIREAT', 'PEXPIREAT']), key(r), String(r.pick([4000000000, 4000000001, 1, 0, -1])), ...(r.chance(0.4) ? [kw(r, r.pick(['NX', 'XX', 'GT', 'LT']))] : [])] })],
  [2, (r) => ({ argv: [r.pick(['TTL', 'PTTL']), key(r)], ann: ['pttl'] })],
  [1, (r) => ({ argv: ['EXPIRETIME', key(r)], ann: ['ttl'] })],
  [1, (r) => ({ argv: ['PEXPIRETIME', key(r)], ann: ['pttl'] })],
  [1, (r) => ({ argv: [r.pick(['PERSIST', 'TYPE']), key(r)] })],
  [1, (r) => ({ argv: [r.pick(['RENAME', 'RENAMENX']), key(r), key(r)] })],
  [1, (r) => ({ argv: ['COPY', key(r), key(r), ...(r.chance(0.5) ? [kw(r, 'REPLACE')] : []), ...(r.chance(0.2) ? ['DB', small(r, 0, 2)] : [])] })],
  [1, (r) => ({ argv: ['KEYS', r.pick(['*', 'k?', 'k[12]', 'k[^1]*', '*3', 'x*'])], ann: ['unordered'] })],
  [1, (r) => ({ argv: ['OBJECT', 'ENCODING', key(r)] })],
  [1, () => ({ argv: ['DBSIZE'] })],
  [3, (r) => r.pick(OTHER_TYPES)(r)],
]

export const strings: Gen = (r) => r.weighted(GENS)(r)
