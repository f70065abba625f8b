import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ReplyError, Store, type Effect } from '../src/index.js'

const fresh = () => new Store({ activeExpiry: false })

/** Bit i of a byte array, MSB first, as Redis numbers bits. */
const bitOf = (b: Uint8Array, i: number): number => (i >> 3 < b.length ? (b[i >> 3]! >> (7 - (i & 7))) & 1 : 0)

describe('SETBIT / GETBIT', () => {
  it('sets bits MSB first and grows the string with zeros', () => {
    const s = fresh()
    expect(s.setbit('b', 7, 1)).toBe(0)
    expect(s.getBuffer('b')).toEqual(Buffer.from([0x01]))
    expect(s.setbit('b', 7, 1)).toBe(1)
    expect(s.setbit('b', 16, true)).toBe(0)
    expect(s.getBuffer('b')).toEqual(Buffer.from([0x01, 0x00, 0x80]))
    expect(s.getbit('b', 16)).toBe(1)
    expect(s.getbit('b', 1000)).toBe(0)
    expect(s.getbit('missing', 3)).toBe(0)
    expect(s.call('OBJECT', 'ENCODING', 'b')).toBe('raw')
  })

  it('works on values written by SET and APPEND, and they see the bits', () => {
    const s = fresh()
    s.set('k', 'a') // 0x61 = 0110 0001
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => s.getbit('k', i))).toEqual([0, 1, 1, 0, 0, 0, 0, 1])
    s.setbit('k', 6, 1)
    expect(s.get('k')).toBe('c')
    s.append('k', 'd')
    expect(s.get('k')).toBe('cd')
    s.setbit('k', 15, 1)
    expect(s.get('k')).toBe('ce')
    // A UTF-8 string is read as its bytes.
    s.set('u', 'é')
    expect(s.bitcount('u')).toBe(Buffer.from('é').reduce((n, b) => n + b.toString(2).split('1').length - 1, 0))
  })

  it('refuses bad offsets and bit values with Redis errors, and other types with WRONGTYPE', () => {
    const s = fresh()
    expect(() => s.setbit('b', -1, 1)).toThrow('ERR bit offset is not an integer or out of range')
    expect(() => s.setbit('b', 2 ** 32, 1)).toThrow('ERR bit offset is not an integer or out of range')
    expect(() => s.setbit('b', 0, 2 as 0)).toThrow('ERR bit is not an integer or out of range')
    s.call('LPUSH', 'l', 'x')
    expect(() => s.setbit('l', 0, 1)).toThrow(ReplyError)
    expect(() => s.getbit('l', 0)).toThrow(/^WRONGTYPE/)
    expect(s.exists('b')).toBe(0)
  })

  it('does not change buffers the caller stored', () => {
    const s = fresh()
    const mine = Buffer.from([0, 0])
    s.set('k', mine)
    s.setbit('k', 0, 1)
    expect(mine).toEqual(Buffer.from([0, 0]))
    expect(s.getBuffer('k')).toEqual(Buffer.from([0x80, 0]))
  })

  it('keeps a long run of growing writes consistent', () => {
    const s = fresh()
    const model = new Uint8Array(4096)
    for (let i = 0; i < 30000; i += 7) {
      s.setbit('g', i, 1)
      model[i >> 3]! |= 0x80 >> (i & 7)
    }
    expect(s.getBuffer('g')).toEqual(Buffer.from(model.subarray(0, (29995 >> 3) + 1)))
  })
})

describe('BITCOUNT / BITPOS', () => {
  it('counts bytes and bit ranges', () => {
    const s = fresh()
    s.set('k', 'foobar')
    expect(s.bitcount('k')).toBe(26)
    expect(s.bitcount('k', { start: 0, end: 0 })).toBe(4)
    expect(s.bitcount('k', { start: 1, end: 1 })).toBe(6)
    expect(s.bitcount('k', { start: 5, end: 30, unit: 'BIT' })).toBe(17)
    expect(s.bitcount('k', { start: -1, end: -2 })).toBe(0)
    expect(s.bitcount('missing')).toBe(0)
    expect(() => s.bitcount('k', { start: 0 })).toThrow('ERR syntax error')
  })

  it('finds the first set or clear bit', () => {
    const s = fresh()
    s.set('k', Buffer.from([0xff, 0xf0, 0x00]))
    expect(s.bitpos('k', 0)).toBe(12)
    expect(s.bitpos('k', 1, { start: 2 })).toBe(-1)
    expect(s.bitpos('k', 1, { start: 9, end: 13, unit: 'BIT' })).toBe(9)
    s.set('ones', Buffer.from([0xff, 0xff]))
    // No explicit end: the string is taken as padded with zeros on the right.
    expect(s.bitpos('ones', 0)).toBe(16)
    expect(s.bitpos('ones', 0, { start: 0, end: -1 })).toBe(-1)
    expect(s.bitpos('missing', 0)).toBe(0)
    expect(s.bitpos('missing', 1)).toBe(-1)
  })

  it('agrees with a bit-by-bit model on random strings and ranges', () => {
    const s = fresh()
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40, size: 'max' }),
        fc.integer({ min: -400, max: 400 }),
        fc.integer({ min: -400, max: 400 }),
        fc.boolean(),
        fc.constantFrom(0 as const, 1 as const),
        (bytes, a, b, bitUnit, bit) => {
          s.set('r', Buffer.from(bytes))
          const total = bitUnit ? bytes.length * 8 : bytes.length
          let start = a < 0 ? total + a : a
          let end = b < 0 ? total + b : b
          start = Math.max(0, start)
          end = Math.min(Math.max(0, end), total - 1)
          const lo = bitUnit ? start : start * 8
          const hi = bitUnit ? end : end * 8 + 7
          let count = 0
          let first = -1
          for (let i = lo; i <= hi; i++) {
            const v = bitOf(bytes, i)
            count += v
            if (first < 0 && v === bit) first = i
          }
          const empty = (a < 0 && b < 0 && a > b) || start > end
          const unit = bitUnit ? 'BIT' : 'BYTE'
          expect(s.bitcount('r', { start: a, end: b, unit })).toBe(empty ? 0 : count)
          expect(s.bitpos('r', bit, { start: a, end: b, unit })).toBe(start > end ? -1 : first)
        },
      ),
      { numRuns: 400 },
    )
  })
})

describe('BITOP', () => {
  it('combines strings of different lengths, missing keys as empty', () => {
    const s = fresh()
    s.set('a', Buffer.from([0x0f, 0xff]))
    s.set('b', Buffer.from([0xf0, 0x0f, 0x01]))
    expect(s.bitop('AND', 'd', 'a', 'b')).toBe(3)
    expect(s.getBuffer('d')).toEqual(Buffer.from([0x00, 0x0f, 0x00]))
    expect(s.bitop('or', 'd', 'a', 'b', 'missing')).toBe(3)
    expect(s.getBuffer('d')).toEqual(Buffer.from([0xff, 0xff, 0x01]))
    expect(s.bitop('XOR', 'd', 'a', 'b')).toBe(3)
    expect(s.getBuffer('d')).toEqual(Buffer.from([0xff, 0xf0, 0x01]))
    expect(s.bitop('NOT', 'd', 'a')).toBe(2)
    expect(s.getBuffer('d')).toEqual(Buffer.from([0xf0, 0x00]))
    expect(() => s.bitop('NOT', 'd', 'a', 'b')).toThrow('ERR BITOP NOT must be called with a single source key.')
    // An empty result deletes the destination.
    expect(s.bitop('AND', 'd', 'missing')).toBe(0)
    expect(s.exists('d')).toBe(0)
  })

  it('reports the result as a SET effect', () => {
    const s = fresh()
    const fx: Effect[] = []
    s.onEffect((e) => fx.push(e))
    s.set('a', 'ab')
    s.bitop('NOT', 'd', 'a')
    expect(fx.at(-1)!.argv).toEqual(['SET', 'd', Buffer.from([~0x61 & 0xff, ~0x62 & 0xff])])
  })
})

describe('BITFIELD', () => {
  it('gets, sets and increments fields of any width', () => {
    const s = fresh()
    expect(s.bitfield('k', [{ set: ['u8', 0, 255] }, { get: ['u8', 0] }, { get: ['i8', 0] }])).toEqual([0, 255, -1])
    expect(s.bitfield('k', [{ incrby: ['u8', 0, 1] }])).toEqual([0])
    expect(s.bitfield('k', [{ set: ['u16', '#1', 513] }, { get: ['u8', 16] }, { get: ['u8', 24] }])).toEqual([0, 2, 1])
    // The old i64 is bytes 00 00 02 01 00 00 00 00; then the sign bit alone, read as u63, is 2^62.
    expect(s.bitfield('k', [{ set: ['i64', 0, -(2n ** 63n)] }, { get: ['u63', 0] }, { incrby: ['i64', 0, -1] }])).toEqual([
      Number(0x0000020100000000n),
      2n ** 62n,
      2n ** 63n - 1n,
    ])
  })

  it('applies WRAP, SAT and FAIL overflow like Redis', () => {
    const s = fresh()
    s.bitfield('k', [{ set: ['u8', 0, 250] }])
    expect(s.bitfield('k', [{ incrby: ['u8', 0, 10] }])).toEqual([4])
    expect(s.bitfield('k', [{ overflow: 'SAT' }, { incrby: ['u8', 0, 300] }])).toEqual([255])
    expect(s.bitfield('k', [{ overflow: 'FAIL' }, { incrby: ['u8', 0, 1] }, { get: ['u8', 0] }])).toEqual([null, 255])
    expect(s.bitfield('k', [{ overflow: 'SAT' }, { set: ['i8', 0, 200] }, { set: ['i8', 0, -200] }, { get: ['i8', 0] }])).toEqual([-1, 127, -128])
    expect(s.bitfield('k', [{ set: ['u8', 0, -1] }])).toEqual([128])
    expect(s.bitfield('k', [{ get: ['u8', 0] }])).toEqual([255])
  })

  it('refuses bad types and writes in BITFIELD_RO', () => {
    const s = fresh()
    expect(() => s.bitfield('k', [{ get: ['u64' as 'u8', 0] }])).toThrow(/Invalid bitfield type/)
    expect(() => s.bitfield('k', [{ get: ['U8' as 'u8', 0] }])).toThrow(/Invalid bitfield type/)
    expect(() => s.bitfield('k', [{ get: ['u8', -1] }])).toThrow('ERR bit offset is not an integer or out of range')
    expect(() => s.call('BITFIELD_RO', 'k', 'SET', 'u8', '0', '1')).toThrow('ERR BITFIELD_RO only supports the GET subcommand')
    s.set('k', Buffer.from([1, 2]))
    expect(s.bitfieldRo('k', [['u8', 0], ['u8', 8], ['i16', 0]])).toEqual([1, 2, 258])
  })

  it('replays its effects to the same bytes', () => {
    const s = fresh()
    const fx: Effect[] = []
    s.onEffect((e) => fx.push(e))
    s.bitfield('k', [{ set: ['u8', 8, 7] }, { overflow: 'FAIL' }, { incrby: ['i4', 40, 100] }, { incrby: ['u4', 0, 3] }])
    const replay = fresh()
    for (const e of fx) replay.call(String(e.argv[0]), ...e.argv.slice(1))
    expect(replay.getBuffer('k')).toEqual(s.getBuffer('k'))
    expect(s.strlen('k')).toBe(6)
  })
})
