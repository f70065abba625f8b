import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { NULL_ARRAY } from '../src/core/reply.js'
import { ManualClock, ReplyError, Store } from '../src/index.js'
import type { EvictionPolicy } from '../src/keyspace/eviction.js'
import { entrySize } from '../src/keyspace/memory.js'

const OOM = "OOM command not allowed when used memory > 'maxmemory'."

function store(opts: ConstructorParameters<typeof Store>[0] = {}): Store {
  return new Store({ activeExpiry: false, ...opts })
}

/** Keys of `names` that are gone. */
function gone(s: Store, names: string[]): string[] {
  return names.filter((k) => s.exists(k) === 0)
}

const range = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => prefix + i)

/** Sum of every entry's accounted bytes: must always equal the running total. */
function accountedSum(s: Store): number {
  let sum = 0
  for (const db of s.ks.dbs) for (const e of db.map.values()) sum += s.memory.acct.sizeOf(e)
  return sum
}

describe('noeviction', () => {
  it('refuses denyoom commands with Redis OOM error, typed and through call()', () => {
    const s = store({ maxmemory: 4000 })
    let n = 0
    expect(() => {
      for (; n < 1000; n++) s.set('k' + n, 'x'.repeat(50))
    }).toThrow(OOM)
    expect(n).toBeGreaterThan(5)
    expect(s.dbsize()).toBe(n)
    expect(() => s.call('SET', 'other', 'v')).toThrow(ReplyError)
    expect(() => s.call('SET', 'other', 'v')).toThrow(OOM)
    expect(() => s.call('INCR', 'counter')).toThrow(OOM)
    expect(() => s.call('RPUSH', 'list', 'a')).toThrow(OOM)
    // Commands that are not denyoom still run: reads, DEL, EXPIRE.
    expect(s.get('k0')).toBe('x'.repeat(50))
    expect(s.call('EXPIRE', 'k0', 100)).toBe(1)
    expect(s.del('k1', 'k2', 'k3')).toBe(3)
    // Room again: writes succeed.
    expect(s.set('again', 'v')).toBe('OK')
    expect(s.memoryStats().evictedKeys).toBe(0)
  })

  it('refuses writes inside a session too, and a refused command changes nothing', () => {
    const s = store()
    s.set('first', 'v')
    s.configSet('maxmemory', '1')
    const sess = s.session()
    const r = sess.execute(['SET', 'a', 'b'])
    expect(r).toBeInstanceOf(ReplyError)
    expect((r as ReplyError).message).toBe(OOM)
    expect(s.dbsize()).toBe(1)
    expect(s.call('GET', 'a')).toBe(null)
    expect((sess.execute(['INCR', 'n']) as ReplyError).message).toBe(OOM)
    expect(sess.execute(['GET', 'first'])).toBe('v')
  })

  it('maxkeys with noeviction refuses writes at the cap', () => {
    const s = store({ maxkeys: 3 })
    s.set('a', '1')
    s.set('b', '2')
    s.set('c', '3')
    expect(() => s.set('d', '4')).toThrow(OOM)
    expect(s.dbsize()).toBe(3)
    s.del('a')
    expect(s.set('d', '4')).toBe('OK')
  })
})

describe('reads never evict', () => {
  it('over the limit, reads run and evict nothing; the next write evicts', () => {
    const s = store({ maxmemoryPolicy: 'allkeys-lru' })
    for (let i = 0; i < 200; i++) s.set('k' + i, 'v'.repeat(20))
    // noeviction while lowering the limit: nothing is evicted at CONFIG SET.
    s.configSet('maxmemory-policy', 'noeviction')
    s.configSet('maxmemory', String(Math.floor(s.usedMemory() / 2)))
    s.configSet('maxmemory-policy', 'allkeys-lru')
    // Switching to an evicting policy evicts down at once...
    const after = s.dbsize()
    expect(after).toBeLessThan(200)
    expect(s.usedMemory()).toBeLessThanOrEqual(s.memoryStats().maxmemory)
    // ...and from then on reads leave everything in place, whatever they hit or miss.
    const evicted = s.memoryStats().evictedKeys
    for (let i = 0; i < 2000; i++) {
      s.get('k' + (i % 250))
      s.exists('k' + (i % 7))
      s.call('STRLEN', 'k' + (i % 13))
    }
    expect(s.dbsize()).toBe(after)
    expect(s.memoryStats().evictedKeys).toBe(evicted)
  })

  it('under noeviction over the limit, reads still answer', () => {
    const s = store()
    for (let i = 0; i < 50; i++) s.set('k' + i, 'v')
    s.configSet('maxmemory', '100')
    expect(s.dbsize()).toBe(50)
    expect(s.get('k1')).toBe('v')
    expect(s.call('MGET', 'k1', 'k2')).toEqual(['v', 'v'])
    expect(() => s.set('x', 'y')).toThrow(OOM)
  })
})

describe('allkeys-lru', () => {
  it('evicts the least recently used keys', () => {
    const s = store({ maxkeys: 1000, maxmemoryPolicy: 'allkeys-lru' })
    const old = range(1000, 'k')
    for (const k of old) s.set(k, 'v')
    for (let i = 0; i < 100; i++) s.set('n' + i, 'v')
    const ranks = old.map((k, i) => (s.exists(k) === 0 ? i : -1)).filter((i) => i >= 0)
    // Exact LRU: the 100 oldest (sampling would have a mean rank above 49.5, random near 500).
    expect(ranks).toEqual(Array.from({ length: 100 }, (_, i) => i))
  })

  it('is exact with many samples, and reads refresh recency', () => {
    const s = store({ maxkeys: 100, maxmemoryPolicy: 'allkeys-lru', config: { 'maxmemory-samples': 64 } })
    const keys = range(100, 'k')
    for (const k of keys) s.set(k, 'v')
    // Touch the first half: now the second half is the least recently used.
    for (let i = 0; i < 50; i++) s.get(keys[i]!)
    for (let i = 0; i < 20; i++) s.set('n' + i, 'v')
    const lost = gone(s, keys)
    expect(lost.length).toBe(20)
    expect(lost.every((k) => Number(k.slice(1)) >= 50)).toBe(true)
  })

  it('a recycled entry carries no access data of the key that took its old slot', () => {
    // Evicting k0 moves the top key (k9) into k0's slot; the new key reuses k0's entry object.
    // Touching that entry must not refresh k9, which stays the least recently used.
    // Sampling is random: 64 samples of 10 keys miss one with probability 0.9^64 (about 0.1%), so
    // k0 then k9 go in nearly every trial. Were k9 refreshed, it would go in none.
    let exact = 0
    for (let trial = 0; trial < 50; trial++) {
      const s = store({ maxkeys: 10, maxmemoryPolicy: 'allkeys-lru', config: { 'maxmemory-samples': 64 } })
      const keys = range(10, 'k')
      for (const k of keys) s.set(k, 'v')
      for (let i = 1; i < 9; i++) s.get(keys[i]!)
      s.set('k10', 'v')
      s.set('k11', 'v')
      const lost = gone(s, [...keys, 'k10', 'k11'])
      expect(lost).toHaveLength(2)
      if (lost.join() === 'k0,k9') exact++
      s.close()
    }
    expect(exact).toBeGreaterThanOrEqual(45)
  })

  it('evicts from every database', () => {
    const s = store({ maxkeys: 100, maxmemoryPolicy: 'allkeys-lru' })
    const db1 = s.session()
    db1.execute(['SELECT', '1'])
    for (let i = 0; i < 60; i++) db1.execute(['SET', 'a' + i, 'v'])
    for (let i = 0; i < 200; i++) s.set('b' + i, 'v')
    expect(s.ks.dbs[1]!.size).toBeLessThan(60)
    expect(s.ks.dbs[0]!.size + s.ks.dbs[1]!.size).toBeLessThanOrEqual(100)
  })
})

describe('allkeys-lru keeps the exact order', () => {
  it('evicts what an exact LRU over every database evicts, through moves, deletes, SWAPDB and FLUSHDB', () => {
    type Op = [kind: 'set' | 'get' | 'del' | 'select' | 'swapdb' | 'flushdb' | 'exists', n: number, m: number]
    const op = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(fc.constant('set' as const), fc.nat(11), fc.constant(0)) },
      { weight: 4, arbitrary: fc.tuple(fc.constant('get' as const), fc.nat(11), fc.constant(0)) },
      { weight: 2, arbitrary: fc.tuple(fc.constant('exists' as const), fc.nat(11), fc.constant(0)) },
      { weight: 2, arbitrary: fc.tuple(fc.constant('del' as const), fc.nat(11), fc.constant(0)) },
      { weight: 1, arbitrary: fc.tuple(fc.constant('select' as const), fc.nat(2), fc.constant(0)) },
      { weight: 1, arbitrary: fc.tuple(fc.constant('swapdb' as const), fc.nat(2), fc.nat(2)) },
      { weight: 1, arbitrary: fc.tuple(fc.constant('flushdb' as const), fc.constant(0), fc.constant(0)) },
    )
    fc.assert(
      fc.property(fc.array(op, { minLength: 100, maxLength: 300 }), (ops: Op[]) => {
        const s = store({ maxkeys: 6, maxmemoryPolicy: 'allkeys-lru' })
        // The model: "db:key" → time of its last access.
        const model = new Map<string, number>()
        let now = 0
        let cur = 0
        for (const [kind, n, m] of ops) {
          const id = `${cur}:k${n}`
          if (kind === 'set') {
            // A write over the key limit evicts first, even for a key that exists (no room for a new one).
            if (model.size >= 6) {
              let lru = ''
              let t = Infinity
              for (const [k, at] of model) if (at < t) [lru, t] = [k, at]
              model.delete(lru)
            }
            s.call('SET', `k${n}`, 'v')
            model.set(id, ++now)
          } else if (kind === 'get') {
            expect(s.call('GET', `k${n}`)).toBe(model.has(id) ? 'v' : null)
            if (model.has(id)) model.set(id, ++now)
          } else if (kind === 'exists') {
            // Not an access (LOOKUP_NOTOUCH).
            expect(s.call('EXISTS', `k${n}`)).toBe(model.has(id) ? 1 : 0)
          } else if (kind === 'del') {
            expect(s.call('DEL', `k${n}`)).toBe(model.delete(id) ? 1 : 0)
          } else if (kind === 'select') {
            s.call('SELECT', n)
            cur = n
          } else if (kind === 'swapdb') {
            s.call('SWAPDB', n, m)
            const moved = [...model].map(([k, at]): [string, number] => {
              const d = Number(k.split(':')[0])
              return [d === n ? `${m}:${k.split(':')[1]}` : d === m ? `${n}:${k.split(':')[1]}` : k, at]
            })
            model.clear()
            for (const [k, at] of moved) model.set(k, at)
          } else {
            s.call('FLUSHDB')
            for (const k of [...model.keys()]) if (k.startsWith(`${cur}:`)) model.delete(k)
          }
          const present: string[] = []
          for (let d = 0; d < 3; d++) for (let n = 0; n < 12; n++) if (s.ks.dbs[d]!.map.has(`k${n}`)) present.push(`${d}:k${n}`)
          expect(present.sort()).toEqual([...model.keys()].sort())
        }
        s.close()
      }),
      { numRuns: 300 },
    )
  })

  it('a key moved into a deleted key\'s position keeps its place in the order', () => {
    const s = store({ maxkeys: 6, maxmemoryPolicy: 'allkeys-lru' })
    for (let i = 0; i < 6; i++) s.set('k' + i, 'v')
    // k5, the last in the key table, moves into k0's position.
    s.del('k0')
    const order: string[] = []
    for (let i = 6; i < 12; i++) {
      const before = s.keys('*')
      s.set('k' + i, 'v')
      order.push(...before.filter((k) => s.exists(k) === 0))
    }
    expect(order).toEqual(['k1', 'k2', 'k3', 'k4', 'k5'])
    s.close()
  })

  it('a key restored with an idle time goes before keys accessed since', () => {
    const s = store({ maxkeys: 4, maxmemoryPolicy: 'allkeys-lru' })
    for (const k of ['a', 'b', 'c']) s.set(k, 'v')
    const dump = s.dump('a')!
    s.del('a')
    s.call('RESTORE', 'a', 0, dump, 'IDLETIME', 1000)
    s.set('d', 'v')
    s.set('e', 'v')
    expect(gone(s, ['a', 'b', 'c', 'd', 'e'])).toEqual(['a'])
    s.set('f', 'v')
    expect(gone(s, ['b', 'c', 'd', 'e', 'f'])).toEqual(['b'])
    s.close()
  })

  it('keeps the order it finds when the policy changes to allkeys-lru', () => {
    const s = store({ maxkeys: 6, maxmemoryPolicy: 'volatile-lru' })
    for (const k of ['a', 'b', 'c', 'd', 'e']) s.set(k, 'v')
    s.get('a')
    s.get('b')
    s.configSet('maxmemory-policy', 'allkeys-lru')
    for (const k of ['f', 'g', 'h']) s.set(k, 'v')
    expect(gone(s, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'])).toEqual(['c', 'd'])
    s.close()
  })
})

describe('per-database eviction tables', () => {
  /** Every tracked database's tables match its key array and map, and the totals add up. */
  function checkTables(s: Store): void {
    let keys = 0
    for (const db of s.ks.dbs) {
      expect(db.ents!.length).toBe(db.keys.length)
      expect(db.map.size).toBe(db.keys.length)
      for (let i = 0; i < db.keys.length; i++) {
        const e = db.map.get(db.keys[i]!)!
        expect(db.ents![i]).toBe(e)
        expect(e.idx).toBe(i)
        expect(db.sizes![i]).toBe(entrySize(db.keys[i]!, e))
      }
      keys += db.keys.length
    }
    expect(s.memory.acct.keys).toBe(keys)
    expect(s.usedMemory()).toBe(accountedSum(s))
  }

  it('stay in step with the keys through every kind of change, across databases', () => {
    const op = fc.oneof(
      { weight: 8, arbitrary: fc.record({ c: fc.constant('SET'), k: fc.integer({ min: 0, max: 30 }), ttl: fc.boolean() }) },
      { weight: 6, arbitrary: fc.record({ c: fc.constantFrom('DEL', 'GET', 'APPEND', 'INCR'), k: fc.integer({ min: 0, max: 30 }) }) },
      { weight: 3, arbitrary: fc.record({ c: fc.constantFrom('MOVE', 'RENAME', 'COPY'), k: fc.integer({ min: 0, max: 30 }), to: fc.integer({ min: 0, max: 30 }) }) },
      { weight: 2, arbitrary: fc.record({ c: fc.constantFrom('SELECT', 'SWAPDB'), db: fc.integer({ min: 0, max: 2 }) }) },
      { weight: 1, arbitrary: fc.record({ c: fc.constantFrom('FLUSHDB', 'ADVANCE') }) },
    )
    fc.assert(
      fc.property(fc.constantFrom<EvictionPolicy>('allkeys-lru', 'allkeys-lfu', 'volatile-ttl', 'allkeys-random'), fc.array(op, { minLength: 30, maxLength: 150, size: 'max' }), (policy, ops) => {
        const clock = new ManualClock(1_700_000_000_000)
        const s = store({ clock, maxkeys: 25, maxmemoryPolicy: policy })
        const sess = s.session()
        for (const o of ops) {
          const k = 'k' + ('k' in o ? o.k : 0)
          try {
            // Values of different sizes, so a size left behind by a move shows.
            const v = 'v'.repeat(1 + ('k' in o ? o.k : 0) * 5)
            if (o.c === 'SET') sess.execute(o.ttl ? ['SET', k, v, 'PX', '500'] : ['SET', k, v])
            else if (o.c === 'MOVE') sess.execute(['MOVE', k, String(('to' in o ? o.to : 0) % 3)])
            else if (o.c === 'RENAME' || o.c === 'COPY') sess.execute([o.c, k, 'k' + ('to' in o ? o.to : 0)])
            else if (o.c === 'SELECT') sess.execute(['SELECT', String('db' in o ? o.db : 0)])
            else if (o.c === 'SWAPDB') sess.execute(['SWAPDB', '0', String('db' in o ? o.db : 0)])
            else if (o.c === 'FLUSHDB') sess.execute(['FLUSHDB'])
            else if (o.c === 'ADVANCE') clock.advance(300)
            else sess.execute([o.c, k])
          } catch (e) {
            if (!(e instanceof ReplyError)) throw e
          }
          checkTables(s)
        }
        s.close()
      }),
      { numRuns: 100 },
    )
  })

  it('allkeys-random samples every database in proportion to its keys', () => {
    const counts = [0, 0]
    for (let t = 0; t < 1000; t++) {
      const s = store({ maxkeys: 40, maxmemoryPolicy: 'allkeys-random' })
      const db1 = s.session()
      db1.execute(['SELECT', '1'])
      for (let i = 0; i < 30; i++) db1.execute(['SET', 'a' + i, 'v'])
      for (let i = 0; i < 10; i++) s.set('b' + i, 'v')
      s.set('new', 'v')
      if (s.ks.dbs[1]!.size === 29) counts[1]!++
      else counts[0]!++
      s.close()
    }
    // Database 1 holds 3/4 of the keys: expected 750 of 1000 (standard deviation about 13.7).
    expect(Math.abs(counts[1]! - 750)).toBeLessThan(70)
  })
})

describe('volatile-lru / volatile-lfu / volatile-random / volatile-ttl', () => {
  for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl'] as EvictionPolicy[]) {
    it(`${policy} evicts only keys with a TTL, then refuses writes`, () => {
      const s = store({ maxkeys: 100, maxmemoryPolicy: policy })
      const persistent = range(50, 'p')
      for (const k of persistent) s.set(k, 'v')
      for (let i = 0; i < 50; i++) s.set('t' + i, 'v', { ex: 1000 + i })
      for (let i = 0; i < 30; i++) s.set('n' + i, 'v')
      expect(gone(s, persistent)).toEqual([])
      expect(s.dbsize()).toBeLessThanOrEqual(100)
      // Once no key has a TTL left, nothing can be evicted.
      for (let i = 30; i < 200; i++) {
        try {
          s.set('n' + i, 'v')
        } catch (e) {
          expect((e as Error).message).toBe(OOM)
          break
        }
      }
      expect(gone(s, persistent)).toEqual([])
      expect(() => s.set('last', 'v')).toThrow(OOM)
    })
  }

  it('volatile-ttl evicts the keys that expire soonest', () => {
    const s = store({ maxkeys: 500, maxmemoryPolicy: 'volatile-ttl', config: { 'maxmemory-samples': 10 } })
    const keys = range(500, 't')
    // Shuffled TTLs so slot order says nothing about them.
    const order = keys.map((_, i) => i).sort(() => Math.random() - 0.5)
    keys.forEach((k, i) => s.set(k, 'v', { ex: 1000 + order[i]! }))
    for (let i = 0; i < 50; i++) s.set('n' + i, 'v')
    const ttlRanks = keys.filter((k) => s.exists(k) === 0).map((k) => order[Number(k.slice(1))]!)
    expect(ttlRanks.length).toBe(50)
    const mean = ttlRanks.reduce((a, b) => a + b, 0) / ttlRanks.length
    // Exact: mean 24.5; random: about 250.
    expect(mean).toBeLessThan(100)
  })
})

describe('allkeys-lfu', () => {
  it('keeps frequently used keys', () => {
    const s = store({ maxkeys: 1000, maxmemoryPolicy: 'allkeys-lfu' })
    const hot = range(100, 'h')
    const cold = range(900, 'c')
    for (const k of [...hot, ...cold]) s.set(k, 'v')
    for (let r = 0; r < 30; r++) for (const k of hot) s.get(k)
    for (let i = 0; i < 300; i++) s.set('n' + i, 'v')
    expect(gone(s, hot).length).toBeLessThanOrEqual(2)
    // The victims are cold keys, old or newly added (both at the initial counter).
    const lostNew = gone(s, range(300, 'n')).length
    expect(gone(s, cold).length + lostNew).toBeGreaterThanOrEqual(298)
    expect(gone(s, cold).length).toBeGreaterThan(100)
  })

  it('OBJECT FREQ follows Redis: 5 for a new key, +1 on first access, decays by lfu-decay-time', () => {
    const clock = new ManualClock(1_700_000_000_000)
    const s = store({ clock, maxmemoryPolicy: 'allkeys-lfu' })
    s.set('k', 'v')
    expect(s.call('OBJECT', 'FREQ', 'k')).toBe(5)
    s.get('k')
    expect(s.call('OBJECT', 'FREQ', 'k')).toBe(6)
    // The counter grows logarithmically: 1000 accesses get far less than 1000 increments.
    for (let i = 0; i < 1000; i++) s.get('k')
    const f = s.call('OBJECT', 'FREQ', 'k') as number
    expect(f).toBeGreaterThan(10)
    expect(f).toBeLessThan(40)
    // One step of decay per minute idle (lfu-decay-time 1), read without being stored by OBJECT FREQ.
    clock.advance(5 * 60_000)
    expect(s.call('OBJECT', 'FREQ', 'k')).toBe(f - 5)
    s.configSet('lfu-decay-time', '0')
    expect(s.call('OBJECT', 'FREQ', 'k')).toBe(f)
    s.configSet('lfu-decay-time', '2')
    expect(s.call('OBJECT', 'FREQ', 'k')).toBe(f - 2)
    clock.advance(1000 * 60_000)
    expect(s.call('OBJECT', 'FREQ', 'k')).toBe(0)
  })

  it('lfu-log-factor 0 counts every access; OBJECT IDLETIME is refused', () => {
    const s = store({ maxmemoryPolicy: 'volatile-lfu', config: { 'lfu-log-factor': 0 } })
    s.set('k', 'v')
    for (let i = 0; i < 100; i++) s.get('k')
    expect(s.call('OBJECT', 'FREQ', 'k')).toBe(105)
    for (let i = 0; i < 500; i++) s.get('k')
    expect(s.call('OBJECT', 'FREQ', 'k')).toBe(255)
    expect(() => s.call('OBJECT', 'IDLETIME', 'k')).toThrow(
      'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    )
  })
})

describe('allkeys-random / volatile-random', () => {
  it('allkeys-random picks victims uniformly', () => {
    const counts = new Map<string, number>()
    const trials = 2000
    for (let t = 0; t < trials; t++) {
      const s = store({ maxkeys: 10, maxmemoryPolicy: 'allkeys-random' })
      for (let i = 0; i < 10; i++) s.set('k' + i, 'v')
      s.set('new', 'v')
      for (const k of gone(s, range(10, 'k'))) counts.set(k, (counts.get(k) ?? 0) + 1)
      s.close()
    }
    // Each key: expected 200, standard deviation about 13.4; allow 5 sigma.
    expect(counts.size).toBe(10)
    for (const c of counts.values()) expect(Math.abs(c - 200)).toBeLessThan(70)
  })

  it('volatile-random picks uniformly among keys with a TTL', () => {
    const counts = new Map<string, number>()
    for (let t = 0; t < 1000; t++) {
      const s = store({ maxkeys: 10, maxmemoryPolicy: 'volatile-random' })
      for (let i = 0; i < 5; i++) s.set('p' + i, 'v')
      for (let i = 0; i < 5; i++) s.set('t' + i, 'v', { px: 100000 })
      s.set('new', 'v')
      const lost = gone(s, [...range(5, 'p'), ...range(5, 't')])
      expect(lost.length).toBe(1)
      expect(lost[0]!.startsWith('t')).toBe(true)
      counts.set(lost[0]!, (counts.get(lost[0]!) ?? 0) + 1)
      s.close()
    }
    for (const c of counts.values()) expect(Math.abs(c - 200)).toBeLessThan(70)
  })
})

describe('eviction side effects', () => {
  it('counts evicted_keys, publishes evicted events, reports DEL effects and dirties WATCH', async () => {
    const s = store({ maxkeys: 5, maxmemoryPolicy: 'allkeys-lru', config: { 'notify-keyspace-events': 'Ee' } })
    const events: string[] = []
    s.subscribe('__keyevent@0__:evicted', (message) => events.push(message))
    const effects: string[][] = []
    s.onEffect((fx) => effects.push(fx.argv.map(String)))
    for (let i = 0; i < 5; i++) s.set('k' + i, 'v')
    const watcher = s.session()
    for (let i = 0; i < 5; i++) watcher.execute(['WATCH', 'k' + i])
    watcher.execute(['MULTI'])
    watcher.execute(['SET', 'x', '1'])
    for (let i = 0; i < 3; i++) s.set('n' + i, 'v')
    await new Promise((r) => setTimeout(r, 10))
    const lost = gone(s, range(5, 'k'))
    expect(lost.length).toBe(3)
    expect(events.sort()).toEqual([...lost].sort())
    expect(effects.filter((a) => a[0] === 'DEL').map((a) => a[1]).sort()).toEqual([...lost].sort())
    expect(s.call('INFO', 'stats') as string).toContain('evicted_keys:3\r\n')
    expect(s.memoryStats().evictedKeys).toBe(3)
    // A watched key was evicted: the transaction fails.
    expect(watcher.execute(['EXEC'])).toBe(NULL_ARRAY)
    s.call('CONFIG', 'RESETSTAT')
    expect(s.memoryStats().evictedKeys).toBe(0)
  })

  it('keeps keyspace_hits and keyspace_misses', () => {
    const s = store({ maxkeys: 10, maxmemoryPolicy: 'allkeys-lru' })
    s.set('a', '1')
    s.get('a')
    s.get('a')
    s.get('missing')
    const info = s.call('INFO', 'stats') as string
    expect(info).toContain('keyspace_hits:2\r\n')
    expect(info).toContain('keyspace_misses:1\r\n')
    expect(s.memoryStats().hitRatio).toBeCloseTo(2 / 3)
  })
})

describe('limits', () => {
  it('CONFIG SET maxmemory evicts down to the new limit at once', () => {
    const s = store({ maxmemoryPolicy: 'allkeys-lru' })
    for (let i = 0; i < 1000; i++) s.set('k' + i, 'v'.repeat(30))
    const used = s.usedMemory()
    expect(s.dbsize()).toBe(1000)
    s.call('CONFIG', 'SET', 'maxmemory', String(Math.floor(used / 4)))
    expect(s.usedMemory()).toBeLessThanOrEqual(used / 4)
    expect(s.dbsize()).toBeGreaterThan(200)
    expect(s.dbsize()).toBeLessThan(260)
    expect(s.call('CONFIG', 'GET', 'maxmemory')).toEqual(['maxmemory', String(Math.floor(used / 4))])
  })

  it('accepts maxmemory with units, and maxkeys through CONFIG', () => {
    const s = store({ maxmemory: '2mb', maxmemoryPolicy: 'allkeys-random' })
    expect(s.memoryStats().maxmemory).toBe(2 * 1024 * 1024)
    expect(s.call('CONFIG', 'GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'allkeys-random'])
    s.call('CONFIG', 'SET', 'maxkeys', '10')
    for (let i = 0; i < 100; i++) s.set('k' + i, 'v')
    expect(s.dbsize()).toBe(10)
    expect(() => s.call('CONFIG', 'SET', 'maxkeys', '-1')).toThrow("ERR CONFIG SET failed (possibly related to argument 'maxkeys') - argument must be between 0 and 9007199254740991 inclusive")
    expect(() => new Store({ maxmemory: 'lots' })).toThrow(RangeError)
    expect(() => new Store({ maxmemoryPolicy: 'fifo' as EvictionPolicy })).toThrow(RangeError)
  })

  it('keeps memory within the limit under a long random write load of every type', () => {
    const limit = 200_000
    const s = store({ maxmemory: limit, maxmemoryPolicy: 'allkeys-lru' })
    let seed = 12345
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n)
    const value = (n: number) => 'x'.repeat(1 + rnd(n))
    let maxAfter = 0
    for (let i = 0; i < 20_000; i++) {
      const k = 'key' + rnd(3000)
      try {
        switch (rnd(9)) {
          case 0:
            s.call('SET', k, value(400))
            break
          case 1:
            s.call('APPEND', 's' + k, value(50))
            break
          case 2:
            s.call('HSET', 'h' + k, 'f' + rnd(20), value(40))
            break
          case 3:
            s.call('RPUSH', 'l' + k, value(40))
            break
          case 4:
            s.call('SADD', 'z' + k, 'm' + rnd(50))
            break
          case 5:
            s.call('ZADD', 'zz' + k, rnd(100), 'm' + rnd(50))
            break
          case 6:
            s.call('SET', k, value(100), 'EX', 100 + rnd(100))
            break
          case 7:
            s.call('DEL', 'h' + k)
            break
          default:
            s.get(k)
        }
      } catch (e) {
        // Wrong types between random keys are expected; never OOM with an evicting policy.
        expect((e as Error).message).toMatch(/^WRONGTYPE/)
      }
      // Over the limit by at most the last write (eviction happens before a write).
      maxAfter = Math.max(maxAfter, s.usedMemory())
      expect(s.usedMemory()).toBeLessThan(limit + 4000)
      // The next write first brings it back under the limit.
      s.beforeWrite()
      expect(s.usedMemory()).toBeLessThanOrEqual(limit)
    }
    expect(maxAfter).toBeGreaterThan(limit * 0.9)
    expect(s.memoryStats().evictedKeys).toBeGreaterThan(100)
    // The running total is exactly the sum of what each key is accounted for.
    expect(s.usedMemory()).toBe(accountedSum(s))
  })

  it('accounting follows flushes, swaps, renames and expiry', () => {
    const clock = new ManualClock(1_700_000_000_000)
    const s = store({ clock, maxkeys: 1000, maxmemoryPolicy: 'allkeys-lru' })
    for (let i = 0; i < 100; i++) s.set('k' + i, 'v' + i)
    const sess = s.session()
    sess.execute(['SELECT', '3'])
    for (let i = 0; i < 50; i++) sess.execute(['SET', 'x' + i, 'value' + i, 'PX', '1000'])
    expect(s.usedMemory()).toBe(accountedSum(s))
    s.call('SWAPDB', '0', '3')
    expect(s.usedMemory()).toBe(accountedSum(s))
    // After the swap, eviction finds keys in the right database.
    s.call('CONFIG', 'SET', 'maxkeys', '120')
    expect(s.ks.dbs[0]!.size + s.ks.dbs[3]!.size).toBeLessThan(120)
    expect(s.usedMemory()).toBe(accountedSum(s))
    s.call('RENAME', 'x1', 'renamed')
    clock.advance(2000)
    s.call('EXISTS', ...range(50, 'x'))
    expect(s.usedMemory()).toBe(accountedSum(s))
    s.flushdb()
    expect(s.usedMemory()).toBe(accountedSum(s))
    s.flushall()
    expect(s.usedMemory()).toBe(0)
    expect(s.memoryStats().keys).toBe(0)
    s.set('again', 'v')
    expect(s.usedMemory()).toBe(entrySize('again', s.ks.dbs[0]!.map.get('again')!))
  })
})

describe('OBJECT IDLETIME and REFCOUNT', () => {
  for (const policy of ['noeviction', 'allkeys-lru', 'volatile-ttl'] as EvictionPolicy[]) {
    it(`IDLETIME counts seconds since the last access under ${policy}`, () => {
      const clock = new ManualClock(1_700_000_000_000)
      const s = store({ clock, maxmemoryPolicy: policy, maxmemory: '10mb' })
      s.set('a', '1')
      s.set('b', '1')
      clock.advance(5000)
      expect(s.call('OBJECT', 'IDLETIME', 'a')).toBe(5)
      s.get('a')
      clock.advance(3000)
      expect(s.call('OBJECT', 'IDLETIME', 'a')).toBe(3)
      expect(s.call('OBJECT', 'IDLETIME', 'b')).toBe(8)
      // OBJECT itself is not an access.
      expect(s.call('OBJECT', 'IDLETIME', 'b')).toBe(8)
      expect(() => s.call('OBJECT', 'FREQ', 'a')).toThrow(
        'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
      )
    })
  }

  // Recorded from valkey 8 (Redis 7.2): after 3 s idle, each command below on its own key, then OBJECT
  // IDLETIME; keyspace_hits counts all of them but MEMORY USAGE, and the ten OBJECT IDLETIMEs.
  const TOUCHES: Record<string, boolean> = {
    EXISTS: false,
    TYPE: false,
    TTL: false,
    PTTL: false,
    EXPIRETIME: false,
    'OBJECT ENCODING': false,
    'MEMORY USAGE': false,
    STRLEN: true,
    DUMP: true,
    GET: true,
  }
  for (const policy of ['noeviction', 'allkeys-lru'] as EvictionPolicy[]) {
    it(`EXISTS, TYPE, the TTL family, OBJECT, MEMORY USAGE and RANDOMKEY leave idle time alone, as in Redis (${policy})`, () => {
      const clock = new ManualClock(1_700_000_000_000)
      const s = store({ clock, maxmemoryPolicy: policy })
      for (const c of Object.keys(TOUCHES)) s.set('k:' + c, 'v')
      clock.advance(3000)
      s.ks.refreshClock()
      for (const [c, touches] of Object.entries(TOUCHES)) {
        s.call(...(c.split(' ') as [string]), 'k:' + c)
        expect([c, s.call('OBJECT', 'IDLETIME', 'k:' + c)]).toEqual([c, touches ? 0 : 3])
      }
      expect(s.info('stats')).toMatch(/keyspace_hits:19\r\nkeyspace_misses:0\r\n/)
      // The typed methods behave the same.
      clock.advance(2000)
      s.exists('k:GET')
      s.type('k:GET')
      s.ttl('k:GET')
      expect(s.call('OBJECT', 'IDLETIME', 'k:GET')).toBe(2)
      // RANDOMKEY names a key without accessing it.
      const one = store({ clock, maxmemoryPolicy: policy })
      one.set('only', 'v')
      clock.advance(4000)
      expect(one.call('RANDOMKEY')).toBe('only')
      expect(one.call('OBJECT', 'IDLETIME', 'only')).toBe(4)
    })
  }

  it('COPY counts its source as a read, and XREAD each stream twice, as Redis does', () => {
    const s = store()
    const hitsMisses = () => /keyspace_hits:(\d+)\r\nkeyspace_misses:(\d+)/.exec(s.info('stats'))!.slice(1).map(Number)
    s.set('src', 'v')
    s.call('XADD', 'st', '1-1', 'f', 'v')
    s.call('COPY', 'src', 'dst')
    s.call('COPY', 'missing', 'dst2')
    expect(hitsMisses()).toEqual([1, 1])
    s.call('CONFIG', 'RESETSTAT')
    // Valkey 8 / Redis 7.2: the ID pass and the serving pass each look every key up.
    s.call('XREAD', 'STREAMS', 'st', 'nostream', '0', '0')
    expect(hitsMisses()).toEqual([2, 2])
  })

  it('OBJECT counts a hit or a miss but sends no keymiss event', async () => {
    const s = store()
    s.configSet('notify-keyspace-events', 'Em')
    const events: string[] = []
    await s.psubscribe('__keyevent@*__:*', (key) => void events.push(key))
    s.call('OBJECT', 'ENCODING', 'missing')
    s.call('EXISTS', 'missing2')
    await new Promise((r) => setTimeout(r, 10))
    expect(events).toEqual(['missing2'])
    expect(s.info('stats')).toMatch(/keyspace_misses:2\r\n/)
  })

  it('idle times survive switching between LRU and other policies', () => {
    const clock = new ManualClock(1_700_000_000_000)
    const s = store({ clock })
    s.set('a', '1')
    clock.advance(10_000)
    s.configSet('maxmemory-policy', 'allkeys-lru')
    expect(s.call('OBJECT', 'IDLETIME', 'a')).toBe(10)
    s.set('b', '1')
    clock.advance(4000)
    s.configSet('maxmemory-policy', 'volatile-random')
    expect(s.call('OBJECT', 'IDLETIME', 'a')).toBe(14)
    expect(s.call('OBJECT', 'IDLETIME', 'b')).toBe(4)
    s.configSet('maxmemory-policy', 'allkeys-lfu')
    expect(s.call('OBJECT', 'FREQ', 'a')).toBe(5)
  })

  it('small integers are shared objects only without an LRU/LFU maxmemory policy', () => {
    const s = store()
    s.set('n', '42')
    expect(s.call('OBJECT', 'REFCOUNT', 'n')).toBe(2147483647)
    s.configSet('maxmemory-policy', 'allkeys-lru')
    expect(s.call('OBJECT', 'REFCOUNT', 'n')).toBe(2147483647)
    s.configSet('maxmemory', '100mb')
    expect(s.call('OBJECT', 'REFCOUNT', 'n')).toBe(1)
  })

  it('a small integer given as bytes (as over the wire) is shared too', () => {
    const s = store()
    s.call('SET', 'n', Buffer.from('9999'))
    s.call('SET', 'm', Buffer.from('10000'))
    expect(s.call('OBJECT', 'REFCOUNT', 'n')).toBe(2147483647)
    expect(s.call('OBJECT', 'REFCOUNT', 'm')).toBe(1)
  })
})

describe('RESTORE-style idle time and frequency', () => {
  it('setIdleTime places a key in the past under every tracking mode', () => {
    const clock = new ManualClock(1_700_000_000_000)
    for (const policy of ['noeviction', 'allkeys-lru', 'volatile-random'] as EvictionPolicy[]) {
      const s = store({ clock, maxmemoryPolicy: policy, maxkeys: policy === 'volatile-random' ? 100 : 0 })
      s.set('warm', 'v')
      // Time passes with accesses, so an LRU store has counted accesses at several seconds.
      for (let i = 0; i < 30; i++) {
        clock.advance(100_000)
        s.get('warm')
      }
      s.set('k', 'v')
      s.memory.setIdleTime(s.ks.dbs[0]!.map.get('k')!, 1000)
      const idle = s.call('OBJECT', 'IDLETIME', 'k') as number
      expect(idle).toBeGreaterThanOrEqual(1000)
      expect(idle).toBeLessThan(1000 + 101)
      expect(s.call('OBJECT', 'IDLETIME', 'warm')).toBe(0)
    }
    const lfu = store({ maxmemoryPolicy: 'allkeys-lfu' })
    lfu.set('f', 'v')
    lfu.memory.setFrequency(lfu.ks.dbs[0]!.map.get('f')!, 77)
    expect(lfu.call('OBJECT', 'FREQ', 'f')).toBe(77)
  })
})

describe('scripts under a limit (Redis 7.2 scriptVerifyOOM and scriptFlagsToCmdFlags, checked against valkey-server)', () => {
  const OOM = "OOM command not allowed when used memory > 'maxmemory'."
  const run = async (fn: (s: Store) => void) => {
    const { lua } = await import('../src/scripting/index.js')
    const s = new Store({ scripting: lua(), maxkeys: 3, maxmemoryPolicy: 'noeviction' })
    try {
      fn(s)
    } finally {
      s.close()
    }
  }
  const msg = (f: () => unknown): unknown => {
    try {
      return f()
    } catch (e) {
      return (e as Error).message
    }
  }

  it('a script under the limit when it starts is not stopped halfway: only a first write over it is refused', () =>
    run((s) => {
      s.set('a', '1')
      s.set('b', '2')
      // Two keys of room for three: the script's five writes all go through.
      expect(s.call('EVAL', "for i = 1, 5 do redis.call('set', 'k' .. i, i) end return redis.call('dbsize')", '0')).toBe(7)
      // Over the limit at its start: its first write is refused, reads still run.
      expect(msg(() => s.call('EVAL', "return redis.call('set', 'x', 1)", '0'))).toMatch(new RegExp(`^${OOM.replace(/[.()]/g, '\\$&')} script: `))
      expect(s.call('EVAL', "return redis.call('get', 'a')", '0')).toBe('1')
      // Deleting is no write that memory refuses: after it, the script is under way and writes on.
      expect(s.call('EVAL', "redis.call('del', 'a') redis.call('set', 'y', 1) return redis.call('dbsize')", '0')).toBe(7)
    }))

  it('a shebang script is refused at the start unless it declares allow-oom or no-writes', () =>
    run((s) => {
      for (const k of ['a', 'b', 'c']) s.set(k, '1')
      expect(msg(() => s.call('EVAL', '#!lua\nreturn 1', '0'))).toBe(OOM)
      expect(msg(() => s.call('EVAL_RO', '#!lua\nreturn 1', '0'))).toBe(OOM)
      expect(s.call('EVAL', '#!lua flags=no-writes\nreturn 1', '0')).toBe(1)
      expect(s.call('EVAL', "#!lua flags=allow-oom\nreturn redis.call('set', 'x', 'y')", '0')).toBe('OK')
      expect(s.dbsize()).toBe(4)
    }))
})
