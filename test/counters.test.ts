/**
 * Counters: INCR and its kin keep a safe integer unformatted (Redis's int encoding). Every command
 * and typed method must see exactly the text SET would have stored, so each check below runs on a
 * key made by INCR and on one made by SET with the same digits, and compares.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Store, type Effect } from '../src/index.js'

const fresh = () => new Store({ activeExpiry: false })

/** Runs `argv` (with `$` standing for the key) and returns the reply or the error text. */
function attempt(s: Store, key: string, argv: Array<string | number>): unknown {
  try {
    return s.callBuffer(...(argv.map((a) => (a === '$' ? key : a)) as [string, ...string[]]))
  } catch (e) {
    return `error: ${(e as Error).message}`
  }
}

// Reads and writes of every kind that look at a string's bytes; each runs on a fresh pair of keys.
const SCENARIOS: Array<Array<Array<string | number>>> = [
  [['GET', '$']],
  [['STRLEN', '$']],
  [['GETRANGE', '$', 0, -1], ['GETRANGE', '$', 1, 2], ['SUBSTR', '$', -2, -1]],
  [['APPEND', '$', 'x'], ['GET', '$'], ['OBJECT', 'ENCODING', '$']],
  [['SETRANGE', '$', 1, 'z'], ['GET', '$']],
  [['GETSET', '$', 'new'], ['GET', '$']],
  [['SET', '$', 'new', 'GET']],
  [['GETDEL', '$'], ['EXISTS', '$']],
  [['GETEX', '$', 'PX', 100000], ['GET', '$']],
  [['MGET', '$', 'missing', '$']],
  [['SET', 'other', '1234'], ['LCS', '$', 'other'], ['LCS', '$', 'other', 'IDX']],
  [['INCRBYFLOAT', '$', '0.5'], ['OBJECT', 'ENCODING', '$']],
  [['INCRBY', '$', 3], ['DECR', '$'], ['GET', '$'], ['OBJECT', 'ENCODING', '$']],
  [['GETBIT', '$', 3], ['BITCOUNT', '$'], ['BITPOS', '$', 1], ['BITFIELD', '$', 'GET', 'u8', 0]],
  [['SETBIT', '$', 3, 1], ['GET', '$']],
  [['BITOP', 'NOT', 'dst', '$'], ['GET', 'dst']],
  [['PFADD', '$', 'a'], ['PFCOUNT', '$']],
  [['OBJECT', 'ENCODING', '$'], ['OBJECT', 'REFCOUNT', '$'], ['TYPE', '$']],
  [['DUMP', '$']],
  [['COPY', '$', 'c'], ['GET', 'c'], ['OBJECT', 'ENCODING', 'c'], ['INCR', 'c'], ['GET', '$']],
  [['RENAME', '$', 'r'], ['GET', 'r']],
  [['RPUSH', 'l', 'x'], ['SORT', 'l', 'BY', '$', 'GET', '$']],
  [['EVAL', "return redis.call('GET', KEYS[1])", 1, '$'], ['EVAL', "return redis.call('INCR', KEYS[1])", 1, '$']],
  [['SET', '$', 'plain'], ['INCR', '$']],
]

const VALUES = [0, 1, -1, 9999, 10000, 123456789, 2 ** 30, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53 - 1)]

describe('integers kept by INCR', () => {
  it('read as the text SET stores, through every command that looks at the bytes', () => {
    for (const n of VALUES) {
      for (const scenario of SCENARIOS) {
        const viaIncr = fresh()
        // Reach n by an increment, so the value is kept as a number.
        viaIncr.set('k', String(n - 1 === -(2 ** 53) ? n + 1 : n - 1))
        viaIncr.call('INCRBY', 'k', n - 1 === -(2 ** 53) ? -1 : 1)
        const viaSet = fresh()
        viaSet.set('k', String(n))
        expect(viaIncr.get('k')).toBe(String(n))
        for (const argv of scenario) {
          expect(attempt(viaIncr, 'k', argv), `${n}: ${argv.join(' ')}`).toEqual(attempt(viaSet, 'k', argv))
        }
        viaIncr.close()
        viaSet.close()
      }
    }
  })

  it('read the same through the typed API', () => {
    const s = fresh()
    s.set('a', '41')
    s.incr('a')
    s.set('b', '42')
    expect(s.get('a')).toBe('42')
    expect(s.getBuffer('a')).toEqual(Buffer.from('42'))
    expect(s.mget('a', 'b')).toEqual(['42', '42'])
    expect(s.mgetBuffer('a')).toEqual([Buffer.from('42')])
    expect(s.strlen('a')).toBe(2)
    expect(s.getrange('a', 0, 0)).toBe('4')
    expect(s.append('a', '!')).toBe(3)
    expect(s.get('a')).toBe('42!')
    s.incr('c')
    expect(s.dump('c')).toEqual(s.dump(((s.set('d', '1'), 'd'))))
    expect(s.getdel('c')).toBe('1')
    s.close()
  })

  it('are reported as the text in effects, and persist as Redis would store them', () => {
    const s = fresh()
    const seen: string[] = []
    s.onEffect((e: Effect) => seen.push(e.argv.map(String).join(' ')))
    s.incr('n')
    s.incrby('n', 41)
    expect(seen).toEqual(['SET n 1 KEEPTTL', 'SET n 42 KEEPTTL'])
    const payload = s.dump('n')!
    const t = fresh()
    t.restore('n', payload)
    expect(t.get('n')).toBe('42')
    expect(t.call('OBJECT', 'ENCODING', 'n')).toBe('int')
    s.close()
    t.close()
  })

  it('count and cross ±2^53 exactly, either way (property)', () => {
    const big = (v: bigint) => v.toString()
    // Shifts, not **: the test transform lowers ** on bigints to Math.pow.
    const P53 = 1n << 53n
    const P54 = 1n << 54n
    fc.assert(
      fc.property(
        fc.bigInt({ min: -P54, max: P54 }),
        fc.array(fc.oneof(fc.bigInt({ min: -P53, max: P53 }), fc.constantFrom(1n, -1n, 0n)), { maxLength: 30 }),
        (start, steps) => {
          const s = fresh()
          s.set('k', big(start))
          let model = start
          for (const by of steps) {
            model += by
            const r = s.incrby('k', by > -P53 && by < P53 ? Number(by) : by)
            expect(BigInt(r)).toBe(model)
            expect(s.get('k')).toBe(big(model))
            expect(s.call('OBJECT', 'ENCODING', 'k')).toBe('int')
          }
          s.close()
        },
      ),
    )
  })
})
