import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EvictionPool, POOL_SIZE } from '../../src/keyspace/eviction-pool.js'

interface Candidate {
  db: number
  at: number
  idle: number
  stamp: number
}

/**
 * Redis's evictionPoolPopulate and its eviction loop, as written in evict.c: a sorted array,
 * worst first; a newcomer goes before the first entry at least as good, into a free slot on the
 * right or, when the pool is full, after the worst leaves; the best is taken from the right.
 */
class ModelPool {
  pool: Candidate[] = []
  insert(c: Candidate): void {
    let k = 0
    while (k < this.pool.length && this.pool[k]!.idle < c.idle) k++
    if (k === 0 && this.pool.length === POOL_SIZE) return
    if (this.pool.length < POOL_SIZE) this.pool.splice(k, 0, c)
    else {
      this.pool.shift()
      this.pool.splice(k - 1, 0, c)
    }
  }
  popBest(): Candidate | undefined {
    return this.pool.pop()
  }
}

type Op = { insert: Candidate } | { pop: true } | { clear: true }

const candidate = fc.record({
  db: fc.integer({ min: 0, max: 15 }),
  at: fc.integer({ min: 0, max: 1_000_000 }),
  // Few distinct scores, so ties (which the order of arrival settles) are common.
  idle: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })),
  stamp: fc.double({ noNaN: true }),
})
// Inserts outnumber takes, and clears are rare, so the pool is mostly full: the case with the most
// ways to go wrong (the worst leaves, and entries shift one way or the other round the ring).
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 60, arbitrary: candidate.map((c) => ({ insert: c })) },
  { weight: 20, arbitrary: fc.constant({ pop: true as const }) },
  { weight: 1, arbitrary: fc.constant({ clear: true as const }) },
)

describe('eviction pool', () => {
  it('keeps and yields the same candidates, in the same order, as Redis sorted pool', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 100, maxLength: 400, size: 'max' }), (ops) => {
        const pool = new EvictionPool()
        const model = new ModelPool()
        for (const o of ops) {
          if ('insert' in o) {
            const c = o.insert
            // admits() is the caller's quick check: it must agree with what insert keeps.
            const full = model.pool.length === POOL_SIZE
            expect(pool.admits(c.idle)).toBe(!full || model.pool[0]!.idle < c.idle)
            pool.insert(c.db, c.at, c.idle, c.stamp)
            model.insert(c)
          } else if ('pop' in o) {
            const want = model.popBest()
            if (want === undefined) {
              expect(pool.size).toBe(0)
              continue
            }
            const k = pool.popBest()
            expect({ db: pool.db[k], at: pool.slot[k], idle: pool.idle[k], stamp: pool.stamp[k] }).toEqual(want)
          } else {
            pool.clear()
            model.pool = []
          }
          expect(pool.size).toBe(model.pool.length)
        }
        // Draining what is left gives the rest, best first.
        while (model.pool.length > 0) {
          const want = model.popBest()!
          const k = pool.popBest()
          expect(pool.idle[k]).toBe(want.idle)
          expect(pool.slot[k]).toBe(want.at)
        }
        expect(pool.size).toBe(0)
      }),
      { numRuns: 300 },
    )
  })

  it('breaks ties by arrival: the first of equal candidates is taken first, the last is dropped first', () => {
    const pool = new EvictionPool()
    for (let i = 0; i < POOL_SIZE; i++) pool.insert(0, i, 7, i)
    // Full of equals: an equal newcomer is no better than the worst and is not kept.
    expect(pool.admits(7)).toBe(false)
    pool.insert(0, 99, 7, 99)
    // A better one pushes out the last equal to arrive.
    pool.insert(0, 100, 8, 100)
    const taken: number[] = []
    while (pool.size > 0) taken.push(pool.slot[pool.popBest()]!)
    expect(taken).toEqual([100, ...Array.from({ length: POOL_SIZE - 1 }, (_, i) => i)])
  })
})
