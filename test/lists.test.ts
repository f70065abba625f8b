import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Store } from '../src/index.js'
import { NULL_ARRAY } from '../src/core/reply.js'
import type { StrValue } from '../src/core/bytes.js'
import { ListValue, lpEntryBytes } from '../src/commands/lists.js'
import { effectsOf, err, eventsOf, useStores } from './helpers/store.js'

const newStore = useStores()

const listAt = (store: Store, key: string): ListValue => store.ks.dbs[0]!.map.get(key)!.value as ListValue

describe('typed list API', () => {
  it('pushes, pops and reads', () => {
    const s = newStore()
    expect(s.lpush('l', 'a', 'b')).toBe(2)
    expect(s.rpush('l', 'c', 1, 2.5)).toBe(5)
    expect(s.lrange('l', 0, -1)).toEqual(['b', 'a', 'c', '1', '2.5'])
    expect(s.llen('l')).toBe(5)
    expect(s.lindex('l', -1)).toBe('2.5')
    expect(s.lindex('l', 9)).toBeNull()
    expect(s.lpop('l')).toBe('b')
    expect(s.rpop('l')).toBe('2.5')
    expect(s.lpop('l', 2)).toEqual(['a', 'c'])
    expect(s.rpop('l', 5)).toEqual(['1'])
    expect(s.exists('l')).toBe(0)
    expect(s.lpop('l')).toBeNull()
    expect(s.lpop('l', 3)).toBeNull()
    expect(s.llen('l')).toBe(0)
    expect(s.lrange('l', 0, -1)).toEqual([])
  })

  it('pops with a count of 0 give an empty array on an existing list', () => {
    const s = newStore()
    s.rpush('l', 'a')
    expect(s.lpop('l', 0)).toEqual([])
    expect(s.rpop('l', 0)).toEqual([])
    expect(err(() => s.lpop('l', -1))).toBe('ERR value is out of range, must be positive')
    expect(s.llen('l')).toBe(1)
  })

  it('pushx only touches existing lists', () => {
    const s = newStore()
    expect(s.lpushx('l', 'a')).toBe(0)
    expect(s.rpushx('l', 'a')).toBe(0)
    expect(s.exists('l')).toBe(0)
    s.rpush('l', 'x')
    expect(s.lpushx('l', 'a', 'b')).toBe(3)
    expect(s.rpushx('l', 'z')).toBe(4)
    expect(s.lrange('l', 0, -1)).toEqual(['b', 'a', 'x', 'z'])
  })

  it('keeps binary values exact', () => {
    const s = newStore()
    const bin = Buffer.from([0xff, 0x00, 0x80])
    s.rpush('l', bin, 'text')
    expect(s.lrangeBuffer('l', 0, 0)[0]).toEqual(bin)
    expect(s.lindexBuffer('l', 0)).toEqual(bin)
    expect(s.lpos('l', bin)).toBe(0)
    // A string and a Buffer holding the same UTF-8 bytes are the same element.
    expect(s.lpos('l', Buffer.from('text'))).toBe(1)
    s.rpush('l', Buffer.from('é'))
    expect(s.lpos('l', 'é')).toBe(2)
    expect(s.lrem('l', 0, 'é')).toBe(1)
    expect(s.lpopBuffer('l')).toEqual(bin)
    expect(s.rpopBuffer('l', 1)).toEqual([Buffer.from('text')])
  })

  it('inserts, sets, removes and trims', () => {
    const s = newStore()
    s.rpush('l', 'a', 'b', 'c')
    expect(s.linsert('l', 'BEFORE', 'b', 'x')).toBe(4)
    expect(s.linsert('l', 'AFTER', 'c', 'y')).toBe(5)
    expect(s.linsert('l', 'AFTER', 'nope', 'y')).toBe(-1)
    expect(s.linsert('missing', 'AFTER', 'a', 'y')).toBe(0)
    expect(s.lrange('l', 0, -1)).toEqual(['a', 'x', 'b', 'c', 'y'])
    expect(s.lset('l', -1, 'z')).toBe('OK')
    expect(err(() => s.lset('l', 5, 'q'))).toBe('ERR index out of range')
    expect(err(() => s.lset('missing', 0, 'q'))).toBe('ERR no such key')
    expect(err(() => s.lset('l', 0.5, 'q'))).toBe('ERR value is not an integer or out of range')
    s.rpush('l', 'a', 'a')
    expect(s.lrem('l', -2, 'a')).toBe(2)
    expect(s.lrange('l', 0, -1)).toEqual(['a', 'x', 'b', 'c', 'z'])
    expect(s.ltrim('l', 1, -2)).toBe('OK')
    expect(s.lrange('l', 0, -1)).toEqual(['x', 'b', 'c'])
    expect(s.ltrim('l', 5, 1)).toBe('OK')
    expect(s.exists('l')).toBe(0)
  })

  it('finds positions with rank, count and maxlen', () => {
    const s = newStore()
    s.rpush('l', 'a', 'b', 'c', 'b', 'b')
    expect(s.lpos('l', 'b')).toBe(1)
    expect(s.lpos('l', 'b', { rank: 2 })).toBe(3)
    expect(s.lpos('l', 'b', { rank: -1 })).toBe(4)
    expect(s.lpos('l', 'b', { count: 0 })).toEqual([1, 3, 4])
    expect(s.lpos('l', 'b', { count: 2, rank: -1 })).toEqual([4, 3])
    expect(s.lpos('l', 'b', { count: 0, maxlen: 2 })).toEqual([1])
    expect(s.lpos('l', 'z')).toBeNull()
    expect(s.lpos('l', 'z', { count: 1 })).toEqual([])
    expect(s.lpos('missing', 'z', { count: 1 })).toEqual([])
    expect(err(() => s.lpos('l', 'b', { rank: 0 }))).toMatch(/^ERR RANK can't be zero/)
    expect(err(() => s.lpos('l', 'b', { count: -1 }))).toBe("ERR COUNT can't be negative")
    expect(err(() => s.lpos('l', 'b', { maxlen: -1 }))).toBe("ERR MAXLEN can't be negative")
  })

  it('moves between lists', () => {
    const s = newStore()
    s.rpush('a', '1', '2', '3')
    expect(s.lmove('a', 'b', 'LEFT', 'RIGHT')).toBe('1')
    expect(s.lmove('a', 'b', 'RIGHT', 'LEFT')).toBe('3')
    expect(s.rpoplpush('a', 'b')).toBe('2')
    expect(s.exists('a')).toBe(0)
    expect(s.lrange('b', 0, -1)).toEqual(['2', '3', '1'])
    expect(s.lmove('a', 'b', 'LEFT', 'LEFT')).toBeNull()
    expect(s.lmove('b', 'b', 'LEFT', 'RIGHT')).toBe('2')
    expect(s.lrange('b', 0, -1)).toEqual(['3', '1', '2'])
    s.set('str', 'v')
    expect(err(() => s.lmove('b', 'str', 'LEFT', 'LEFT'))).toMatch(/^WRONGTYPE/)
    expect(s.llen('b')).toBe(3)
  })

  it('pops from the first non-empty of several lists', () => {
    const s = newStore()
    s.rpush('b', 'x', 'y', 'z')
    expect(s.lmpop(['a', 'b'], 'LEFT')).toEqual(['b', ['x']])
    expect(s.lmpop(['a', 'b'], 'RIGHT', 5)).toEqual(['b', ['z', 'y']])
    expect(s.lmpop(['a', 'b'], 'LEFT')).toBeNull()
    expect(err(() => s.lmpop([], 'LEFT'))).toBe('ERR numkeys should be greater than 0')
    expect(err(() => s.lmpop('a', 'LEFT', 0))).toBe('ERR count should be greater than 0')
  })

  it('refuses other types with WRONGTYPE and changes nothing', () => {
    const s = newStore()
    s.set('str', 'v')
    s.hset('h', { f: 'v' })
    for (const k of ['str', 'h']) {
      expect(err(() => s.lpush(k, 'a'))).toMatch(/^WRONGTYPE/)
      expect(err(() => s.lpop(k))).toMatch(/^WRONGTYPE/)
      expect(err(() => s.lrange(k, 0, -1))).toMatch(/^WRONGTYPE/)
      expect(err(() => s.llen(k))).toMatch(/^WRONGTYPE/)
    }
    expect(s.get('str')).toBe('v')
  })
})

describe('effects and keyspace events', () => {
  it('reports pushes and pops as Redis propagates them', () => {
    const s = newStore()
    expect(effectsOf(s, () => s.rpush('l', 'a', 'b', 'c', 'd'))).toEqual([['RPUSH', 'l', 'a', 'b', 'c', 'd']])
    expect(effectsOf(s, () => s.lpop('l'))).toEqual([['LPOP', 'l']])
    expect(effectsOf(s, () => s.rpop('l', 2))).toEqual([['RPOP', 'l', '2']])
    expect(effectsOf(s, () => s.lpop('l', 0))).toEqual([])
    expect(effectsOf(s, () => s.lpushx('nope', 'a'))).toEqual([])
    expect(effectsOf(s, () => s.lmpop(['x', 'l'], 'LEFT', 9))).toEqual([['LPOP', 'l', '1']])
  })

  it('reports in-place writes only when something changed', () => {
    const s = newStore()
    s.rpush('l', 'a', 'b', 'a')
    expect(effectsOf(s, () => s.linsert('l', 'AFTER', 'zz', 'q'))).toEqual([])
    expect(effectsOf(s, () => s.linsert('l', 'AFTER', 'b', 'q'))).toEqual([['LINSERT', 'l', 'AFTER', 'b', 'q']])
    expect(effectsOf(s, () => s.lset('l', -1, 'z'))).toEqual([['LSET', 'l', '3', 'z']])
    expect(effectsOf(s, () => s.lrem('l', 0, 'nope'))).toEqual([])
    expect(effectsOf(s, () => s.lrem('l', 1, 'a'))).toEqual([['LREM', 'l', '1', 'a']])
    expect(effectsOf(s, () => s.ltrim('l', 0, -1))).toEqual([])
    s.rpush('l', 'x', 'y')
    expect(effectsOf(s, () => s.ltrim('l', -4, -2))).toEqual([['LTRIM', 'l', '1', '3']])
    expect(effectsOf(s, () => s.call('LTRIM', 'l', '9223372036854775807', '-1'))).toEqual([['LTRIM', 'l', '3', '2']])
    s.rpush('l', 'b', 'a')
    expect(effectsOf(s, () => s.lmove('l', 'm', 'LEFT', 'RIGHT'))).toEqual([['LMOVE', 'l', 'm', 'LEFT', 'RIGHT']])
    expect(effectsOf(s, () => s.rpoplpush('l', 'm'))).toEqual([['RPOPLPUSH', 'l', 'm']])
  })

  it('publishes Redis event names, del when a list empties', () => {
    const s = newStore()
    expect(eventsOf(s, () => s.lpush('l', 'a', 'b'))).toEqual(['lpush l'])
    expect(eventsOf(s, () => s.rpush('l', 'c'))).toEqual(['rpush l'])
    expect(eventsOf(s, () => s.linsert('l', 'BEFORE', 'a', 'x'))).toEqual(['linsert l'])
    expect(eventsOf(s, () => s.lset('l', 0, 'y'))).toEqual(['lset l'])
    expect(eventsOf(s, () => s.lrem('l', 0, 'nope'))).toEqual([])
    expect(eventsOf(s, () => s.lrem('l', 0, 'y'))).toEqual(['lrem l'])
    expect(eventsOf(s, () => s.ltrim('l', 0, 5))).toEqual(['ltrim l'])
    expect(eventsOf(s, () => s.lmove('l', 'm', 'RIGHT', 'LEFT'))).toEqual(['lpush m', 'rpop l'])
    expect(eventsOf(s, () => s.lpop('l', 5))).toEqual(['lpop l', 'del l'])
    expect(eventsOf(s, () => s.rpoplpush('m', 'n'))).toEqual(['lpush n', 'rpop m', 'del m'])
  })

  it('invalidates WATCH on writes', () => {
    const s = newStore()
    s.rpush('l', 'a')
    const a = s.session()
    expect(a.execute(['WATCH', 'l'])).toBeDefined()
    s.lpop('l')
    a.execute(['MULTI'])
    a.execute(['PING'])
    // The pop touched the watched key: EXEC aborts with a nil array.
    expect(a.execute(['EXEC'])).toBe(NULL_ARRAY)
  })
})

describe('encodings', () => {
  it('converts to quicklist past 8 KB and back below half of it', () => {
    const s = newStore()
    const v = 'x'.repeat(100)
    // Each entry takes 103 bytes: the 80th push would pass 8192 bytes.
    for (let i = 0; i < 70; i++) s.rpush('l', v)
    expect(s.call('OBJECT', 'ENCODING', 'l')).toBe('listpack')
    for (let i = 0; i < 20; i++) s.rpush('l', v)
    expect(s.call('OBJECT', 'ENCODING', 'l')).toBe('quicklist')
    // One node of 70 entries is left, above half the limit.
    s.rpop('l', 20)
    expect(s.call('OBJECT', 'ENCODING', 'l')).toBe('quicklist')
    s.rpop('l', 40)
    expect(s.call('OBJECT', 'ENCODING', 'l')).toBe('listpack')
  })

  it('follows a count limit from list-max-listpack-size', () => {
    const s = newStore()
    s.call('CONFIG', 'SET', 'list-max-listpack-size', '4')
    s.rpush('l', 'a', 'b', 'c', 'd')
    expect(s.call('OBJECT', 'ENCODING', 'l')).toBe('listpack')
    s.rpush('l', 'e')
    expect(s.call('OBJECT', 'ENCODING', 'l')).toBe('quicklist')
    // Two nodes ([d] and [e]) are left: no conversion until one node with ≤ 2 entries remains.
    s.lpop('l', 3)
    expect(s.call('OBJECT', 'ENCODING', 'l')).toBe('quicklist')
    s.lpop('l')
    expect(s.call('OBJECT', 'ENCODING', 'l')).toBe('listpack')
    expect(s.call('CONFIG', 'GET', 'list-max-ziplist-size')).toEqual(['list-max-ziplist-size', '4'])
  })

  it('COPY keeps the encoding and copies deeply', () => {
    const s = newStore()
    for (let i = 0; i < 200; i++) s.rpush('l', 'y'.repeat(60))
    s.call('COPY', 'l', 'c')
    expect(s.call('OBJECT', 'ENCODING', 'c')).toBe('quicklist')
    s.rpop('c', 150)
    expect(s.llen('l')).toBe(200)
    expect(listAt(s, 'l').nodeCount).toBeGreaterThan(1)
  })

  it('sizes listpack entries as Redis encodes them', () => {
    expect(lpEntryBytes('a')).toBe(3)
    expect(lpEntryBytes('127')).toBe(2)
    expect(lpEntryBytes('128')).toBe(3)
    expect(lpEntryBytes('-4096')).toBe(3)
    expect(lpEntryBytes('-5000')).toBe(4)
    expect(lpEntryBytes('8388607')).toBe(5)
    expect(lpEntryBytes('2147483648')).toBe(10)
    expect(lpEntryBytes('9223372036854775807')).toBe(10)
    expect(lpEntryBytes('01')).toBe(4) // not an integer: a 2-byte string
    expect(lpEntryBytes('x'.repeat(63))).toBe(65)
    expect(lpEntryBytes('x'.repeat(64))).toBe(67)
    expect(lpEntryBytes('x'.repeat(125))).toBe(128)
    expect(lpEntryBytes('x'.repeat(126))).toBe(130)
    expect(lpEntryBytes('é')).toBe(4)
    expect(lpEntryBytes(Buffer.from('42'))).toBe(2)
  })

  /** Checks that the encoding bookkeeping matches the elements it describes. */
  function checkLayout(l: ListValue): void {
    const sizes: number[] = []
    for (const v of l) sizes.push(lpEntryBytes(v))
    if (l.nodes === null) {
      expect(l.lpBytes).toBe(7 + sizes.reduce((a, b) => a + b, 0))
      return
    }
    let i = 0
    for (const node of l.nodes) {
      expect(node.count).toBeGreaterThan(0)
      let sz = 7
      for (let k = 0; k < node.count; k++) sz += sizes[i++]!
      expect(node.sz).toBe(sz)
    }
    expect(i).toBe(l.length)
  }

  it('keeps contents and layout consistent under random operations (model test)', () => {
    const value = fc.oneof(
      fc.integer({ min: -100000, max: 100000 }).map(String),
      fc.string({ maxLength: 20, size: 'max' }),
      fc.nat({ max: 900 }).map((n) => 'v'.repeat(n)),
    )
    const op = fc.oneof(
      fc.record({ t: fc.constant('push' as const), head: fc.boolean(), vs: fc.array(value, { minLength: 1, maxLength: 12 }) }),
      fc.record({ t: fc.constant('pop' as const), head: fc.boolean(), n: fc.integer({ min: 0, max: 15 }) }),
      fc.record({ t: fc.constant('insert' as const), after: fc.boolean(), at: fc.nat(), v: value }),
      fc.record({ t: fc.constant('set' as const), at: fc.nat(), v: value }),
      fc.record({ t: fc.constant('rem' as const), count: fc.integer({ min: -3, max: 3 }), at: fc.nat() }),
      fc.record({ t: fc.constant('trim' as const), start: fc.integer({ min: -5, max: 5 }), stop: fc.integer({ min: -5, max: 5 }) }),
    )
    fc.assert(
      fc.property(fc.constantFrom(-2, -1, 3, 0, 20), fc.array(op, { maxLength: 60, size: 'max' }), (fill, ops) => {
        const s = newStore()
        s.call('CONFIG', 'SET', 'list-max-listpack-size', String(fill))
        let model: string[] = []
        for (const o of ops) {
          switch (o.t) {
            case 'push':
              if (o.head) {
                s.lpush('l', ...o.vs)
                for (const v of o.vs) model.unshift(v)
              } else {
                s.rpush('l', ...o.vs)
                model.push(...o.vs)
              }
              break
            case 'pop': {
              const got = o.head ? s.lpop('l', o.n) : s.rpop('l', o.n)
              const want = model.length === 0 ? null : o.head ? model.splice(0, o.n) : model.splice(Math.max(0, model.length - o.n)).reverse()
              expect(got).toEqual(want)
              break
            }
            case 'insert':
              if (model.length === 0) break
              {
                const i = o.at % model.length
                const pivot = model[i]!
                const first = model.indexOf(pivot)
                s.lset('l', i, pivot)
                s.linsert('l', o.after ? 'AFTER' : 'BEFORE', pivot, o.v)
                model.splice(o.after ? first + 1 : first, 0, o.v)
              }
              break
            case 'set':
              if (model.length === 0) break
              s.lset('l', o.at % model.length, o.v)
              model[o.at % model.length] = o.v
              break
            case 'rem': {
              if (model.length === 0) break
              const target = model[o.at % model.length]!
              const limit = o.count === 0 ? Infinity : Math.abs(o.count)
              let removed = 0
              const idx = model.map((_, i) => i)
              if (o.count < 0) idx.reverse()
              const drop = new Set<number>()
              for (const i of idx) if (removed < limit && model[i] === target) (drop.add(i), removed++)
              expect(s.lrem('l', o.count, target)).toBe(removed)
              model = model.filter((_, i) => !drop.has(i))
              break
            }
            case 'trim': {
              s.ltrim('l', o.start, o.stop)
              const n = model.length
              let a = o.start < 0 ? n + o.start : o.start
              let b = o.stop < 0 ? n + o.stop : o.stop
              if (a < 0) a = 0
              if (a > b || a >= n) model = []
              else model = model.slice(a, Math.min(b, n - 1) + 1)
              break
            }
          }
          expect(s.lrange('l', 0, -1)).toEqual(model)
          const e = s.ks.dbs[0]!.map.get('l')
          if (model.length === 0) expect(e).toBeUndefined()
          else checkLayout(e!.value as ListValue)
        }
      }),
      { numRuns: 150 },
    )
  })

  it('ListValue.of builds the encoding a push would', () => {
    const small = ListValue.of(['a', 'b'] as StrValue[])
    expect(small.encoding).toBe('listpack')
    const big = ListValue.of(Array.from({ length: 300 }, () => 'z'.repeat(50)))
    expect(big.encoding).toBe('quicklist')
    expect(big.length).toBe(300)
  })
})
