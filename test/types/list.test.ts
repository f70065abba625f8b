import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Deque } from '../../src/types/list.js'

/** LRANGE/LTRIM index normalization, written out from Redis's rules. */
function normalize(start: number, stop: number, n: number): [number, number] | null {
  if (start < 0) start += n
  if (stop < 0) stop += n
  if (start < 0) start = 0
  if (start > stop || start >= n) return null
  if (stop >= n) stop = n - 1
  return [start, stop]
}

/** LREM on an array. */
function modelRemove(a: string[], x: string, count: number): [string[], number] {
  const limit = count === 0 ? Infinity : Math.abs(count)
  let removed = 0
  if (count >= 0) {
    const out = a.filter((v) => (v === x && removed < limit ? (removed++, false) : true))
    return [out, removed]
  }
  const out = [...a].reverse().filter((v) => (v === x && removed < limit ? (removed++, false) : true))
  return [out.reverse(), removed]
}

/** LPOS on an array. */
function modelPositions(a: string[], x: string, rank: number, count: number, maxlen: number): number[] {
  const order = a.map((_, i) => i)
  if (rank < 0) order.reverse()
  const scanned = maxlen > 0 ? order.slice(0, maxlen) : order
  const hits = scanned.filter((i) => a[i] === x).slice(Math.abs(rank) - 1)
  return count === 0 ? hits : hits.slice(0, count)
}

function checkCapacity(d: Deque<unknown>): void {
  const cap = d.capacity
  expect(cap & (cap - 1)).toBe(0)
  expect(cap).toBeGreaterThanOrEqual(d.length)
  // Shrinking keeps the ring at most four times the length (or the minimum).
  expect(cap).toBeLessThanOrEqual(Math.max(4, 4 * d.length))
}

describe('Deque', () => {
  it('pushes and pops at both ends and indexes from both ends', () => {
    const d = new Deque<string>()
    expect(d.pushBack('b')).toBe(1)
    expect(d.pushFront('a')).toBe(2)
    expect(d.pushBack('c')).toBe(3)
    expect(d.toArray()).toEqual(['a', 'b', 'c'])
    expect(d.at(0)).toBe('a')
    expect(d.at(-1)).toBe('c')
    expect(d.at(-3)).toBe('a')
    expect(d.at(3)).toBeUndefined()
    expect(d.at(-4)).toBeUndefined()
    expect(d.front()).toBe('a')
    expect(d.back()).toBe('c')
    expect(d.popFront()).toBe('a')
    expect(d.popBack()).toBe('c')
    expect(d.popBack()).toBe('b')
    expect(d.popBack()).toBeUndefined()
    expect(d.popFront()).toBeUndefined()
    expect(d.front()).toBeUndefined()
    expect(d.length).toBe(0)
  })

  it('grows across the wrap point and shrinks when drained', () => {
    const d = new Deque<number>()
    for (let i = 0; i < 1000; i++) {
      if (i % 2) d.pushBack(i)
      else d.pushFront(i)
    }
    expect(d.length).toBe(1000)
    expect(d.capacity).toBe(1024)
    const arr = d.toArray()
    expect(arr[0]).toBe(998)
    expect(arr[999]).toBe(999)
    for (let i = 0; i < 990; i++) d.popFront()
    checkCapacity(d)
    expect(d.capacity).toBeLessThanOrEqual(64)
    expect(d.toArray()).toEqual(arr.slice(990))
  })

  it('sets values and rejects out-of-range indexes', () => {
    const d = new Deque(['a', 'b', 'c'])
    expect(d.set(-1, 'z')).toBe(true)
    expect(d.set(3, 'x')).toBe(false)
    expect(d.set(-4, 'x')).toBe(false)
    expect(d.toArray()).toEqual(['a', 'b', 'z'])
  })

  it('inserts and removes in the middle, at both ends, and rejects bad insert indexes', () => {
    const d = new Deque<string>(['a', 'b', 'c', 'd'])
    d.insertAt(1, 'x')
    d.insertAt(4, 'y')
    d.insertAt(0, 'first')
    d.insertAt(d.length, 'last')
    expect(d.toArray()).toEqual(['first', 'a', 'x', 'b', 'c', 'y', 'd', 'last'])
    expect(() => d.insertAt(-1, 'q')).toThrow(RangeError)
    expect(() => d.insertAt(100, 'q')).toThrow(RangeError)
    expect(d.removeAt(2)).toBe('x')
    expect(d.removeAt(-2)).toBe('d')
    expect(d.removeAt(99)).toBeUndefined()
    expect(d.toArray()).toEqual(['first', 'a', 'b', 'c', 'y', 'last'])
  })

  it('applies LRANGE and LTRIM index rules', () => {
    const d = new Deque(['a', 'b', 'c', 'd', 'e'])
    expect(d.range(0, -1)).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(d.range(-100, 100)).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(d.range(3, 1)).toEqual([])
    expect(d.range(5, 9)).toEqual([])
    expect(d.range(-2, -1)).toEqual(['d', 'e'])
    expect(d.trim(1, -2)).toBe(2)
    expect(d.toArray()).toEqual(['b', 'c', 'd'])
    // LTRIM with start > stop empties the list, as Redis does (the key is then deleted).
    expect(d.trim(5, 2)).toBe(3)
    expect(d.length).toBe(0)
  })

  it('removes matches as LREM does, from the head or the tail', () => {
    const src = ['a', 'b', 'a', 'c', 'a', 'b', 'a']
    const eq = (x: string) => (v: string) => v === x
    let d = new Deque(src)
    expect(d.removeWhere(eq('a'), -2)).toBe(2)
    expect(d.toArray()).toEqual(['a', 'b', 'a', 'c', 'b'])
    d = new Deque(src)
    expect(d.removeWhere(eq('a'), 3)).toBe(3)
    expect(d.toArray()).toEqual(['b', 'c', 'b', 'a'])
    d = new Deque(src)
    expect(d.removeWhere(eq('a'))).toBe(4)
    expect(d.toArray()).toEqual(['b', 'c', 'b'])
    expect(d.removeWhere(eq('zz'))).toBe(0)
  })

  it('finds positions as LPOS does (rank, count, maxlen)', () => {
    const d = new Deque(['a', 'b', 'a', 'c', 'a', 'b', 'a'])
    const isA = (v: string) => v === 'a'
    // Recorded from the reference server: LPOS l a RANK -1 COUNT 0 MAXLEN 3 → 6 4
    expect(d.positions(isA, -1, 0, 3)).toEqual([6, 4])
    expect(d.positions(isA, 2, 2)).toEqual([2, 4])
    expect(d.positions(isA, -3, 0)).toEqual([2, 0])
    expect(d.positions(isA)).toEqual([0])
    expect(d.positions((v) => v === 'z')).toEqual([])
    expect(d.indexOf(isA, 1)).toBe(2)
    expect(d.lastIndexOf(isA, 5)).toBe(4)
    expect(d.indexOf((v) => v === 'z')).toBe(-1)
  })

  it('iterates both ways, clones independently, clears', () => {
    const d = new Deque(['a', 'b', 'c'])
    expect([...d]).toEqual(['a', 'b', 'c'])
    expect([...d.values(true)]).toEqual(['c', 'b', 'a'])
    const c = d.clone()
    c.pushBack('d')
    expect(d.length).toBe(3)
    d.clear()
    expect(d.length).toBe(0)
    expect(d.toArray()).toEqual([])
    expect(c.toArray()).toEqual(['a', 'b', 'c', 'd'])
    expect(new Deque(new Set([1, 2])).toArray()).toEqual([1, 2])
  })

  it('does not retain removed values (slots are cleared for the GC)', () => {
    const d = new Deque<object>()
    // Put an object in, pop it, and check the ring no longer references it.
    const obj = {}
    d.pushBack({})
    d.pushBack(obj)
    d.popBack()
    expect((d as unknown as { buf: unknown[] }).buf.includes(obj)).toBe(false)
    d.pushFront(obj)
    d.trim(1, -1)
    expect((d as unknown as { buf: unknown[] }).buf.includes(obj)).toBe(false)
  })
})

type Op =
  | { t: 'pushFront' | 'pushBack'; v: string }
  | { t: 'popFront' | 'popBack' }
  | { t: 'set'; i: number; v: string }
  | { t: 'insert'; i: number; v: string }
  | { t: 'removeAt'; i: number }
  | { t: 'trim'; a: number; b: number }
  | { t: 'rem'; v: string; n: number }
  | { t: 'clone' | 'clear' }

const val = fc.constantFrom('a', 'b', 'c', 'd')
const idx = fc.integer({ min: -12, max: 12 })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constantFrom('pushFront' as const, 'pushBack' as const), v: val }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constantFrom('popFront' as const, 'popBack' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('set' as const), i: idx, v: val }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('insert' as const), i: fc.nat(12), v: val }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('removeAt' as const), i: idx }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('trim' as const), a: idx, b: idx }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rem' as const), v: val, n: fc.integer({ min: -3, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('clone' as const, 'clear' as const) }) },
)

describe('Deque against an array model', () => {
  it('matches for random operation sequences', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120, size: 'max' }), fc.array(fc.tuple(idx, idx)), (ops, probes) => {
        let d = new Deque<string>()
        let m: string[] = []
        for (const op of ops) {
          switch (op.t) {
            case 'pushFront':
              expect(d.pushFront(op.v)).toBe(m.unshift(op.v))
              break
            case 'pushBack':
              expect(d.pushBack(op.v)).toBe(m.push(op.v))
              break
            case 'popFront':
              expect(d.popFront()).toBe(m.shift())
              break
            case 'popBack':
              expect(d.popBack()).toBe(m.pop())
              break
            case 'set': {
              const i = op.i < 0 ? op.i + m.length : op.i
              const ok = i >= 0 && i < m.length
              expect(d.set(op.i, op.v)).toBe(ok)
              if (ok) m[i] = op.v
              break
            }
            case 'insert':
              if (op.i <= m.length) {
                d.insertAt(op.i, op.v)
                m.splice(op.i, 0, op.v)
              } else {
                expect(() => d.insertAt(op.i, op.v)).toThrow(RangeError)
              }
              break
            case 'removeAt': {
              const i = op.i < 0 ? op.i + m.length : op.i
              const ok = i >= 0 && i < m.length
              expect(d.removeAt(op.i)).toBe(ok ? m.splice(i, 1)[0] : undefined)
              break
            }
            case 'trim': {
              const r = normalize(op.a, op.b, m.length)
              const kept = r === null ? [] : m.slice(r[0], r[1] + 1)
              expect(d.trim(op.a, op.b)).toBe(m.length - kept.length)
              m = kept
              break
            }
            case 'rem': {
              const [next, n] = modelRemove(m, op.v, op.n)
              expect(d.removeWhere((x) => x === op.v, op.n)).toBe(n)
              m = next
              break
            }
            case 'clone':
              d = d.clone()
              break
            case 'clear':
              d.clear()
              m = []
              break
          }
          expect(d.length).toBe(m.length)
          expect(d.toArray()).toEqual(m)
          checkCapacity(d)
        }
        for (const [a, b] of probes) {
          const r = normalize(a, b, m.length)
          expect(d.range(a, b)).toEqual(r === null ? [] : m.slice(r[0], r[1] + 1))
          expect(d.at(a)).toBe(m.at(a))
        }
        for (const v of ['a', 'b', 'e']) {
          for (const rank of [1, 2, -1, -2]) {
            for (const count of [0, 1, 2]) {
              for (const maxlen of [0, 1, 3]) {
                expect(d.positions((x) => x === v, rank, count, maxlen)).toEqual(modelPositions(m, v, rank, count, maxlen))
              }
            }
          }
          expect(d.indexOf((x) => x === v)).toBe(m.indexOf(v))
          expect(d.lastIndexOf((x) => x === v)).toBe(m.lastIndexOf(v))
        }
        expect([...d.values(true)]).toEqual([...m].reverse())
      }),
      { numRuns: 400 },
    )
  })
})
