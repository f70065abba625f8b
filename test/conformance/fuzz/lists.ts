/**
 * List commands. The blocking ones (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) are left out: on an
 * empty key they would block the shared connection.
 */
import { anInt, type Gen, INTS, KEYS, kw, OTHER_TYPES, type Rng, small } from './gen.js'

const key = (r: Rng): string => r.pick(KEYS)

/** Elements: a small pool (so LREM/LPOS/LINSERT find them), numbers (listpack integers) and a long one. */
const ELEMS = ['a', 'b', 'c', 'a', 'b', '', '1', '-7', '12345678901', 'é', 'x'.repeat(70)] as const
const elem = (r: Rng): string => r.pick(ELEMS)

/** Now and then an element big enough (with a few of them) to pass the 8 KB listpack limit. */
const pushElem = (r: Rng): string => (r.chance(0.05) ? 'y'.repeat(r.pick([2000, 4000, 8192, 8193, 9000])) : elem(r))

/** An index around the list's edges. */
const idx = (r: Rng): string => anInt(r, -6, 6)

/** Drops the last argument now and then (arity errors), never the command name. */
function maybeShort(r: Rng, argv: string[]): string[] {
  if (argv.length > 1 && r.chance(0.03)) return argv.slice(0, r.int(1, argv.length - 1))
  return argv
}

const side = (r: Rng): string => (r.chance(0.95) ? kw(r, r.pick(['LEFT', 'RIGHT'])) : r.pick(['UP', 'LEFTX', '']))

function lposOptions(r: Rng): string[] {
  const out: string[] = []
  const n = r.int(0, 3)
  for (let i = 0; i < n; i++) {
    const o = r.chance(0.95) ? r.pick(['RANK', 'COUNT', 'MAXLEN']) : r.pick(['FOO', 'RANKS'])
    out.push(kw(r, o))
    // A missing value now and then (a trailing keyword).
    if (r.chance(0.97)) {
      if (o === 'RANK') out.push(r.chance(0.9) ? r.pick(['1', '2', '-1', '-2', '3']) : r.pick([...INTS, '-9223372036854775808']))
      else out.push(r.chance(0.9) ? small(r, 0, 4) : anInt(r, -1, 4))
    }
  }
  return out
}

function lmpop(r: Rng): string[] {
  const n = r.chance(0.9) ? r.int(1, 3) : r.int(-1, 5)
  const keys = r.some(KEYS, Math.max(1, Math.min(n, 3)), Math.max(1, Math.min(n, 3)))
  const out = ['LMPOP', r.chance(0.95) ? String(n) : r.pick(INTS), ...keys]
  if (r.chance(0.95)) out.push(side(r))
  if (r.chance(0.4)) {
    out.push(kw(r, 'COUNT'))
    if (r.chance(0.95)) out.push(anInt(r, 0, 5))
  }
  if (r.chance(0.03)) out.push(kw(r, 'COUNT'), '1')
  return out
}

const GENS: Array<readonly [number, Gen]> = [
  [8, (r) => ({ argv: maybeShort(r, [r.pick(['LPUSH', 'RPUSH']), key(r), ...Array.from({ length: r.int(1, 4) }, () => pushElem(r))]) })],
  // A bulk push, to cross the listpack limits now and then.
  [1, (r) => ({ argv: [r.pick(['LPUSH', 'RPUSH']), key(r), ...Array.from({ length: r.int(20, 140) }, () => elem(r))] })],
  [2, (r) => ({ argv: maybeShort(r, [r.pick(['LPUSHX', 'RPUSHX']), key(r), ...Array.from({ length: r.int(1, 3) }, () => pushElem(r))]) })],
  [4, (r) => ({ argv: [r.pick(['LPOP', 'RPOP']), key(r), ...(r.chance(0.5) ? [anInt(r, -1, 5)] : [])] })],
  [3, (r) => ({ argv: maybeShort(r, ['LRANGE', key(r), idx(r), idx(r)]) })],
  [2, (r) => ({ argv: maybeShort(r, ['LLEN', key(r)]) })],
  [2, (r) => ({ argv: maybeShort(r, ['LINDEX', key(r), idx(r)]) })],
  [2, (r) => ({ argv: maybeShort(r, ['LSET', key(r), idx(r), pushElem(r)]) })],
  [2, (r) => ({ argv: maybeShort(r, ['LINSERT', key(r), r.chance(0.95) ? kw(r, r.pick(['BEFORE', 'AFTER'])) : 'MIDDLE', elem(r), pushElem(r)]) })],
  [2, (r) => ({ argv: maybeShort(r, ['LREM', key(r), anInt(r, -3, 3), elem(r)]) })],
  [2, (r) => ({ argv: maybeShort(r, ['LTRIM', key(r), idx(r), idx(r)]) })],
  [3, (r) => ({ argv: maybeShort(r, ['LPOS', key(r), elem(r), ...lposOptions(r)]) })],
  [3, (r) => ({ argv: maybeShort(r, ['LMOVE', key(r), key(r), side(r), side(r)]) })],
  [1, (r) => ({ argv: maybeShort(r, ['RPOPLPUSH', key(r), key(r)]) })],
  [2, (r) => ({ argv: lmpop(r) })],
  [1, (r) => ({ argv: ['OBJECT', 'ENCODING', key(r)] })],
  [1, (r) => ({ argv: [r.pick(['DEL', 'EXISTS', 'TYPE']), key(r)] })],
  [1, (r) => ({ argv: ['COPY', key(r), key(r), ...(r.chance(0.5) ? [kw(r, 'REPLACE')] : [])] })],
  [1, (r) => ({ argv: ['SORT', key(r), ...(r.chance(0.5) ? [kw(r, 'ALPHA')] : []), ...(r.chance(0.3) ? [kw(r, 'DESC')] : []), ...(r.chance(0.3) ? ['LIMIT', small(r, -1, 3), small(r, -1, 3)] : [])] })],
  [2, (r) => r.pick(OTHER_TYPES)(r)],
]

export const lists: Gen = (r) => r.weighted(GENS)(r)
