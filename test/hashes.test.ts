import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Store } from '../src/index.js'
import { ReplyError } from '../src/core/errors.js'
import { RedisHash } from '../src/commands/hashes.js'
import { encodeReply } from '../src/protocol/resp.js'
import { effectsOf, err, eventsOf, useStores } from './helpers/store.js'

const newStore = useStores()

describe('typed API', () => {
  it('sets and reads fields', () => {
    const s = newStore()
    expect(s.hset('h', 'f1', 'v1')).toBe(1)
    expect(s.hset('h', { f2: 'v2', f3: 3 })).toBe(2)
    expect(s.hset('h', new Map([['f1', 'new']]))).toBe(0)
    expect(s.hset('h', [['f4', 'v4'], [Buffer.from('f5'), Buffer.from('v5')]])).toBe(2)
    expect(s.hget('h', 'f1')).toBe('new')
    expect(s.hget('h', 'f3')).toBe('3')
    expect(s.hget('h', 'nope')).toBe(null)
    expect(s.hget('missing', 'f')).toBe(null)
    expect(s.hlen('h')).toBe(5)
    expect(s.hkeys('h')).toEqual(['f1', 'f2', 'f3', 'f4', 'f5'])
    expect(s.hvals('h')).toEqual(['new', 'v2', '3', 'v4', 'v5'])
    expect(s.hmget('h', 'f1', 'nope', 'f5')).toEqual(['new', null, 'v5'])
    expect(s.hmget('missing', 'a')).toEqual([null])
    expect(s.hexists('h', 'f2')).toBe(true)
    expect(s.hexists('h', 'zz')).toBe(false)
    expect(s.hstrlen('h', 'f2')).toBe(2)
    expect(s.hstrlen('h', 'zz')).toBe(0)
    expect(s.hmset('h', { f6: 'x' })).toBe('OK')
    expect(s.hsetnx('h', 'f6', 'y')).toBe(false)
    expect(s.hsetnx('h', 'f7', 'y')).toBe(true)
    expect(s.hgetallMap('h')).toEqual(
      new Map([
        ['f1', 'new'],
        ['f2', 'v2'],
        ['f3', '3'],
        ['f4', 'v4'],
        ['f5', 'v5'],
        ['f6', 'x'],
        ['f7', 'y'],
      ]),
    )
    expect(err(() => s.hset('h', {}))).toBe("ERR wrong number of arguments for 'hset' command")
    expect(err(() => s.hmset('h', []))).toBe("ERR wrong number of arguments for 'hmset' command")
  })

  it('HDEL deletes fields and the emptied key', () => {
    const s = newStore()
    s.hset('h', { a: 1, b: 2, c: 3 })
    expect(s.hdel('h', 'a', 'zz')).toBe(1)
    expect(s.hdel('h', 'b', 'c')).toBe(2)
    expect(s.exists('h')).toBe(0)
    expect(s.hdel('h', 'a')).toBe(0)
  })

  it('treats __proto__, constructor and friends as ordinary fields', () => {
    const s = newStore()
    const fields = JSON.parse('{"__proto__": "p", "constructor": "c", "toString": "t", "hasOwnProperty": "o"}') as Record<string, string>
    expect(s.hset('h', fields)).toBe(4)
    expect(s.hget('h', '__proto__')).toBe('p')
    expect(s.hexists('h', 'valueOf')).toBe(false)
    const all = s.hgetall('h')
    expect(Object.getPrototypeOf(all)).toBe(null)
    expect(Object.keys(all)).toEqual(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])
    expect(all['__proto__']).toBe('p')
    expect(all.toString).toBe('t')
    expect(s.hgetall('missing')).toEqual(Object.create(null))
    expect(s.hgetallMap('h').get('__proto__')).toBe('p')
  })

  it('keeps binary fields and values exact', () => {
    const s = newStore()
    const f = Buffer.from([0xff, 0x00])
    const v = Buffer.from([0x00, 0xfe, 0x80])
    expect(s.hset('h', f, v)).toBe(1)
    expect(s.hgetBuffer('h', Buffer.from([0xff, 0x00]))).toEqual(v)
    expect(s.hstrlen('h', f)).toBe(3)
    expect(s.hexists('h', Buffer.from([0xff]))).toBe(false)
    expect(s.hmgetBuffer('h', f, 'x')).toEqual([v, null])
    expect(s.hvalsBuffer('h')).toEqual([v])
    expect([...s.hgetallBuffer('h').values()]).toEqual([v])
    expect(s.callBuffer('HGETALL', 'h')).toEqual([f, v])
    expect(s.callBuffer('HKEYS', 'h')).toEqual([f])
    s.hset('h', 'é', 'ü')
    expect(s.hstrlen('h', 'é')).toBe(2)
    expect(s.hget('h', 'é')).toBe('ü')
  })

  it('HINCRBY: integers, overflow and bigints', () => {
    const s = newStore()
    expect(s.hincrby('h', 'n', 5)).toBe(5)
    expect(s.hincrby('h', 'n', -7)).toBe(-2)
    expect(s.hget('h', 'n')).toBe('-2')
    s.hset('h', 'big', '9223372036854775806')
    expect(s.hincrby('h', 'big', 1n)).toBe(9223372036854775807n)
    expect(err(() => s.hincrby('h', 'big', 1))).toBe('ERR increment or decrement would overflow')
    expect(s.hget('h', 'big')).toBe('9223372036854775807')
    s.hset('h', 's', 'abc')
    expect(err(() => s.hincrby('h', 's', 1))).toBe('ERR hash value is not an integer')
    expect(err(() => s.hincrby('h', 'n', 1.5))).toBe('ERR value is not an integer or out of range')
    expect(s.call('HINCRBY', 'h', 'x', '9007199254740993')).toBe(9007199254740993n)
    expect(s.hget('h', 'x')).toBe('9007199254740993')
  })

  it('HINCRBYFLOAT: long double arithmetic and Redis formatting', () => {
    const s = newStore()
    expect(s.hincrbyfloatString('h', 'x', '0.1')).toBe('0.1')
    expect(s.hincrbyfloatString('h', 'x', 0.2)).toBe('0.3')
    expect(s.hincrbyfloat('h', 'x', 1)).toBeCloseTo(1.3)
    expect(s.hincrbyfloatString('h', 'y', '1e18')).toBe('1000000000000000000')
    expect(s.hincrbyfloatString('h', 'y', '1.5')).toBe('1000000000000000001.5')
    expect(err(() => s.hincrbyfloat('h', 'x', Number.NaN))).toBe('ERR value is not a valid float')
    expect(err(() => s.hincrbyfloat('h', 'x', Infinity))).toBe('ERR value is NaN or Infinity')
    s.hset('h', { s: 'abc', i: 'inf' })
    expect(err(() => s.hincrbyfloat('h', 's', 1))).toBe('ERR hash value is not a float')
    expect(err(() => s.hincrbyfloat('h', 'i', 1))).toBe('ERR increment would produce NaN or Infinity')
    expect(s.hget('h', 'x')).toBe('1.3')
  })

  it('HRANDFIELD: positive counts are distinct, negative counts repeat, 0 and missing give []', () => {
    const s = newStore()
    const fields = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, `v${i}`]))
    s.hset('h', fields)
    for (let i = 0; i < 30; i++) {
      const pick = s.hrandfield('h', 4)
      expect(new Set(pick).size).toBe(4)
      const pairs = s.hrandfieldWithValues('h', 3)
      expect(pairs).toHaveLength(3)
      for (const [f, v] of pairs) expect(fields[f]).toBe(v)
    }
    expect(s.hrandfield('h', 100)).toEqual(Object.keys(fields))
    const many = s.hrandfieldWithValues('h', -500)
    expect(many).toHaveLength(500)
    for (const [f, v] of many) expect(fields[f]).toBe(v)
    expect(s.hrandfield('h', 0)).toEqual([])
    expect(s.hrandfield('missing', 3)).toEqual([])
    expect(s.hrandfieldWithValues('missing', -3)).toEqual([])
    expect(s.hrandfield('missing')).toBe(null)
    expect(Object.keys(fields)).toContain(s.hrandfield('h'))
    s.hset('one', 'f', 'v')
    expect(s.hrandfield('one', -3)).toEqual(['f', 'f', 'f'])
    expect(err(() => s.hrandfieldWithValues('h', 2 ** 62))).toBe('ERR value is out of range')
  })

  it('HRANDFIELD WITHVALUES is flat in RESP2 and pairs in RESP3', () => {
    const s = newStore()
    s.hset('h', 'f', 'v')
    expect(s.call('HRANDFIELD', 'h', '-2', 'WITHVALUES')).toEqual(['f', 'v', 'f', 'v'])
    const sess = s.session()
    sess.resp = 3
    expect(sess.execute(['HRANDFIELD', 'h', '-2', 'WITHVALUES'])).toEqual([
      ['f', 'v'],
      ['f', 'v'],
    ])
  })

  it('HGETALL is a map in RESP3 and a flat array in RESP2', () => {
    const s = newStore()
    s.hset('h', { f: 'v' })
    const sess = s.session()
    const wire = (resp: 2 | 3, ...argv: string[]): string => {
      sess.resp = resp
      return encodeReply(sess.execute(argv) as never, resp).toString('latin1')
    }
    expect(wire(3, 'HGETALL', 'h')).toBe('%1\r\n$1\r\nf\r\n$1\r\nv\r\n')
    expect(wire(3, 'HGETALL', 'missing')).toBe('%0\r\n')
    expect(wire(2, 'HGETALL', 'h')).toBe('*2\r\n$1\r\nf\r\n$1\r\nv\r\n')
    expect(wire(3, 'HRANDFIELD', 'h', '1', 'WITHVALUES')).toBe('*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n')
    expect(wire(3, 'HRANDFIELD', 'missing')).toBe('_\r\n')
    expect(wire(3, 'HMGET', 'h', 'f', 'x')).toBe('*2\r\n$1\r\nv\r\n_\r\n')
    expect(wire(3, 'HINCRBYFLOAT', 'h', 'n', '1.5')).toBe('$3\r\n1.5\r\n')
  })

  it('HSCAN returns a listpack whole and steps through a hashtable', () => {
    const s = newStore()
    s.hset('h', { b: 1, a: 2 })
    expect(s.hscan('h', 0, { count: 1 })).toEqual([
      '0',
      [
        ['b', '1'],
        ['a', '2'],
      ],
    ])
    expect(s.hscan('h', 0, { match: 'a' })).toEqual(['0', [['a', '2']]])
    expect(s.hscan('missing', 5)).toEqual(['0', []])
    const big = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, String(i)]))
    s.hset('big', big)
    expect(s.objectEncoding('big')).toBe('hashtable')
    const [cursor, part] = s.hscan('big', 0)
    expect(cursor).not.toBe('0')
    expect(part.length).toBeLessThanOrEqual(10)
    const all = new Map(s.hscanIterator('big', { count: 13 }))
    expect(all).toEqual(new Map(Object.entries(big)))
    expect(err(() => s.hscan('h', 'x'))).toBe('ERR invalid cursor')
  })

  it('WRONGTYPE on other types', () => {
    const s = newStore()
    s.set('str', 'v')
    expect(err(() => s.hset('str', 'f', 'v'))).toMatch(/^WRONGTYPE/)
    expect(err(() => s.hget('str', 'f'))).toMatch(/^WRONGTYPE/)
    expect(err(() => s.hgetall('str'))).toMatch(/^WRONGTYPE/)
    expect(err(() => s.hincrby('str', 'f', 1))).toMatch(/^WRONGTYPE/)
    expect(s.get('str')).toBe('v')
  })
})

describe('encodings', () => {
  it('listpack until 128 fields or a 65-byte field or value, then hashtable for good', () => {
    const s = newStore()
    const fields = Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`f${i}`, 'v']))
    s.hset('h', fields)
    expect(s.objectEncoding('h')).toBe('listpack')
    s.hset('h', 'one-more', 'v')
    expect(s.objectEncoding('h')).toBe('hashtable')
    s.hdel('h', ...Object.keys(fields))
    expect(s.objectEncoding('h')).toBe('hashtable')
    s.hset('v', 'f', 'x'.repeat(64))
    expect(s.objectEncoding('v')).toBe('listpack')
    s.hset('v', 'f', 'x'.repeat(65))
    expect(s.objectEncoding('v')).toBe('hashtable')
    s.hset('k', 'é'.repeat(33), 'v')
    expect(s.objectEncoding('k')).toBe('hashtable')
    s.hset('b', 'f', Buffer.alloc(65))
    expect(s.objectEncoding('b')).toBe('hashtable')
    // HINCRBYFLOAT writes a 71-byte value.
    s.hincrbyfloat('n', 'f', '1e70')
    expect(s.objectEncoding('n')).toBe('hashtable')
    // Too many pairs in one HSET convert even when they repeat a field.
    s.hset('dup', Array.from({ length: 129 }, () => ['x', 'y'] as [string, string]))
    expect(s.hlen('dup')).toBe(1)
    expect(s.objectEncoding('dup')).toBe('hashtable')
  })

  it('follows CONFIG SET, including the old ziplist names', () => {
    const s = newStore()
    s.call('CONFIG', 'SET', 'hash-max-ziplist-entries', '2', 'hash-max-listpack-value', '3')
    expect(s.call('CONFIG', 'GET', 'hash-max-listpack-entries')).toEqual(['hash-max-listpack-entries', '2'])
    s.hset('a', { x: 1, y: 2 })
    expect(s.objectEncoding('a')).toBe('listpack')
    s.hset('a', 'z', 3)
    expect(s.objectEncoding('a')).toBe('hashtable')
    s.hset('b', 'abcd', 1)
    expect(s.objectEncoding('b')).toBe('hashtable')
    // A change after the limit has been read applies at once, to that store only.
    const t = newStore()
    t.hset('c', { x: 1 })
    t.call('CONFIG', 'SET', 'hash-max-listpack-entries', '1')
    t.hset('c', 'y', 2)
    expect(t.objectEncoding('c')).toBe('hashtable')
    const u = newStore()
    u.hset('c', { x: 1, y: 2, z: 3 })
    expect(u.objectEncoding('c')).toBe('listpack')
  })

  it('COPY clones the hash with its encoding', () => {
    const s = newStore()
    s.hset('a', { x: 1 })
    s.copy('a', 'b')
    s.hset('b', 'y', 'z'.repeat(100))
    expect(s.objectEncoding('a')).toBe('listpack')
    expect(s.objectEncoding('b')).toBe('hashtable')
    expect(s.hgetallMap('a')).toEqual(new Map([['x', '1']]))
    const h = new RedisHash()
    h.set('f', 'v')
    h.lp = false
    expect(h.clone().lp).toBe(false)
  })
})

describe('notifications and effects', () => {
  it('publishes Redis event names', () => {
    const s = newStore()
    const ev = eventsOf(s, () => {
      s.hset('h', 'a', 1)
      s.hincrby('h', 'a', 1)
      s.hincrbyfloat('h', 'a', 1)
      s.hsetnx('h', 'b', 1)
      s.hsetnx('h', 'b', 1)
      s.hdel('h', 'zz')
      s.hdel('h', 'a', 'b')
      s.hmset('h', { x: 'y' })
    })
    expect(ev).toEqual(['hset h', 'hincrby h', 'hincrbyfloat h', 'hset h', 'hdel h', 'del h', 'hset h'])
  })

  it('effects reproduce the data; HINCRBYFLOAT is written as its result', () => {
    const s = newStore()
    const fx = effectsOf(s, () => {
      s.hset('h', { a: 1, b: 'x' })
      s.hincrby('h', 'a', 41)
      s.hincrbyfloat('h', 'f', '0.1')
      s.hincrbyfloat('h', 'f', '0.2')
      s.hsetnx('h', 'a', 'no')
      s.hdel('h', 'b', 'nope')
      s.hset('g', 'only', 'v')
      s.hdel('g', 'only')
    })
    expect(fx.filter((a) => a[0] === 'HINCRBYFLOAT')).toEqual([])
    expect(fx).toContainEqual(['HSET', 'h', 'f', '0.3'])
    // Nothing is reported for writes that change nothing.
    expect(fx.filter((a) => a[0] === 'HSET' && a[3] === 'no')).toEqual([])
    const t = newStore()
    for (const argv of fx) {
      const r = t.s.execute(argv)
      if (r instanceof ReplyError) throw r
    }
    expect(t.hgetallMap('h')).toEqual(s.hgetallMap('h'))
    expect(t.exists('g')).toBe(0)
  })
})

describe('properties', () => {
  it('HSCAN returns every field present for the whole iteration, under modification', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 999 }), { maxLength: 300 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 1999 })), { maxLength: 200, size: 'max' }),
        fc.integer({ min: 1, max: 20 }),
        (initial, ops, count) => {
          const s = newStore()
          if (initial.length > 0) s.hset('h', initial.map((n) => [`f${n}`, String(n)] as [string, string]))
          const removed = new Set<string>()
          const seen = new Map<string, string>()
          let cursor = '0'
          let step = 0
          do {
            const [next, pairs] = s.hscan('h', cursor, { count })
            for (const [f, v] of pairs) seen.set(f, v)
            cursor = next
            const op = ops[step++]
            if (op !== undefined) {
              const f = `f${op[1]}`
              if (op[0]) s.hset('h', f, String(op[1]))
              else if (s.hdel('h', f) === 1) removed.add(f)
            }
          } while (cursor !== '0')
          for (const n of initial) {
            const f = `f${n}`
            if (!removed.has(f)) expect(seen.get(f)).toBe(String(n))
          }
        },
      ),
      { numRuns: 150 },
    )
  })

  it('the hash commands agree with a Map model', () => {
    const field = fc.constantFrom('a', 'b', 'c', '__proto__', 'é', '')
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.tuple(fc.constant('hset' as const), field, fc.string({ maxLength: 70, size: 'max' })),
            fc.tuple(fc.constant('hdel' as const), field, fc.constant('')),
            fc.tuple(fc.constant('hincrby' as const), field, fc.integer({ min: -1000, max: 1000 }).map(String)),
            fc.tuple(fc.constant('hsetnx' as const), field, fc.string({ maxLength: 5 })),
          ),
          { maxLength: 60, size: 'max' },
        ),
        (ops) => {
          const s = newStore()
          const model = new Map<string, string>()
          let everLong = false
          for (const [op, f, arg] of ops) {
            if (op === 'hset') {
              expect(s.hset('h', f, arg)).toBe(model.has(f) ? 0 : 1)
              model.set(f, arg)
              if (Buffer.byteLength(arg) > 64) everLong = true
            } else if (op === 'hdel') {
              expect(s.hdel('h', f)).toBe(model.delete(f) ? 1 : 0)
            } else if (op === 'hsetnx') {
              expect(s.hsetnx('h', f, arg)).toBe(!model.has(f))
              if (!model.has(f)) model.set(f, arg)
            } else {
              const cur = model.get(f) ?? '0'
              if (!/^(0|-?[1-9][0-9]*)$/.test(cur)) {
                expect(err(() => s.hincrby('h', f, Number(arg)))).toBe('ERR hash value is not an integer')
              } else {
                const next = String(Number(cur) + Number(arg))
                expect(s.hincrby('h', f, Number(arg))).toBe(Number(next))
                model.set(f, next)
              }
            }
            expect(s.hgetallMap('h')).toEqual(model)
            if (model.size === 0) {
              expect(s.exists('h')).toBe(0)
              everLong = false
            } else expect(s.objectEncoding('h')).toBe(everLong ? 'hashtable' : 'listpack')
          }
        },
      ),
      { numRuns: 150 },
    )
  })
})
