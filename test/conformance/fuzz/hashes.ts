/**
 * Hash commands. Each seed runs in one of two modes, drawn on its first command:
 * - `small`: fields and values stay within the listpack limits, so HKEYS, HVALS, HGETALL, HSCAN
 *   and HRANDFIELD (whole-hash counts) keep insertion order and are compared exactly;
 * - `big`: hashes pushed over the limits (130+ fields, fields or values over 64 bytes), where
 *   hashtable order is compared as unordered and scans only in one full step.
 * HSCAN's NOVALUES is Redis 7.4 (Redis 7.2 answers a syntax error, Valkey 8 accepts it): not generated.
 */
import type { Annotation } from '../harness.js'
import { anInt, type Cmd, FLOATS, type Gen, INTS, KEYS, kw, type Rng, scanOptions, small, VALUES } from './gen.js'

type Mode = 'small' | 'big'

interface State {
  mode: Mode
}

/** Per-seed state: a new Rng is made for every seed. */
const STATES = new WeakMap<Rng, State>()

function stateOf(r: Rng): State {
  let s = STATES.get(r)
  if (s === undefined) {
    s = { mode: r.chance(0.55) ? 'small' : 'big' }
    STATES.set(r, s)
  }
  return s
}

const FIELDS = ['f1', 'f2', 'f3', 'f4', 'n', 'x', '1', '-1', '', 'é', 'a b', '100']
/** Values that parse (or fail to parse) as numbers in interesting ways, all within 64 bytes. */
const NUMERIC = ['0', '1', '-1', '10', '9223372036854775807', '-9223372036854775808', '9223372036854775806', '1.5', '-2.25', '1e3', ' 1', '01', '+1', 'abc', '', 'inf', '0x10', '3.0', '5e-324', '1e20', '-1e19']

const key = (r: Rng): string => r.pick(KEYS)

function field(r: Rng, st: State): string {
  if (st.mode === 'big' && r.chance(0.03)) return r.pick(['F', 'é', '€']).repeat(r.int(20, 70)).slice(0, 70)
  // Exactly at the 64-byte limit, in multi-byte characters: still a listpack field.
  if (st.mode === 'small' && r.chance(0.02)) return r.pick(['é'.repeat(32), '€'.repeat(21) + 'x'])
  return r.pick(FIELDS)
}

/** Numbers whose HINCRBYFLOAT results print with hundreds of digits (a long value: hashtable). */
const HUGE = ['1e400', '1e308', '-1e308', '1.7976931348623157e308']

function value(r: Rng, st: State): string {
  if (st.mode === 'big' && r.chance(0.05)) return r.pick(['v', 'é', '€']).repeat(r.int(20, 70)).slice(0, 70)
  if (st.mode === 'small' && r.chance(0.02)) return r.pick(['é'.repeat(32), '€'.repeat(21) + 'x'])
  if (r.chance(0.5)) return st.mode === 'big' && r.chance(0.1) ? r.pick(HUGE) : r.pick(NUMERIC)
  return r.pick(VALUES.filter((v) => v.length <= 64))
}

const fields = (r: Rng, st: State, lo: number, hi: number): string[] => Array.from({ length: r.int(lo, hi) }, () => field(r, st))
const pairs = (r: Rng, st: State, lo: number, hi: number): string[] => Array.from({ length: r.int(lo, hi) }, () => [field(r, st), value(r, st)]).flat()

/**
 * Many fields at once (big mode): around Redis 7.2's hash-max-listpack-entries (128, which the
 * differential's valkey is started with) and well past it.
 */
function bulk(r: Rng): string[] {
  const n = r.pick([100, 127, 128, 129, 200, 600])
  const v = r.int(0, 9)
  return Array.from({ length: n }, (_, i) => [`b${i}`, String(i + v)]).flat()
}

const orderAnn = (st: State, pairsReply = false): Annotation[] | undefined =>
  st.mode === 'big' ? [pairsReply ? 'unordered-pairs' : 'unordered'] : undefined

/** Type errors: other types on the shared keys. */
function otherType(r: Rng): Cmd {
  const k = key(r)
  switch (r.int(0, 6)) {
    case 0:
      return { argv: ['SET', k, r.pick(['a', '1', ''])] }
    case 1:
      return { argv: ['RPUSH', k, 'x'] }
    case 2:
      return { argv: ['ZADD', k, small(r), 'z'] }
    case 3:
      return { argv: ['SADD', k, r.pick(['1', 'm'])] }
    case 4:
      return { argv: ['XADD', k, `${r.int(1, 20)}-${r.int(0, 2)}`, 'f', 'v'] }
    case 5:
      return { argv: ['DEL', k] }
    default:
      return { argv: ['TYPE', k] }
  }
}

const scanOpts = (r: Rng, st: State): string[] => scanOptions(r, ['*', 'f*', '?', '1*', 'b1*', '[fx]*', '*0', 'F*'], st.mode === 'big')

function hrandfield(r: Rng, st: State): Cmd {
  const k = key(r)
  switch (r.int(0, 4)) {
    case 0:
      return { argv: ['HRANDFIELD', k], ann: ['any'] }
    case 1:
      return { argv: ['HRANDFIELD', k, anInt(r, -5, 5), ...(r.chance(0.5) ? [kw(r, 'WITHVALUES')] : [])], ann: ['any'] }
    case 2: {
      // No count, or more than the hash holds: deterministic (empty, or the whole hash).
      const wv = r.chance(0.5)
      return { argv: ['HRANDFIELD', k, r.pick(['0', '100000']), ...(wv ? ['WITHVALUES'] : [])], ann: orderAnn(st) }
    }
    case 3:
      return {
        // Huge negative counts that are allowed would make the server build a reply of that size.
        argv: r.chance(0.5)
          ? ['HRANDFIELD', k, r.pick([...INTS.filter((x) => !x.startsWith('-9')), '4611686018427387903', '4611686018427387904', '9223372036854775807']), ...(r.chance(0.6) ? ['WITHVALUES'] : [])]
          : ['HRANDFIELD', k, r.pick(['-4611686018427387904', '-9223372036854775807', '-9223372036854775808', '4611686018427387904']), 'WITHVALUES'],
        ann: ['any'],
      }
    default:
      return { argv: ['HRANDFIELD', k, small(r, -2, 2), r.pick(['WITHVALUE', 'x', 'WITHVALUES']), ...(r.chance(0.5) ? ['x'] : [])], ann: ['any'] }
  }
}

const GENS: Array<readonly [number, (r: Rng, st: State) => Cmd]> = [
  [10, (r, st) => ({ argv: ['HSET', key(r), ...pairs(r, st, 1, 4)] })],
  [2, (r, st) => ({ argv: ['HSET', key(r), ...(st.mode === 'big' ? bulk(r) : pairs(r, st, 1, 3))] })],
  [1, (r, st) => ({ argv: [r.pick(['HSET', 'HMSET']), key(r), ...pairs(r, st, 0, 2), ...(r.chance(0.7) ? [field(r, st)] : [])] })],
  [3, (r, st) => ({ argv: ['HMSET', key(r), ...pairs(r, st, 1, 3)] })],
  [3, (r, st) => ({ argv: ['HSETNX', key(r), field(r, st), value(r, st), ...(r.chance(0.05) ? ['x'] : [])] })],
  [5, (r, st) => ({ argv: ['HGET', key(r), field(r, st), ...(r.chance(0.03) ? ['x'] : [])] })],
  [3, (r, st) => ({ argv: ['HMGET', key(r), ...fields(r, st, r.chance(0.05) ? 0 : 1, 4)] })],
  [5, (r, st) => ({ argv: ['HDEL', key(r), ...fields(r, st, r.chance(0.05) ? 0 : 1, 4)] })],
  [3, (r, st) => ({ argv: ['HEXISTS', key(r), field(r, st), ...(r.chance(0.03) ? ['x'] : [])] })],
  [3, (r) => ({ argv: ['HLEN', key(r), ...(r.chance(0.03) ? ['x'] : [])] })],
  [3, (r, st) => ({ argv: ['HSTRLEN', key(r), field(r, st), ...(r.chance(0.03) ? ['x'] : [])] })],
  [3, (r, st) => ({ argv: ['HKEYS', key(r)], ann: orderAnn(st) })],
  [3, (r, st) => ({ argv: ['HVALS', key(r)], ann: orderAnn(st) })],
  [4, (r, st) => ({ argv: ['HGETALL', key(r)], ann: orderAnn(st, true) })],
  [1, (r) => ({ argv: [r.pick(['HKEYS', 'HVALS', 'HGETALL', 'HLEN']), ...(r.chance(0.5) ? [] : [key(r), 'x'])] })],
  [5, (r, st) => ({ argv: ['HINCRBY', key(r), field(r, st), r.chance(0.8) ? anInt(r, -100, 100) : r.pick([...INTS, '9223372036854775806', '-9223372036854775807'])] })],
  [5, (r, st) => {
    const edge = r.pick([...FLOATS, ...HUGE, ' 1', '1 ', '0x10', '1e', '5e-324', '1e20'])
    // A huge increment (1e400 too: HINCRBYFLOAT reads a long double) stores a long value: big mode only.
    const by = r.chance(0.8) || (st.mode === 'small' && HUGE.includes(edge)) ? String(r.int(-40, 40) / 4) : edge
    return { argv: ['HINCRBYFLOAT', key(r), field(r, st), by] }
  }],
  [1, (r, st) => ({ argv: [r.pick(['HINCRBY', 'HINCRBYFLOAT']), key(r), field(r, st), ...(r.chance(0.5) ? ['1', 'x'] : [])] })],
  [4, (r, st) => hrandfield(r, st)],
  [3, (r, st) => ({ argv: ['HSCAN', key(r), r.chance(0.9) || st.mode === 'big' ? '0' : r.pick(['1', '-1', 'abc', '18446744073709551615', '18446744073709551616']), ...scanOpts(r, st)], ann: orderAnn(st) })],
  [1, (r) => ({ argv: ['HSCAN', key(r)] })],
  [3, (r) => ({ argv: ['OBJECT', 'ENCODING', key(r)] })],
  [1, (r) => ({ argv: ['EXISTS', ...r.some(KEYS, 1, 3)] })],
  [1, (r) => ({ argv: ['COPY', key(r), key(r), ...(r.chance(0.5) ? ['REPLACE'] : [])] })],
  // Expiry and renames carry the hash (and its encoding) along.
  [1, (r) => ({ argv: ['EXPIRE', key(r), String(r.int(1000, 100000))] })],
  [1, (r) => ({ argv: ['TTL', key(r)], ann: ['ttl'] })],
  [1, (r) => ({ argv: ['RENAME', key(r), key(r)] })],
  [4, (r) => otherType(r)],
]

export const hashes: Gen = (r) => {
  const st = stateOf(r)
  const cmd = r.weighted(GENS)(r, st)
  if (cmd.ann === undefined) delete cmd.ann
  return cmd
}
