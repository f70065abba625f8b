/**
 * Set commands. Each seed runs in one of three modes, drawn on its first command:
 * - `int`: integer members only, at most 512 distinct, so every set stays an intset and every reply
 *   has Redis's exact (numeric) order;
 * - `small`: mixed members that stay within the listpack limits, so replies keep insertion order
 *   (except SUNION/SDIFF, whose result Redis builds as a hashtable);
 * - `big`: sets pushed over the limits (130+ members, 512+ integers, members over 64 bytes), where
 *   hashtable order is compared as unordered and scans only in one full step.
 * Random commands (SPOP, SRANDMEMBER) would make the two sides' data drift apart, so a random SPOP
 * works on a copy (`COPY k tmp`), checked by size and encoding and deleted in the same script.
 */
import type { Annotation } from '../harness.js'
import { anInt, type Cmd, type Gen, INTS, KEYS, kw, type Rng, scanOptions, small, VALUES } from './gen.js'

type Mode = 'int' | 'small' | 'big'

interface State {
  mode: Mode
  /** Big mode: members over 64 bytes appear too. */
  long: boolean
}

/** Per-seed state: a new Rng is made for every seed. */
const STATES = new WeakMap<Rng, State>()

function stateOf(r: Rng): State {
  let s = STATES.get(r)
  if (s === undefined) {
    const mode = r.weighted<Mode>([[2, 'int'], [4, 'small'], [3, 'big']])
    s = { mode, long: mode === 'big' && r.chance(0.5) }
    STATES.set(r, s)
  }
  return s
}

const INT_MEMBERS = ['0', '1', '2', '3', '-1', '-5', '10', '100', '9223372036854775807', '-9223372036854775808', '007', '+1']
const STR_MEMBERS = ['a', 'b', 'c', 'd', 'hello', '', 'é', 'a b', '1.5', '9223372036854775808', '-0', ' 1']
/** `007` and `+1` are not canonical integers: an intset cannot hold them. */
const INT_ONLY = INT_MEMBERS.filter((m) => !['007', '+1'].includes(m))

const key = (r: Rng): string => r.pick(KEYS)
const keys = (r: Rng, lo: number, hi: number): string[] => r.some(KEYS, lo, hi)

/** COPY k tmp; SPOP tmp [count]; {popped, SCARD tmp, OBJECT ENCODING tmp}; DEL tmp (as a script). */
const SPOP_SCRIPT = [
  "redis.call('COPY', KEYS[1], 'tmp', 'REPLACE')",
  "local p = redis.pcall('SPOP', 'tmp', unpack(ARGV))",
  "if type(p) == 'table' and p.err then redis.call('DEL', 'tmp') return p.err end",
  "local n = type(p) == 'table' and #p or (p and 1 or 0)",
  'local r = {n, redis.call(\'SCARD\', \'tmp\'), ENC}',
  "redis.call('DEL', 'tmp')",
  'return r',
].join(' ')

function member(r: Rng, st: State): string {
  if (st.mode === 'int') return r.pick(INT_ONLY)
  if (st.long && r.chance(0.05)) return r.pick(['m', 'é', '€']).repeat(r.int(20, 70)).slice(0, 70)
  // Exactly at the 64-byte limit, in multi-byte characters: still a listpack member.
  if (st.mode === 'small' && r.chance(0.02)) return r.pick(['é'.repeat(32), '€'.repeat(21) + 'x'])
  return r.chance(0.5) ? r.pick(INT_MEMBERS) : r.pick(STR_MEMBERS)
}

const members = (r: Rng, st: State, lo: number, hi: number): string[] => Array.from({ length: r.int(lo, hi) }, () => member(r, st))

/** Many members at once (big mode): integers (intset up to 512) or strings (listpack up to 128). */
function bulk(r: Rng): string[] {
  const n = r.pick([120, 127, 128, 129, 130, 200, 511, 512, 513, 600])
  const ints = r.chance(0.5)
  const base = r.int(0, 50)
  return Array.from({ length: n }, (_, i) => (ints ? String(base + i) : `s${base + i}`))
}

/** Int mode: up to 500 integers, always from the same 500, so every set stays within 512 (an intset). */
function intBulk(r: Rng): string[] {
  const n = r.int(1, 500)
  const base = r.int(0, 500 - n)
  return Array.from({ length: n }, (_, i) => String(1000 + base + i))
}

/** The order annotation for a reply whose order is a set's iteration order. */
const orderAnn = (st: State): Annotation[] | undefined => (st.mode === 'big' ? ['unordered'] : undefined)

/** Type errors: other types on the shared keys. */
function otherType(r: Rng): Cmd {
  const k = key(r)
  switch (r.int(0, 6)) {
    case 0:
      return { argv: ['SET', k, r.pick(VALUES.filter((v) => v.length < 64))] }
    case 1:
      return { argv: ['RPUSH', k, 'x'] }
    case 2:
      return { argv: ['ZADD', k, small(r), 'z'] }
    case 3:
      return { argv: ['HSET', k, 'f', 'v'] }
    case 4:
      return { argv: ['XADD', k, `${r.int(1, 20)}-${r.int(0, 2)}`, 'f', 'v'] }
    case 5:
      return { argv: ['DEL', k] }
    default:
      return { argv: ['TYPE', k] }
  }
}

const scanOpts = (r: Rng, st: State): string[] => scanOptions(r, ['*', 'a*', '?', '1*', '-*', '[ab]', 's1*', '*0'], st.mode === 'big')

const GENS: Array<readonly [number, (r: Rng, st: State) => Cmd]> = [
  [10, (r, st) => ({ argv: ['SADD', key(r), ...members(r, st, 1, 5)] })],
  [2, (r, st) => ({ argv: ['SADD', key(r), ...(st.mode === 'big' ? bulk(r) : st.mode === 'int' ? intBulk(r) : members(r, st, 1, 3))] })],
  [1, (r) => ({ argv: r.chance(0.5) ? ['SADD', key(r)] : ['SADD'] })],
  [5, (r, st) => ({ argv: ['SREM', key(r), ...members(r, st, 1, 4)] })],
  [1, (r) => ({ argv: ['SREM', key(r)] })],
  [3, (r) => ({ argv: ['SCARD', key(r), ...(r.chance(0.05) ? ['x'] : [])] })],
  [3, (r, st) => ({ argv: ['SISMEMBER', key(r), member(r, st), ...(r.chance(0.05) ? ['x'] : [])] })],
  [2, (r, st) => ({ argv: ['SMISMEMBER', key(r), ...members(r, st, r.chance(0.05) ? 0 : 1, 4)] })],
  [4, (r, st) => ({ argv: ['SMEMBERS', key(r)], ann: orderAnn(st) })],
  [3, (r, st) => ({ argv: ['SMOVE', key(r), key(r), member(r, st), ...(r.chance(0.05) ? ['x'] : [])] })],
  // SPOP on a copy, inside one script so no run ever ends with the two sides' copies different:
  // how many were popped, the size left and the encoding (the rebuild rule) are compared.
  [3, (r, st) => {
    const form = r.int(0, 2)
    const count = form === 0 ? [] : form === 1 ? [small(r, 0, 5)] : [String(r.pick([50, 100, 125, 200, 500, 600]))]
    // Whether a long member stays (a hashtable) or goes (a listpack) is random when SPOP rebuilds the set.
    const enc = st.long ? "'-'" : "redis.call('OBJECT', 'ENCODING', 'tmp') or '-'"
    return { argv: ['EVAL', SPOP_SCRIPT.replace('ENC', enc), '1', key(r), ...count] }
  }],
  // SPOP's errors, and SPOP that takes everything or nothing, are deterministic.
  [1, (r) => ({ argv: ['SPOP', key(r), r.pick(['-1', 'abc', '', '1.5', '9223372036854775808', '-9223372036854775808'])] })],
  // Redis answers it with SUNION's code: hashtable order unless the set is an intset.
  [1, (r, st) => ({ argv: ['SPOP', key(r), r.pick(['0', '100000'])], ann: st.mode === 'int' ? undefined : ['unordered'] })],
  [1, (r) => ({ argv: ['SPOP', key(r), '1', 'x'] })],
  [3, (r) => {
    const form = r.int(0, 3)
    const args = form === 0 ? [] : form === 1 ? [anInt(r, -5, 5)] : form === 2 ? [r.pick(INTS)] : [small(r), 'x']
    return { argv: ['SRANDMEMBER', key(r), ...args], ann: ['any'] }
  }],
  // SRANDMEMBER of 0 or of more than the set holds is deterministic (empty, or the whole set).
  [1, (r, st) => ({ argv: ['SRANDMEMBER', key(r), r.pick(['0', '100000'])], ann: orderAnn(st) })],
  // SINTER keeps the smallest set's order, which for a hashtable is the table's.
  [4, (r, st) => ({ argv: ['SINTER', ...keys(r, 1, 3)], ann: orderAnn(st) })],
  // Redis builds their result as a hashtable unless every input is an intset.
  [3, (r, st) => ({ argv: ['SUNION', ...keys(r, 1, 3)], ann: st.mode === 'int' ? undefined : ['unordered'] })],
  [3, (r, st) => ({ argv: ['SDIFF', ...keys(r, 1, 3)], ann: st.mode === 'int' ? undefined : ['unordered'] })],
  [3, (r) => ({ argv: [r.pick(['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']), key(r), ...keys(r, 1, 3)] })],
  [1, (r) => ({ argv: [r.pick(['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE', 'SINTER', 'SUNION', 'SDIFF']), ...(r.chance(0.5) ? [key(r)] : [])], ann: ['unordered'] })],
  [3, (r) => {
    const ks = keys(r, 1, 3)
    const numkeys = r.chance(0.85) ? String(ks.length) : r.pick(['0', '-1', '5', 'abc', '01', '+1', ' 1', '1 ', String(ks.length + 1), String(ks.length - 1), '9223372036854775807', '9223372036854775808'])
    const opts: string[] = []
    if (r.chance(0.5)) opts.push(kw(r, 'LIMIT'), r.chance(0.8) ? small(r, 0, 5) : r.pick(['-1', 'abc', '']))
    if (r.chance(0.1)) opts.push(r.pick(['LIMIT', 'x']))
    return { argv: ['SINTERCARD', numkeys, ...ks, ...opts] }
  }],
  [3, (r, st) => ({ argv: ['SSCAN', key(r), r.chance(0.9) || st.mode === 'big' ? '0' : r.pick(['1', '-1', 'abc', '18446744073709551615', '18446744073709551616']), ...scanOpts(r, st)], ann: orderAnn(st) })],
  [3, (r) => ({ argv: ['OBJECT', 'ENCODING', key(r)] })],
  [1, (r) => ({ argv: ['EXISTS', ...keys(r, 1, 3)] })],
  // Expiry and renames carry the set (and its encoding) along.
  [1, (r) => ({ argv: ['EXPIRE', key(r), String(r.int(1000, 100000))] })],
  [1, (r) => ({ argv: ['TTL', key(r)], ann: ['ttl'] })],
  [1, (r) => ({ argv: [r.pick(['RENAME', 'COPY']), key(r), key(r)] })],
  [4, (r) => otherType(r)],
]

export const sets: Gen = (r) => {
  const st = stateOf(r)
  const cmd = r.weighted(GENS)(r, st)
  if (cmd.ann === undefined) delete cmd.ann
  return cmd
}
