import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  SortedSet,
  compareBytes,
  parseLexBound,
  type LexBound,
  type SortedSetNode,
} from '../../src/types/sorted-set.js'
import { keyBytes, keyOf } from '../../src/core/bytes.js'

/** Reference order: the bytes a canonical string stands for, compared as Redis's memcmp does. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(keyBytes(a), keyBytes(b))
}

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0)

describe('compareBytes', () => {
  it('orders BMP private-use characters before astral ones, unlike JS <', () => {
    // '\uE000' < '\u{1F600}' bytewise (EE.. < F0..) though its UTF-16 unit is larger than 0xD83D.
    expect(compareBytes('\uE000', '\u{1F600}')).toBeLessThan(0)
    expect(compareBytes('\u{1F600}', '\uFFFF')).toBeGreaterThan(0)
    expect('\uE000' < '\u{1F600}').toBe(false)
  })

  it('handles prefixes, equality and astral pairs differing in the low surrogate', () => {
    expect(compareBytes('', '')).toBe(0)
    expect(compareBytes('ab', 'abc')).toBeLessThan(0)
    expect(compareBytes('abc', 'ab')).toBeGreaterThan(0)
    expect(compareBytes('\u{1F600}', '\u{1F601}')).toBeLessThan(0)
    expect(compareBytes('x\u{1F600}', 'x\uFFFF')).toBeGreaterThan(0)
  })

  it('equals the sign of a UTF-8 byte comparison for any well-formed strings', () => {
    const chars = fc.constantFrom('a', 'b', 'é', '\u07FF', '\u0800', '\uD7FF', '\uE000', '\uFFFF', '\u{10000}', '\u{1F600}', '\u{10FFFF}')
    const str = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: chars }))
    fc.assert(
      fc.property(str, str, (a, b) => {
        expect(sign(compareBytes(a, b))).toBe(byteOrder(a, b))
      }),
      { numRuns: 3000 },
    )
  })

  it('is a total order with lone surrogates (antisymmetric and transitive)', () => {
    const chars = fc.constantFrom('a', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uE000', '\u{1F600}', '\uD7FF')
    // A leading 'x' keeps these strings apart from marked (non-UTF-8) ones.
    const str = fc.string({ unit: chars, maxLength: 4 }).map((s) => 'x' + s)
    fc.assert(
      fc.property(str, str, str, (a, b, c) => {
        expect(sign(compareBytes(a, b)) + sign(compareBytes(b, a))).toBe(0)
        if (compareBytes(a, b) <= 0 && compareBytes(b, c) <= 0) expect(compareBytes(a, c)).toBeLessThanOrEqual(0)
        if (a !== b) expect(compareBytes(a, b)).not.toBe(0)
      }),
      { numRuns: 3000 },
    )
  })
})

describe('compareBytes on canonical strings of arbitrary bytes', () => {
  // Bytes chosen to form valid UTF-8 sequences as well as invalid ones.
  const byte = fc.constantFrom(0x00, 0x41, 0x5b, 0x7f, 0x80, 0x98, 0x9f, 0xa9, 0xbf, 0xc3, 0xe0, 0xee, 0xef, 0xf0, 0xff)
  const bytes = fc.oneof(
    fc.array(byte, { maxLength: 6 }).map((a) => Buffer.from(a)),
    fc.string({ unit: 'binary', maxLength: 4 }).map((s) => Buffer.from(s, 'utf8')),
  )

  it('orders canonical strings (keyOf) exactly as their bytes', () => {
    fc.assert(
      fc.property(bytes, bytes, (x, y) => {
        const a = keyOf(x)
        const b = keyOf(y)
        expect(sign(compareBytes(a, b))).toBe(Buffer.compare(x, y))
      }),
      { numRuns: 3000 },
    )
  })

  it('places raw bytes by value among text members', () => {
    const raw80 = keyOf(Buffer.from([0x80]))
    const rawFF = keyOf(Buffer.from([0xff]))
    expect(raw80.charCodeAt(0)).toBe(0xdc00)
    expect(compareBytes('a', raw80)).toBeLessThan(0)
    expect(compareBytes(raw80, 'é')).toBeLessThan(0) // 0x80 < 0xC3
    expect(compareBytes('\u{10FFFF}', rawFF)).toBeLessThan(0) // F4 < FF
    expect(compareBytes(rawFF, raw80)).toBeGreaterThan(0)
  })
})

describe('parseLexBound', () => {
  it('parses the four forms and rejects the rest', () => {
    expect(parseLexBound('-')).toBe('-')
    expect(parseLexBound('+')).toBe('+')
    expect(parseLexBound('[a')).toEqual({ value: 'a', exclusive: false })
    expect(parseLexBound('(')).toEqual({ value: '', exclusive: true })
    expect(parseLexBound('a')).toBeUndefined()
    expect(parseLexBound('')).toBeUndefined()
    expect(parseLexBound('-a')).toBeUndefined()
    expect(parseLexBound('++')).toBeUndefined()
  })

  it('keeps a non-UTF-8 bound value in canonical form', () => {
    const arg = keyOf(Buffer.from([0x5b, 0xff, 0x41])) // "[\xffA"
    expect(parseLexBound(arg)).toEqual({ value: keyOf(Buffer.from([0xff, 0x41])), exclusive: false })
    expect(parseLexBound(keyOf(Buffer.from([0x28, 0x80])))).toEqual({ value: keyOf(Buffer.from([0x80])), exclusive: true })
    expect(parseLexBound(keyOf(Buffer.from([0x2d, 0xff])))).toBeUndefined()
  })
})

const members = (nodes: SortedSetNode[]) => nodes.map((n) => n.member)

describe('SortedSet basics', () => {
  it('adds, updates, reports same, and orders ties by member bytes', () => {
    const z = new SortedSet()
    expect(z.add('b', 1)).toBe('added')
    expect(z.add('a', 1)).toBe('added')
    expect(z.add('\u{1F600}', 1)).toBe('added')
    expect(z.add('\uFFFF', 1)).toBe('added')
    expect(z.add('a', 1)).toBe('same')
    expect(z.add('c', -Infinity)).toBe('added')
    expect(members(z.rangeByRank(0, -1))).toEqual(['c', 'a', 'b', '\uFFFF', '\u{1F600}'])
    expect(z.add('c', Infinity)).toBe('updated')
    expect(members(z.rangeByRank(0, -1))).toEqual(['a', 'b', '\uFFFF', '\u{1F600}', 'c'])
    expect(z.score('c')).toBe(Infinity)
    expect(z.score('zz')).toBeUndefined()
    expect(z.size).toBe(5)
    z.assertValid()
  })

  it('updates in place when the order is kept, keeping the same node', () => {
    const z = new SortedSet()
    z.add('a', 1)
    z.add('b', 2)
    z.add('c', 3)
    const view = z.byRank(1)!
    expect(z.add('b', 2.5)).toBe('updated')
    expect(z.byRank(1)).toBe(view)
    expect(view.score).toBe(2.5)
    // Crossing a neighbour moves the element.
    expect(z.add('b', 10)).toBe('updated')
    expect(members(z.rangeByRank(0, -1))).toEqual(['a', 'c', 'b'])
    z.assertValid()
  })

  it('treats -0 as equal to 0, as Redis does', () => {
    const z = new SortedSet()
    z.add('a', 0)
    expect(z.add('a', -0)).toBe('same')
  })

  it('ranks, reverse ranks and rank lookups', () => {
    const z = new SortedSet()
    for (let i = 0; i < 100; i++) z.add('m' + String(i).padStart(3, '0'), i)
    expect(z.rank('m042')).toBe(42)
    expect(z.rank('m042', true)).toBe(57)
    expect(z.rank('nope')).toBeUndefined()
    expect(z.byRank(0)!.member).toBe('m000')
    expect(z.byRank(0, true)!.member).toBe('m099')
    expect(z.byRank(100)).toBeUndefined()
    expect(z.byRank(-1)).toBeUndefined()
    expect(z.first()!.member).toBe('m000')
    expect(z.last()!.member).toBe('m099')
    expect(z.next(z.first()!)!.member).toBe('m001')
    expect(z.prev(z.first()!)).toBeUndefined()
    expect(z.next(z.last()!)).toBeUndefined()
    z.assertValid()
  })

  it('applies ZRANGE index rules', () => {
    const z = new SortedSet()
    for (const [m, s] of [['a', 1], ['b', 2], ['c', 3], ['d', 4], ['e', 5]] as const) z.add(m, s)
    expect(members(z.rangeByRank(-100, 100))).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(members(z.rangeByRank(3, 1))).toEqual([])
    expect(members(z.rangeByRank(2, -10))).toEqual([])
    expect(members(z.rangeByRank(5, 10))).toEqual([])
    expect(members(z.rangeByRank(-2, -1))).toEqual(['d', 'e'])
    expect(members(z.rangeByRank(0, 1, true))).toEqual(['e', 'd'])
  })

  it('applies LIMIT as Redis: negative offset empties, negative count is unlimited', () => {
    const z = new SortedSet()
    for (const [m, s] of [['a', 1], ['b', 2], ['c', 3], ['d', 4], ['e', 5]] as const) z.add(m, s)
    expect(members(z.rangeByScore(-Infinity, Infinity, { offset: -1, count: 2 }))).toEqual([])
    expect(members(z.rangeByScore(-Infinity, Infinity, { offset: 1, count: -1 }))).toEqual(['b', 'c', 'd', 'e'])
    expect(members(z.rangeByScore(-Infinity, Infinity, { offset: 1, count: 0 }))).toEqual([])
    // ZREVRANGEBYSCORE z 4 2 LIMIT 1 5
    expect(members(z.rangeByScore(2, 4, { reverse: true, offset: 1, count: 5 }))).toEqual(['c', 'b'])
    expect(members(z.rangeByScore(2, 4, { minExclusive: true, maxExclusive: true }))).toEqual(['c'])
    expect(members(z.rangeByScore(3, 3, { minExclusive: true }))).toEqual([])
    expect(members(z.rangeByScore(4, 2))).toEqual([])
  })

  it('pops from both ends, and removed views keep their values', () => {
    const z = new SortedSet()
    for (let i = 0; i < 10; i++) z.add(String(i), i)
    const lo = z.popMin(3)
    expect(lo.map((n) => [n.member, n.score])).toEqual([['0', 0], ['1', 1], ['2', 2]])
    expect(members(z.popMax(2))).toEqual(['9', '8'])
    expect(members(z.popMax(100))).toEqual(['7', '6', '5', '4', '3'])
    expect(z.popMin()).toEqual([])
    expect(z.size).toBe(0)
    z.assertValid()
  })

  it('counts and removes ranges', () => {
    const z = new SortedSet()
    for (let i = 0; i < 50; i++) z.add('k' + i, i % 10)
    expect(z.countInScoreRange(2, 4)).toBe(15)
    expect(z.countInScoreRange(2, 4, { minExclusive: true, maxExclusive: true })).toBe(5)
    expect(z.countInScoreRange(20, 30)).toBe(0)
    expect(z.removeRangeByScore(2, 4)).toBe(15)
    expect(z.countInScoreRange(-Infinity, Infinity)).toBe(35)
    expect(z.removeRangeByRank(0, 4)).toBe(5)
    expect(z.removeRangeByRank(-1, -1)).toBe(1)
    expect(z.removeRangeByRank(5, 1)).toBe(0)
    expect(z.size).toBe(29)
    z.assertValid()
  })

  it('serves lex ranges among equal scores', () => {
    const z = new SortedSet()
    for (const m of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) z.add(m, 0)
    const L = (s: string) => parseLexBound(s) as LexBound
    expect(members(z.rangeByLex(L('-'), L('[c')))).toEqual(['a', 'b', 'c'])
    expect(members(z.rangeByLex(L('-'), L('(c')))).toEqual(['a', 'b'])
    expect(members(z.rangeByLex(L('[aaa'), L('(g')))).toEqual(['b', 'c', 'd', 'e', 'f'])
    expect(members(z.rangeByLex(L('-'), L('+'), { reverse: true, offset: 1, count: 2 }))).toEqual(['f', 'e'])
    expect(members(z.rangeByLex(L('+'), L('-')))).toEqual([])
    expect(members(z.rangeByLex(L('-'), L('-')))).toEqual([])
    expect(z.countInLexRange(L('[b'), L('[f'))).toBe(5)
    expect(z.countInLexRange(L('(b'), L('(b'))).toBe(0)
    expect(z.removeRangeByLex(L('[b'), L('(d'))).toBe(2)
    expect(members(z.rangeByRank(0, -1))).toEqual(['a', 'd', 'e', 'f', 'g'])
    z.assertValid()
  })

  it('picks random elements: distinct, repeated and whole-set cases', () => {
    const z = new SortedSet()
    for (let i = 0; i < 20; i++) z.add('m' + i, i)
    const distinct = members(z.random(10))
    expect(distinct).toHaveLength(10)
    expect(new Set(distinct).size).toBe(10)
    for (const m of distinct) expect(z.has(m)).toBe(true)
    expect(members(z.random(50))).toEqual(members(z.rangeByRank(0, -1)))
    const rep = z.random(100, true)
    expect(rep).toHaveLength(100)
    for (const n of rep) expect(z.has(n.member)).toBe(true)
    expect(z.random(0)).toEqual([])
    expect(new SortedSet().randomMember()).toBeUndefined()
    // A fixed generator reaches the corresponding rank.
    expect(z.randomMember(() => 0)!.member).toBe('m0')
    expect(z.randomMember(() => 0.999999)!.member).toBe('m19')
    // Every member is reachable.
    const seen = new Set<string>()
    for (let i = 0; i < 2000; i++) seen.add(z.randomMember()!.member)
    expect(seen.size).toBe(20)
  })

  it('clones independently and iterates in order', () => {
    const z = new SortedSet()
    for (let i = 0; i < 300; i++) z.add('x' + i, (i * 7919) % 101)
    const c = z.clone()
    c.assertValid()
    expect([...c.entries()]).toEqual([...z.entries()])
    expect([...c.members()]).toEqual([...z].map(([m]) => m))
    c.add('x1', 1000)
    c.remove('x2')
    expect(z.score('x1')).toBe((1 * 7919) % 101)
    expect(z.has('x2')).toBe(true)
    z.assertValid()
    c.assertValid()
    const seen: string[] = []
    z.forEach((m) => seen.push(m))
    expect(seen).toEqual([...z.members()])
    z.clear()
    z.assertValid()
    expect(z.size).toBe(0)
    z.add('a', 1)
    z.assertValid()
  })

  it('keeps ranks right in a large set (spans)', () => {
    const z = new SortedSet()
    const n = 5000
    for (let i = 0; i < n; i++) z.add('m' + i, (i * 104729) % n)
    z.assertValid()
    for (let r = 0; r < n; r += 97) {
      const node = z.byRank(r)!
      expect(node.score).toBe(r)
      expect(z.rank(node.member)).toBe(r)
    }
    expect(z.countInScoreRange(1000, 1999)).toBe(1000)
    expect(members(z.rangeByScore(0, n, { offset: 2500, count: 1 }))[0]).toBe(z.byRank(2500)!.member)
  })
})

// ---- model-based property test ------------------------------------------------

type Entry = { member: string; score: number }

function modelSort(a: Entry[]): void {
  a.sort((x, y) => (x.score < y.score ? -1 : x.score > y.score ? 1 : byteOrder(x.member, y.member)))
}

function inScore(e: Entry, min: number, max: number, minEx: boolean, maxEx: boolean): boolean {
  return (minEx ? e.score > min : e.score >= min) && (maxEx ? e.score < max : e.score <= max)
}

function lexGte(v: string, b: LexBound): boolean {
  if (b === '-') return true
  if (b === '+') return false
  const c = byteOrder(v, b.value)
  return b.exclusive ? c > 0 : c >= 0
}
function lexLte(v: string, b: LexBound): boolean {
  if (b === '+') return true
  if (b === '-') return false
  const c = byteOrder(v, b.value)
  return b.exclusive ? c < 0 : c <= 0
}

function limit<T>(xs: T[], offset: number, count: number): T[] {
  if (offset < 0) return []
  const rest = xs.slice(offset)
  return count < 0 ? rest : rest.slice(0, count)
}

function normalizeRange(start: number, stop: number, n: number): [number, number] | null {
  if (start < 0) start += n
  if (stop < 0) stop += n
  if (start < 0) start = 0
  if (start > stop || start >= n) return null
  if (stop >= n) stop = n - 1
  return [start, stop]
}

const memberArb = fc.constantFrom(
  'a', 'b', 'c', 'ab', 'é', '\uE000', '\uFFFF', '\u{1F600}', '', 'zz', 'b\u{1F600}', 'ba',
  keyOf(Buffer.from([0x80])), keyOf(Buffer.from([0xff, 0x00])), keyOf(Buffer.from([0x61, 0xff])),
)
const scoreArb = fc.constantFrom(-Infinity, -2, -1, -0.5, 0, 0.5, 1, 2, 3, Infinity)
const lexBoundArb: fc.Arbitrary<LexBound> = fc.oneof(
  fc.constantFrom<LexBound>('-', '+'),
  fc.record({ value: memberArb, exclusive: fc.boolean() }),
)
const idx = fc.integer({ min: -15, max: 15 })

type Op =
  | { t: 'add'; m: string; s: number }
  | { t: 'rem'; m: string }
  | { t: 'popMin' | 'popMax'; n: number }
  | { t: 'remRank'; a: number; b: number }
  | { t: 'remScore'; min: number; max: number; minEx: boolean; maxEx: boolean }
  | { t: 'remLex'; min: LexBound; max: LexBound }
  | { t: 'clone' }

/** The special members plus plenty of plain ones: enough elements for several levels of small nodes. */
const wideMemberArb = fc.oneof(memberArb, fc.integer({ min: 0, max: 120 }).map((i) => 'w' + i))

function opArb(lexOnly: boolean, m: fc.Arbitrary<string> = memberArb): fc.Arbitrary<Op> {
  const s = lexOnly ? fc.constant(0) : scoreArb
  return fc.oneof(
    { weight: 8, arbitrary: fc.record({ t: fc.constant('add' as const), m, s }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('rem' as const), m }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('popMin' as const, 'popMax' as const), n: fc.integer({ min: 0, max: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('remRank' as const), a: idx, b: idx }) },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constant('remScore' as const), min: scoreArb, max: scoreArb, minEx: fc.boolean(), maxEx: fc.boolean() }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('remLex' as const), min: lexBoundArb, max: lexBoundArb }) },
    { weight: 1, arbitrary: fc.constant({ t: 'clone' as const }) },
  )
}

type Query =
  | { q: 'rank'; m: string; rev: boolean }
  | { q: 'byRank'; r: number; rev: boolean }
  | { q: 'range'; a: number; b: number; rev: boolean }
  | { q: 'score'; min: number; max: number; minEx: boolean; maxEx: boolean; rev: boolean; off: number; cnt: number }
  | { q: 'lex'; min: LexBound; max: LexBound; rev: boolean; off: number; cnt: number }

const queryArb: fc.Arbitrary<Query> = fc.oneof(
  fc.record({ q: fc.constant('rank' as const), m: wideMemberArb, rev: fc.boolean() }),
  fc.record({ q: fc.constant('byRank' as const), r: idx, rev: fc.boolean() }),
  fc.record({ q: fc.constant('range' as const), a: idx, b: idx, rev: fc.boolean() }),
  fc.record({
    q: fc.constant('score' as const),
    min: scoreArb,
    max: scoreArb,
    minEx: fc.boolean(),
    maxEx: fc.boolean(),
    rev: fc.boolean(),
    off: fc.integer({ min: -1, max: 8 }),
    cnt: fc.integer({ min: -1, max: 8 }),
  }),
  fc.record({
    q: fc.constant('lex' as const),
    min: lexBoundArb,
    max: lexBoundArb,
    rev: fc.boolean(),
    off: fc.integer({ min: -1, max: 8 }),
    cnt: fc.integer({ min: -1, max: 8 }),
  }),
)

const pairs = (ns: SortedSetNode[]) => ns.map((n) => [n.member, n.score])
const epairs = (es: Entry[]) => es.map((e) => [e.member, e.score])

/**
 * Runs ops against a SortedSet (nodes of `nodeSize`) and a sorted-array
 * model, checking the whole content after each step and the queries at the end.
 */
function runModel(ops: Op[], queries: Query[], lexQueries: boolean, nodeSize?: number): void {
  let z = new SortedSet(nodeSize)
  let model: Entry[] = []
  for (const op of ops) {
    switch (op.t) {
      case 'add': {
        const e = model.find((x) => x.member === op.m)
        const expected = e === undefined ? 'added' : e.score === op.s ? 'same' : 'updated'
        expect(z.add(op.m, op.s)).toBe(expected)
        if (e === undefined) model.push({ member: op.m, score: op.s })
        else e.score = op.s
        modelSort(model)
        break
      }
      case 'rem': {
        const i = model.findIndex((x) => x.member === op.m)
        expect(z.remove(op.m)).toBe(i >= 0)
        if (i >= 0) model.splice(i, 1)
        break
      }
      case 'popMin':
        expect(pairs(z.popMin(op.n))).toEqual(epairs(model.splice(0, op.n)))
        break
      case 'popMax': {
        const taken = model.splice(Math.max(0, model.length - op.n), op.n).reverse()
        expect(pairs(z.popMax(op.n))).toEqual(epairs(taken))
        break
      }
      case 'remRank': {
        const r = normalizeRange(op.a, op.b, model.length)
        const n = r === null ? 0 : r[1] - r[0] + 1
        expect(z.removeRangeByRank(op.a, op.b)).toBe(n)
        if (r !== null) model.splice(r[0], n)
        break
      }
      case 'remScore': {
        const keep = model.filter((e) => !inScore(e, op.min, op.max, op.minEx, op.maxEx))
        expect(z.removeRangeByScore(op.min, op.max, { minExclusive: op.minEx, maxExclusive: op.maxEx })).toBe(
          model.length - keep.length,
        )
        model = keep
        break
      }
      case 'remLex': {
        // Lex removal is only meaningful among equal scores; with mixed scores
        // just check the structure stays sound.
        const removed = z.removeRangeByLex(op.min, op.max)
        if (lexQueries) {
          const keep = model.filter((e) => !(lexGte(e.member, op.min) && lexLte(e.member, op.max)))
          expect(removed).toBe(model.length - keep.length)
          model = keep
        } else {
          model = model.filter((e) => z.has(e.member))
        }
        break
      }
      case 'clone':
        z = z.clone()
        break
    }
    z.assertValid()
    expect(z.size).toBe(model.length)
    expect([...z.entries()]).toEqual(epairs(model))
    for (const e of model) expect(z.score(e.member)).toBe(e.score)
  }
  const n = model.length
  for (const q of queries) {
    switch (q.q) {
      case 'rank': {
        const i = model.findIndex((e) => e.member === q.m)
        expect(z.rank(q.m, q.rev)).toBe(i < 0 ? undefined : q.rev ? n - 1 - i : i)
        break
      }
      case 'byRank': {
        const e = q.r >= 0 && q.r < n ? model[q.rev ? n - 1 - q.r : q.r] : undefined
        expect(z.byRank(q.r, q.rev)?.member).toBe(e?.member)
        break
      }
      case 'range': {
        const r = normalizeRange(q.a, q.b, n)
        const ordered = q.rev ? [...model].reverse() : model
        expect(pairs(z.rangeByRank(q.a, q.b, q.rev))).toEqual(r === null ? [] : epairs(ordered.slice(r[0], r[1] + 1)))
        break
      }
      case 'score': {
        let sel = model.filter((e) => inScore(e, q.min, q.max, q.minEx, q.maxEx))
        expect(z.countInScoreRange(q.min, q.max, { minExclusive: q.minEx, maxExclusive: q.maxEx })).toBe(sel.length)
        expect(z.firstInScoreRange(q.min, q.max, { minExclusive: q.minEx, maxExclusive: q.maxEx })?.member).toBe(
          sel[0]?.member,
        )
        expect(z.lastInScoreRange(q.min, q.max, { minExclusive: q.minEx, maxExclusive: q.maxEx })?.member).toBe(
          sel[sel.length - 1]?.member,
        )
        if (q.rev) sel = sel.reverse()
        const got = z.rangeByScore(q.min, q.max, {
          minExclusive: q.minEx,
          maxExclusive: q.maxEx,
          reverse: q.rev,
          offset: q.off,
          count: q.cnt,
        })
        expect(pairs(got)).toEqual(epairs(limit(sel, q.off, q.cnt)))
        break
      }
      case 'lex': {
        if (!lexQueries) break
        let sel = model.filter((e) => lexGte(e.member, q.min) && lexLte(e.member, q.max))
        expect(z.countInLexRange(q.min, q.max)).toBe(sel.length)
        expect(z.firstInLexRange(q.min, q.max)?.member).toBe(sel[0]?.member)
        expect(z.lastInLexRange(q.min, q.max)?.member).toBe(sel[sel.length - 1]?.member)
        if (q.rev) sel = sel.reverse()
        const got = z.rangeByLex(q.min, q.max, { reverse: q.rev, offset: q.off, count: q.cnt })
        expect(pairs(got)).toEqual(epairs(limit(sel, q.off, q.cnt)))
        break
      }
    }
  }
}

describe('SortedSet against a sorted-array model', () => {
  it('matches for mixed scores (ranks, score ranges, removals, spans)', () => {
    fc.assert(
      fc.property(fc.array(opArb(false), { maxLength: 60, size: 'max' }), fc.array(queryArb, { maxLength: 25, size: 'max' }), (ops, qs) =>
        runModel(ops, qs, false),
      ),
      { numRuns: 300 },
    )
  })

  it('matches for equal scores (lex ranges)', () => {
    fc.assert(
      fc.property(fc.array(opArb(true), { maxLength: 60, size: 'max' }), fc.array(queryArb, { maxLength: 25, size: 'max' }), (ops, qs) =>
        runModel(ops, qs, true),
      ),
      { numRuns: 300 },
    )
  })

  it('with small nodes (splits, merges, several levels) matches for mixed scores', () => {
    fc.assert(
      fc.property(fc.array(opArb(false, wideMemberArb), { maxLength: 250, size: 'max' }), fc.array(queryArb, { maxLength: 40, size: 'max' }), (ops, qs) =>
        runModel(ops, qs, false, 8),
      ),
      { numRuns: 120 },
    )
  })

  it('with small nodes matches for equal scores (lex ranges routed by member)', () => {
    fc.assert(
      fc.property(fc.array(opArb(true, wideMemberArb), { maxLength: 250, size: 'max' }), fc.array(queryArb, { maxLength: 40, size: 'max' }), (ops, qs) =>
        runModel(ops, qs, true, 8),
      ),
      { numRuns: 120 },
    )
  })

  it('keeps counts sound across many members and levels', () => {
    // Wide member space and small nodes so the tree grows several levels.
    const wide = fc.integer({ min: 0, max: 400 }).map((i) => 'w' + i)
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ t: fc.constant('add' as const), m: wide, s: fc.integer({ min: -50, max: 50 }) }),
            fc.record({ t: fc.constant('rem' as const), m: wide }),
            fc.record({ t: fc.constant('remRank' as const), a: fc.integer({ min: 0, max: 300 }), b: fc.integer({ min: 0, max: 300 }) }),
          ),
          { minLength: 200, maxLength: 600, size: 'max' },
        ),
        fc.constantFrom(8, 9, 64),
        (ops, nodeSize) => {
          const z = new SortedSet(nodeSize)
          const model = new Map<string, number>()
          for (const op of ops) {
            if (op.t === 'add') {
              z.add(op.m, op.s)
              model.set(op.m, op.s)
            } else if (op.t === 'rem') {
              z.remove(op.m)
              model.delete(op.m)
            } else {
              for (const n of z.rangeByRank(op.a, Math.min(op.b, op.a + 5))) model.delete(n.member)
              z.removeRangeByRank(op.a, Math.min(op.b, op.a + 5))
            }
          }
          z.assertValid()
          const sorted: Entry[] = [...model].map(([member, score]) => ({ member, score }))
          modelSort(sorted)
          expect([...z.entries()]).toEqual(epairs(sorted))
          for (let r = 0; r < sorted.length; r += 7) {
            expect(z.rank(sorted[r]!.member)).toBe(r)
            expect(z.byRank(r)!.member).toBe(sorted[r]!.member)
          }
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('SortedSet tree structure', () => {
  /** A deterministic generator (mulberry32), so the larger runs below are repeatable. */
  function seeded(seed: number): () => number {
    let a = seed >>> 0
    return () => {
      a = (a + 0x6d2b79f5) >>> 0
      let t = a
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
  }

  /** Checks content, ranks, rank lookups and both walks against a model sorted by (score, member). */
  function checkAgainst(z: SortedSet, model: Map<string, number>): void {
    z.assertValid()
    const sorted: Entry[] = [...model].map(([member, score]) => ({ member, score }))
    modelSort(sorted)
    expect([...z.entries()]).toEqual(epairs(sorted))
    const step = Math.max(1, Math.floor(sorted.length / 50))
    for (let r = 0; r < sorted.length; r += step) {
      expect(z.rank(sorted[r]!.member)).toBe(r)
      expect(z.byRank(r)!.member).toBe(sorted[r]!.member)
    }
    const fwd: string[] = []
    for (let x = z.first(); x !== undefined; x = z.next(x)) fwd.push(x.member)
    expect(fwd).toEqual(sorted.map((e) => e.member))
    const back: string[] = []
    for (let x = z.last(); x !== undefined; x = z.prev(x)) back.push(x.member)
    expect(back).toEqual(fwd.reverse())
  }

  it('stays valid under ascending, descending and random loads and drains', () => {
    for (const nodeSize of [8, 64]) {
      for (const order of ['asc', 'desc', 'random'] as const) {
        const rng = seeded(nodeSize * 7 + order.length)
        const z = new SortedSet(nodeSize)
        const model = new Map<string, number>()
        const n = 3000
        for (let i = 0; i < n; i++) {
          const s = order === 'asc' ? i : order === 'desc' ? -i : Math.floor(rng() * 500)
          z.add('k' + i, s)
          model.set('k' + i, s)
        }
        checkAgainst(z, model)
        // Drain in mixed ways: single removals, both ends, rank and score ranges spanning many leaves.
        while (z.size > 0) {
          const t = rng()
          if (t < 0.4) {
            const m = 'k' + Math.floor(rng() * n)
            expect(z.remove(m)).toBe(model.delete(m))
          } else if (t < 0.55) {
            for (const x of z.popMin(1 + Math.floor(rng() * 40))) model.delete(x.member)
          } else if (t < 0.7) {
            for (const x of z.popMax(1 + Math.floor(rng() * 40))) model.delete(x.member)
          } else if (t < 0.85) {
            const a = Math.floor(rng() * z.size)
            const b = a + Math.floor(rng() * 150)
            const gone = z.rangeByRank(a, b).map((x) => x.member)
            expect(z.removeRangeByRank(a, b)).toBe(gone.length)
            for (const m of gone) model.delete(m)
          } else {
            const lo = z.byRank(Math.floor(rng() * z.size))!.score
            const gone = z.rangeByScore(lo, lo + 3).map((x) => x.member)
            expect(z.removeRangeByScore(lo, lo + 3)).toBe(gone.length)
            for (const m of gone) model.delete(m)
          }
          if (rng() < 0.05) checkAgainst(z, model)
        }
        checkAgainst(z, model)
        expect(z.first()).toBeUndefined()
        expect(z.last()).toBeUndefined()
      }
    }
  })

  it('moves an element across leaves without changing its identity, and keeps removed views readable', () => {
    const z = new SortedSet(8)
    for (let i = 0; i < 200; i++) z.add('m' + String(i).padStart(3, '0'), i)
    const view = z.byRank(10)!
    expect(view.member).toBe('m010')
    // Far away (another leaf), then back below the start, then in place between neighbours.
    expect(z.add('m010', 150.5)).toBe('updated')
    expect(z.rank('m010')).toBe(150)
    expect(z.byRank(150)).toBe(view)
    expect(z.add('m010', -1)).toBe('updated')
    expect(z.first()).toBe(view)
    expect(z.add('m010', -0.5)).toBe('updated')
    expect(z.first()).toBe(view)
    expect(view.score).toBe(-0.5)
    z.assertValid()
    // Every element moved once, in both directions: order and counts hold.
    const model = new Map<string, number>()
    for (const [m] of [...z.entries()]) {
      const s = (Number(m.slice(1)) * 7919) % 211
      z.add(m, s)
      model.set(m, s)
    }
    checkAgainst(z, model)
    const lowest = [...z.members()].slice(0, 5)
    const popped = z.popMin(5)
    expect(popped.map((x) => x.member)).toEqual(lowest)
    expect(z.size).toBe(195)
    for (const x of popped) {
      expect(z.has(x.member)).toBe(false)
      expect(model.get(x.member)).toBe(x.score)
    }
  })

  it('walks with next() and prev() from any element, after changes too', () => {
    const z = new SortedSet(8)
    const model = new Map<string, number>()
    const rng = seeded(11)
    for (let i = 0; i < 400; i++) {
      const s = Math.floor(rng() * 100)
      z.add('e' + i, s)
      model.set('e' + i, s)
    }
    const order = () => [...z.members()]
    for (let round = 0; round < 30; round++) {
      const all = order()
      const i = Math.floor(rng() * all.length)
      const x = z.byRank(i)!
      expect(z.next(x)?.member).toBe(all[i + 1])
      expect(z.prev(x)?.member).toBe(all[i - 1])
      // Change the set between two steps of a walk: the walk goes on from where it is.
      const m = 'e' + Math.floor(rng() * 400)
      if (m !== x.member) {
        z.remove(m)
        model.delete(m)
        const s = Math.floor(rng() * 100)
        z.add('n' + round, s)
        model.set('n' + round, s)
      }
      const now = order()
      const at = now.indexOf(x.member)
      expect(z.next(x)?.member).toBe(now[at + 1])
      expect(z.prev(x)?.member).toBe(now[at - 1])
    }
    checkAgainst(z, model)
  })

  it('clones a large set into an equivalent, independent, valid tree', () => {
    for (const nodeSize of [8, 64]) {
      const z = new SortedSet(nodeSize)
      const model = new Map<string, number>()
      for (let i = 0; i < 5000; i++) {
        z.add('c' + i, i % 97)
        model.set('c' + i, i % 97)
      }
      const c = z.clone()
      checkAgainst(c, model)
      // The copy grows and shrinks on its own.
      for (let i = 0; i < 2000; i++) {
        c.remove('c' + i)
        c.add('d' + i, -i)
      }
      c.assertValid()
      checkAgainst(z, model)
      expect(c.size).toBe(5000)
      expect(c.first()!.member).toBe('d1999')
    }
  })

  it('finds score and lex range ends that fall between leaves', () => {
    const z = new SortedSet(8)
    // Scores 0, 10, 20, ... so every gap is a possible range end, at every leaf boundary.
    for (let i = 0; i < 300; i++) z.add('s' + String(i).padStart(3, '0'), i * 10)
    for (let v = -5; v <= 3005; v += 5) {
      const inRange = (lo: number, hi: number) => Array.from({ length: 300 }, (_, i) => i * 10).filter((s) => s >= lo && s <= hi)
      expect(z.rangeByScore(v, v + 25).map((x) => x.score)).toEqual(inRange(v, v + 25))
      expect(z.rangeByScore(v, v + 25, { minExclusive: true, maxExclusive: true }).map((x) => x.score)).toEqual(
        inRange(v, v + 25).filter((s) => s !== v && s !== v + 25),
      )
      expect(z.countInScoreRange(-Infinity, v)).toBe(inRange(-Infinity, v).length)
      expect(z.lastInScoreRange(-Infinity, v)?.score).toBe(inRange(-Infinity, v).pop())
      expect(z.firstInScoreRange(v, Infinity)?.score).toBe(inRange(v, Infinity)[0])
    }
    const lex = new SortedSet(8)
    const names = Array.from({ length: 300 }, (_, i) => 'n' + String(i * 2).padStart(4, '0'))
    for (const m of names) lex.add(m, 0)
    for (let i = -1; i < 601; i++) {
      const b = 'n' + String(i).padStart(4, '0')
      const L = (x: string) => parseLexBound(x) as LexBound
      expect(lex.rangeByLex(L('[' + b), L('+'), { count: 3 }).map((x) => x.member)).toEqual(names.filter((m) => m >= b).slice(0, 3))
      expect(lex.rangeByLex(L('-'), L('(' + b), { reverse: true, count: 3 }).map((x) => x.member)).toEqual(
        names.filter((m) => m < b).reverse().slice(0, 3),
      )
      expect(lex.countInLexRange(L('(' + b), L('+'))).toBe(names.filter((m) => m > b).length)
    }
    lex.assertValid()
  })
})
