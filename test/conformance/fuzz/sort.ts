/** SORT and SORT_RO over lists, sets and sorted sets, with BY/GET patterns on string and hash keys. */
import { type Gen, KEYS, kw, OTHER_TYPES, type Rng } from './gen.js'

const key = (r: Rng): string => r.pick(KEYS)

/**
 * Elements: numbers (as SORT compares them), words (for ALPHA, and the
 * "can't be converted" error without it), and a few odd ones.
 */
const ELEMS = ['1', '2', '3', '10', '-1', '1.5', '0', '007', '2e1', 'a', 'b', 'B', 'ab', '', 'inf', '-inf', 'é'] as const
/** Mostly numbers, so numeric sorts often succeed. */
const elem = (r: Rng): string => (r.chance(0.6) ? r.pick(ELEMS.slice(0, 9)) : r.pick(ELEMS))

/**
 * Values stored under the weight keys `w_<elem>` and hash fields `h_<elem>->f`. No value that
 * overflows a double (1e400): Redis's SORT tests `errno == ERANGE` after strtod without clearing
 * errno first, so once one such value was parsed, later SORTs on the same connection may fail
 * with "can't be converted" or not depending on the system calls made in between.
 */
const weight = (r: Rng): string => r.pick(['1', '2', '5', '-3', '0.5', '100', '3', 'x', '', 'inf', 'nan', '1e-5', ' 1'])

const BY = ['w_*', 'h_*->f', 'h_*->g', 'nosort', 'missing_*', 'w_*x', '*', 'h_*->', '->f', 'w_*->f', 'h_*', 'w_*_*'] as const
const GET = ['#', 'w_*', 'h_*->f', 'h_*->g', 'missing_*', 'w_', 'h_*->', '*', 'k1', 'h_*'] as const

/** What SORT makes of its options, read as sort.c reads them (a stray keyword may take the next word). */
function readOptions(args: readonly string[], ro: boolean): { nosort: boolean; by: boolean; store: boolean; limit: boolean; alpha: boolean } {
  const o = { nosort: false, by: false, store: false, limit: false, alpha: false }
  for (let j = 0; j < args.length; j++) {
    const left = args.length - j - 1
    const w = args[j]!.toUpperCase()
    if (w === 'ALPHA') o.alpha = true
    else if (w === 'LIMIT' && left >= 2) {
      o.limit = true
      j += 2
    } else if (w === 'STORE' && left >= 1 && !ro) {
      o.store = true
      j++
    } else if (w === 'BY' && left >= 1) {
      // A pattern without `*` turns sorting off for good, even if another BY follows.
      if (!args[j + 1]!.includes('*')) o.nosort = true
      else o.by = true
      j++
    } else if (w === 'GET' && left >= 1) j++
  }
  return o
}

function sortArgs(r: Rng, ro: boolean): { args: string[]; ann?: ['unordered'] } {
  const out: string[] = []
  const parts = r.some(['BY', 'LIMIT', 'GET', 'GET', 'ORDER', 'ALPHA', 'STORE', 'BAD'] as const, 0, 4)
  for (const p of parts) {
    if (p === 'BY') out.push(kw(r, 'BY'), r.pick(BY))
    else if (p === 'LIMIT') {
      const n = (): string => (r.chance(0.9) ? String(r.int(-2, 6)) : r.pick(['abc', '', '1.5', '9223372036854775807']))
      out.push(kw(r, 'LIMIT'), n(), n())
    } else if (p === 'GET') out.push(kw(r, 'GET'), r.pick(GET))
    else if (p === 'ORDER') out.push(kw(r, r.pick(['ASC', 'DESC'])))
    else if (p === 'ALPHA') out.push(kw(r, 'ALPHA'))
    else if (p === 'STORE') {
      if (ro && r.chance(0.8)) continue
      out.push(kw(r, 'STORE'), key(r))
    } else out.push(r.pick(['FOO', 'BY', 'LIMIT', 'GET', 'STORE']))
  }
  const o = readOptions(out, ro)
  // Unsorted output of a set (no STORE) follows the set's internal order: compare as a multiset,
  // and skip LIMIT there (which members fall inside the window depends on that order).
  if (o.nosort && !o.store) {
    if (o.limit) return sortArgs(r, ro)
    return { args: out, ann: ['unordered'] }
  }
  // ALPHA with a BY pattern leaves equal (or missing) BY values tied, and Redis then keeps the
  // order it loaded the elements in: a sorted set's hash table order (SORT iterates its dict),
  // and with LIMIT its partial quicksort (pqsort) reorders ties. Neither is reproducible, so
  // such sorts are compared as multisets, without LIMIT or STORE. (The stable order of lists is
  // covered by the scenarios.)
  if (!o.nosort && o.by && o.alpha) {
    if (o.limit || o.store) return sortArgs(r, ro)
    return { args: out, ann: ['unordered'] }
  }
  return { args: out }
}

const GENS: Array<readonly [number, Gen]> = [
  [12, (r) => {
    const { args, ann } = sortArgs(r, false)
    return ann === undefined ? { argv: ['SORT', key(r), ...args] } : { argv: ['SORT', key(r), ...args], ann }
  }],
  [4, (r) => {
    const { args, ann } = sortArgs(r, true)
    return ann === undefined ? { argv: ['SORT_RO', key(r), ...args] } : { argv: ['SORT_RO', key(r), ...args], ann }
  }],
  // The data: lists, sets and sorted sets of elements, plus weights and hash fields.
  [4, (r) => ({ argv: ['RPUSH', key(r), ...r.some([0], 1, 5).map(() => elem(r))] })],
  [3, (r) => ({ argv: ['SADD', key(r), ...r.some([0], 1, 5).map(() => elem(r))] })],
  [3, (r) => ({ argv: ['ZADD', key(r), ...r.some([0], 1, 4).flatMap(() => [String(r.int(-3, 5)), elem(r)])] })],
  [4, (r) => ({ argv: ['SET', 'w_' + elem(r), weight(r)] })],
  [4, (r) => ({ argv: ['HSET', 'h_' + elem(r), r.pick(['f', 'g']), weight(r)] })],
  [1, (r) => ({ argv: ['DEL', r.chance(0.5) ? 'w_' + elem(r) : 'h_' + elem(r)] })],
  [1, (r) => ({ argv: ['RPUSH', 'w_' + elem(r), 'x'] })],
  // Past the listpack limits (128 entries), sets become hashtables: only sorted output is compared there.
  [0.2, (r) => ({ argv: [r.pick(['RPUSH', 'SADD']), key(r), ...Array.from({ length: 130 }, (_, i) => (r.chance(0.5) ? String(i) : 'e' + String(i)))] })],
  [2, (r) => ({ argv: ['LRANGE', key(r), '0', '-1'] })],
  [1, (r) => ({ argv: ['ZRANGE', key(r), '0', '-1', 'WITHSCORES'] })],
  [1, (r) => ({ argv: ['TYPE', key(r)] })],
  [1, (r) => ({ argv: ['OBJECT', 'ENCODING', key(r)] })],
  [1, (r) => ({ argv: ['EXISTS', key(r)] })],
  [3, (r) => r.pick(OTHER_TYPES)(r)],
]

export const sort: Gen = (r) => r.weighted(GENS)(r)
