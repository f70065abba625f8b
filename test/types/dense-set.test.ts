import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { DenseMap, DenseSet } from '../../src/types/dense-set.js'

/** A seeded generator (mulberry32) so distribution checks are repeatable. */
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

describe('DenseSet', () => {
  it('adds, checks, deletes, and iterates in insertion order like Redis listpack sets', () => {
    const s = new DenseSet(['a', 'b', 'c', 'a'])
    expect(s.size).toBe(3)
    expect(s.add('d')).toBe(true)
    expect(s.add('a')).toBe(false)
    expect(s.delete('b')).toBe(true)
    expect(s.delete('b')).toBe(false)
    expect(s.has('b')).toBe(false)
    expect(s.has('c')).toBe(true)
    // Deleting keeps the others' order (no swap of the last member into the hole).
    expect(s.toArray()).toEqual(['a', 'c', 'd'])
    expect([...s]).toEqual(['a', 'c', 'd'])
    const seen: string[] = []
    s.forEach((m) => seen.push(m))
    expect(seen).toEqual(['a', 'c', 'd'])
    s.add('b')
    expect(s.toArray()).toEqual(['a', 'c', 'd', 'b'])
    s.assertValid()
  })

  it('treats __proto__ and other special strings as ordinary members', () => {
    const s = new DenseSet(['__proto__', 'constructor', ''])
    expect(s.has('__proto__')).toBe(true)
    expect(s.has('toString')).toBe(false)
    expect(s.delete('')).toBe(true)
    expect(s.toArray()).toEqual(['__proto__', 'constructor'])
  })

  it('compacts once holes outnumber members, keeping order', () => {
    const s = new DenseSet()
    for (let i = 0; i < 100; i++) s.add('m' + i)
    // A random pick builds the slots; from then on deletions leave holes.
    expect(s.random()).toBeDefined()
    for (let i = 0; i < 99; i += 2) s.delete('m' + i)
    for (let i = 1; i < 60; i += 2) s.delete('m' + i)
    s.assertValid()
    expect(s.toArray()).toEqual(Array.from({ length: 20 }, (_, k) => 'm' + (61 + 2 * k)))
    // After compaction a full scan still meets every member exactly once.
    const seen: string[] = []
    let cursor = 0
    do cursor = s.scan(cursor, 7, (m) => seen.push(m))
    while (cursor !== 0)
    expect(seen.sort()).toEqual(s.toArray().sort())
  })

  it('builds its slots on the first random pick or scan, then keeps them in step', () => {
    const s = new DenseSet()
    for (let i = 0; i < 50; i++) s.add('m' + i)
    for (let i = 0; i < 50; i += 3) s.delete('m' + i)
    s.add('m0') // re-added: goes to the end, as in a Set
    s.assertValid()
    // Built from the members in insertion order.
    const first: string[] = []
    expect(s.scan(0, 1000, (m) => first.push(m))).toBe(0)
    expect(first.reverse()).toEqual(s.toArray())
    s.assertValid()
    for (let i = 0; i < 50; i += 2) s.delete('m' + i)
    for (let i = 50; i < 70; i++) s.add('m' + i)
    s.assertValid()
    const after: string[] = []
    let cursor = 0
    do cursor = s.scan(cursor, 5, (m) => after.push(m))
    while (cursor !== 0)
    expect(after.sort()).toEqual(s.toArray().sort())
    // A copy starts without slots and builds its own.
    const c = s.clone()
    expect(c.toArray()).toEqual(s.toArray())
    expect(c.has(c.random()!)).toBe(true)
    c.delete(s.toArray()[0]!)
    c.assertValid()
    expect(s.size).toBe(c.size + 1)
    // Clearing drops them; the next pick builds them again.
    s.clear()
    s.add('x')
    expect(s.random()).toBe('x')
    s.assertValid()
  })

  it('picks random members uniformly, skipping holes', () => {
    const s = new DenseSet()
    for (let i = 0; i < 40; i++) s.add('m' + i)
    // Leave holes: delete 20 members scattered below the top.
    for (let i = 0; i < 39; i += 2) s.delete('m' + i)
    s.assertValid()
    const rng = seeded(7)
    const counts = new Map<string, number>()
    const picks = 40000
    for (let i = 0; i < picks; i++) {
      const m = s.random(rng)!
      counts.set(m, (counts.get(m) ?? 0) + 1)
    }
    expect(counts.size).toBe(20)
    for (const [m, c] of counts) {
      expect(s.has(m)).toBe(true)
      // Expected 2000 each; a fair pick stays well within ±15%.
      expect(Math.abs(c - 2000)).toBeLessThan(300)
    }
    expect(new DenseSet().random()).toBeUndefined()
  })

  it('still terminates and returns a member with a constant generator landing on a hole', () => {
    const s = new DenseSet(['a', 'b', 'c', 'd'])
    s.delete('a')
    expect(s.random(() => 0)).toBe('b')
    expect(s.sample(2, false, () => 0)).toHaveLength(2)
  })

  it('pops random members until empty', () => {
    const s = new DenseSet(['a', 'b', 'c', 'd', 'e'])
    const popped = new Set<string>()
    for (let i = 0; i < 5; i++) popped.add(s.pop()!)
    expect([...popped].sort()).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(s.size).toBe(0)
    expect(s.pop()).toBeUndefined()
    s.assertValid()
  })

  it('samples distinct members, repeats on request, and all members when count ≥ size', () => {
    const s = new DenseSet()
    for (let i = 0; i < 30; i++) s.add('m' + i)
    s.delete('m3')
    for (const count of [1, 5, 10, 20, 29]) {
      const got = s.sample(count)
      expect(got).toHaveLength(count)
      expect(new Set(got).size).toBe(count)
      for (const m of got) expect(s.has(m)).toBe(true)
    }
    expect(s.sample(29)).toHaveLength(29)
    expect(s.sample(100)).toEqual(s.toArray())
    const rep = s.sample(100, true)
    expect(rep).toHaveLength(100)
    for (const m of rep) expect(s.has(m)).toBe(true)
    expect(s.sample(0)).toEqual([])
    expect(new DenseSet().sample(3)).toEqual([])
  })

  it('scans everything in steps and reports 0 at the end', () => {
    const s = new DenseSet()
    for (let i = 0; i < 25; i++) s.add('m' + i)
    const seen: string[] = []
    let cursor = 0
    let calls = 0
    do {
      cursor = s.scan(cursor, 10, (m) => seen.push(m))
      calls++
    } while (cursor !== 0)
    expect(calls).toBe(3)
    expect(seen.sort()).toEqual(s.toArray().sort())
    expect(new DenseSet().scan(0, 10, () => {
      throw new Error('no member expected')
    })).toBe(0)
    // A cursor past the end restarts from the top rather than failing.
    const again: string[] = []
    expect(s.scan(1000, 100, (m) => again.push(m))).toBe(0)
    expect(again).toHaveLength(25)
  })

  it('clones independently and clears', () => {
    const s = new DenseSet(['a', 'b', 'c'])
    s.delete('a')
    const c = s.clone()
    c.add('z')
    c.assertValid()
    expect(s.has('z')).toBe(false)
    expect(c.toArray()).toEqual(['b', 'c', 'z'])
    s.clear()
    expect(s.size).toBe(0)
    expect(s.toArray()).toEqual([])
    s.assertValid()
  })
})

describe('DenseMap', () => {
  it('sets, gets, updates in place, deletes, keeps insertion order', () => {
    const h = new DenseMap<string>([
      ['f1', 'v1'],
      ['f2', 'v2'],
      ['f3', 'v3'],
    ])
    expect(h.size).toBe(3)
    expect(h.set('f1', 'x')).toBe(false)
    expect(h.set('f4', 'v4')).toBe(true)
    expect(h.get('f1')).toBe('x')
    expect(h.get('nope')).toBeUndefined()
    expect(h.delete('f2')).toBe(true)
    expect(h.delete('f2')).toBe(false)
    expect(h.has('f2')).toBe(false)
    expect([...h.entries()]).toEqual([
      ['f1', 'x'],
      ['f3', 'v3'],
      ['f4', 'v4'],
    ])
    expect([...h.keys()]).toEqual(['f1', 'f3', 'f4'])
    expect([...h.values()]).toEqual(['x', 'v3', 'v4'])
    expect([...h]).toEqual([...h.entries()])
    const seen: string[] = []
    h.forEach((v, k) => seen.push(k + '=' + v))
    expect(seen).toEqual(['f1=x', 'f3=v3', 'f4=v4'])
    h.assertValid()
  })

  it('stores Buffer values and __proto__ fields as data', () => {
    const h = new DenseMap<Buffer | string>()
    h.set('__proto__', Buffer.from([1, 2]))
    expect(h.get('__proto__')).toEqual(Buffer.from([1, 2]))
    expect(h.has('constructor')).toBe(false)
  })

  it('picks random fields and samples', () => {
    const h = new DenseMap<number>()
    for (let i = 0; i < 10; i++) h.set('f' + i, i)
    h.delete('f0')
    const seen = new Set<string>()
    const rng = seeded(3)
    for (let i = 0; i < 2000; i++) seen.add(h.randomKey(rng)!)
    expect([...seen].sort()).toEqual([...h.keys()].sort())
    const d = h.sampleKeys(5, false, rng)
    expect(new Set(d).size).toBe(5)
    expect(h.sampleKeys(50)).toEqual([...h.keys()])
    expect(h.sampleKeys(20, true)).toHaveLength(20)
    expect(new DenseMap().randomKey()).toBeUndefined()
  })

  it('keeps the slots it builds for HRANDFIELD in step with later changes', () => {
    const h = new DenseMap<number>()
    for (let i = 0; i < 40; i++) h.set('f' + i, i)
    h.delete('f5')
    expect(h.has(h.randomKey()!)).toBe(true)
    h.assertValid()
    h.set('f5', 55) // new again: goes last
    h.set('f1', 11) // existing: keeps its place
    for (let i = 10; i < 40; i++) h.delete('f' + i)
    h.assertValid()
    expect([...h.keys()]).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f6', 'f7', 'f8', 'f9', 'f5'])
    const got = new Map<string, number>()
    let cursor = 0
    do cursor = h.scan(cursor, 3, (k, v) => got.set(k, v))
    while (cursor !== 0)
    expect(got).toEqual(new Map(h.entries()))
    expect(got.get('f1')).toBe(11)
  })

  it('scans fields with their values', () => {
    const h = new DenseMap<number>()
    for (let i = 0; i < 12; i++) h.set('f' + i, i * 10)
    const got = new Map<string, number>()
    let cursor = 0
    do cursor = h.scan(cursor, 5, (k, v) => got.set(k, v))
    while (cursor !== 0)
    expect(got).toEqual(new Map(h.entries()))
  })

  it('clones independently and clears', () => {
    const h = new DenseMap<string>([['a', '1'], ['b', '2']])
    h.delete('a')
    const c = h.clone()
    c.set('b', 'changed')
    expect(h.get('b')).toBe('2')
    c.assertValid()
    h.clear()
    expect(h.size).toBe(0)
    h.assertValid()
  })
})

// ---- model-based property tests ------------------------------------------------

const member = fc.integer({ min: 0, max: 30 }).map((i) => 'm' + i)

type SetOp = { t: 'add' | 'del'; m: string } | { t: 'pop' | 'rand' } | { t: 'clone' | 'clear' }
// Random picks (which build the slots) come at random points, so that both
// the plain and the slotted states meet every other operation.
const setOp: fc.Arbitrary<SetOp> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('add' as const), m: member }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('del' as const), m: member }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('pop' as const, 'rand' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('clone' as const, 'clear' as const) }) },
)

type MutOp = { t: 'add' | 'del'; m: string }
// Deletions outweigh additions so that holes pile up and compaction moves
// members while an iteration is under way.
const mutOp: fc.Arbitrary<MutOp> = fc.record({ t: fc.constantFrom('add' as const, 'del' as const, 'del' as const, 'del' as const), m: member })
const scanSteps = fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.array(mutOp, { maxLength: 8, size: 'max' })), { maxLength: 40, size: 'max' })

describe('DenseSet / DenseMap against Set / Map models', () => {
  it('DenseSet matches a Set, including its insertion order', () => {
    fc.assert(
      fc.property(fc.array(setOp, { maxLength: 150, size: 'max' }), fc.integer(), (ops, seed) => {
        const rng = seeded(seed)
        let s = new DenseSet()
        const model = new Set<string>()
        for (const op of ops) {
          switch (op.t) {
            case 'add':
              expect(s.add(op.m)).toBe(!model.has(op.m))
              model.add(op.m)
              break
            case 'del':
              expect(s.delete(op.m)).toBe(model.has(op.m))
              model.delete(op.m)
              break
            case 'pop': {
              const m = s.pop(rng)
              if (model.size === 0) expect(m).toBeUndefined()
              else {
                expect(model.has(m!)).toBe(true)
                model.delete(m!)
              }
              break
            }
            case 'rand': {
              const r = s.random(rng)
              expect(r === undefined ? model.size === 0 : model.has(r)).toBe(true)
              break
            }
            case 'clone':
              s = s.clone()
              break
            case 'clear':
              s.clear()
              model.clear()
              break
          }
          s.assertValid()
          expect(s.size).toBe(model.size)
          expect(s.toArray()).toEqual([...model])
          for (const m of model) expect(s.has(m)).toBe(true)
        }
        // Whatever state it is in, a full scan meets every member.
        const seen = new Set<string>()
        let cursor = 0
        do cursor = s.scan(cursor, 4, (m) => seen.add(m))
        while (cursor !== 0)
        expect(seen).toEqual(model)
      }),
      { numRuns: 300 },
    )
  })

  it('DenseMap matches a Map, including its insertion order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ t: fc.constantFrom('set' as const, 'set' as const, 'del' as const, 'rand' as const), m: member, v: fc.nat(5) }), {
          maxLength: 150,
          size: 'max',
        }),
        (ops) => {
          const h = new DenseMap<number>()
          const model = new Map<string, number>()
          for (const op of ops) {
            if (op.t === 'set') {
              expect(h.set(op.m, op.v)).toBe(!model.has(op.m))
              model.set(op.m, op.v)
            } else if (op.t === 'rand') {
              // Builds the slots (once) at a random point of the sequence.
              const k = h.randomKey()
              expect(k === undefined ? model.size === 0 : model.has(k)).toBe(true)
            } else {
              expect(h.delete(op.m)).toBe(model.has(op.m))
              model.delete(op.m)
            }
            h.assertValid()
            expect([...h.entries()]).toEqual([...model.entries()])
          }
          for (const [k, v] of model) expect(h.get(k)).toBe(v)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('deleting the top member compacts when the holes left behind outnumber the members', () => {
    // Found by the property below: m0 leaves a hole, then deleting the top member leaves two holes for one member.
    const s = new DenseSet(['m0', 'm28', 'm1'])
    s.scan(0, 1, () => {}) // builds the slots
    s.delete('m28')
    s.add('m23')
    s.delete('m0')
    s.delete('m23')
    s.assertValid()
    expect([...s]).toEqual(['m1'])
    expect(s.scan(0, 10, () => {})).toBe(0)
  })

  it('a DenseSet SCAN interleaved with changes returns every member present throughout', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(member, { maxLength: 31 }),
        scanSteps,
        (initial, steps) => {
          const s = new DenseSet(initial)
          const everPresent = new Set(initial)
          const removedDuring = new Set<string>()
          const visited = new Set<string>()
          let cursor = 0
          let i = 0
          do {
            // Use the scripted step while there is one, then plain steps to finish.
            const [count, muts] = steps[i] ?? [10, []]
            cursor = s.scan(cursor, count, (m) => {
              // Only members that are in the set can be reported.
              expect(s.has(m)).toBe(true)
              visited.add(m)
            })
            for (const op of muts) {
              if (op.t === 'add') {
                s.add(op.m)
                everPresent.add(op.m)
              } else if (s.delete(op.m)) {
                removedDuring.add(op.m)
              }
            }
            s.assertValid()
            i++
            // Each call makes progress, so this bound is never hit by a correct scan.
            expect(i).toBeLessThan(steps.length + 40)
          } while (cursor !== 0)
          for (const m of initial) if (!removedDuring.has(m)) expect(visited.has(m)).toBe(true)
          for (const m of visited) expect(everPresent.has(m)).toBe(true)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('a DenseMap HSCAN interleaved with changes returns every field present throughout', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(member, { maxLength: 31 }),
        scanSteps,
        (initial, steps) => {
          const h = new DenseMap<string>(initial.map((k) => [k, 'v' + k]))
          const removedDuring = new Set<string>()
          const visited = new Set<string>()
          let cursor = 0
          let i = 0
          do {
            const [count, muts] = steps[i] ?? [10, []]
            cursor = h.scan(cursor, count, (k, v) => {
              expect(v).toBe('v' + k)
              visited.add(k)
            })
            for (const op of muts) {
              if (op.t === 'add') h.set(op.m, 'v' + op.m)
              else if (h.delete(op.m)) removedDuring.add(op.m)
            }
            i++
            expect(i).toBeLessThan(steps.length + 40)
          } while (cursor !== 0)
          for (const k of initial) if (!removedDuring.has(k)) expect(visited.has(k)).toBe(true)
        },
      ),
      { numRuns: 500 },
    )
  })
})
