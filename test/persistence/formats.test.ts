/** The byte-level pieces of RDB: CRC-64, LZF, listpacks, intsets, ziplists, zipmaps, lengths and strings. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Crc64, crc64 } from '../../src/persistence/rdb/crc64.js'
import { lzfCompress, lzfDecompress } from '../../src/persistence/rdb/lzf.js'
import { ElementReader, EncodingError, ListpackBuilder, readIntset, readZipmap } from '../../src/persistence/rdb/listpack.js'
import { RdbOutput } from '../../src/persistence/rdb/output.js'
import { RdbInput, RdbError } from '../../src/persistence/rdb/reader.js'

const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.'

describe('CRC-64 (Jones, reflected)', () => {
  it('matches Redis test vectors', () => {
    expect(crc64(Buffer.from('123456789'))).toBe(0xe9c6d914c4b8d9can)
    expect(crc64(Buffer.concat([Buffer.from(LOREM), Buffer.from([0])]))).toBe(0xc7794709e69683b3n)
  })

  it('chains: crc(a‖b) is the running crc over a then b, at any split and alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200, size: 'max' }), fc.nat(), (data, cut) => {
        const at = data.length === 0 ? 0 : cut % (data.length + 1)
        const whole = crc64(data)
        const c = new Crc64().update(data, 0, at).update(data, at, data.length)
        expect(c.value()).toBe(whole)
        // A byte-at-a-time model (the table definition) agrees with the 8-byte folding.
        let lo = 0n
        const poly = 0x95ac9329ac4bc9b5n
        for (const b of data) {
          lo ^= BigInt(b)
          for (let k = 0; k < 8; k++) lo = lo & 1n ? (lo >> 1n) ^ poly : lo >> 1n
        }
        expect(whole).toBe(lo)
      }),
    )
  })

  it('stores little-endian and compares in place', () => {
    const c = new Crc64().update(Buffer.from('123456789'))
    expect(c.bytesLE().toString('hex')).toBe('cad9b8c414d9c6e9')
    expect(c.matches(Buffer.from('00cad9b8c414d9c6e9', 'hex'), 1)).toBe(true)
    expect(c.matches(Buffer.from('00cad9b8c414d9c6e8', 'hex'), 1)).toBe(false)
  })
})

describe('LZF', () => {
  it("decodes Redis's own output (30 × 'a')", () => {
    const enc = Buffer.from('016161e01100016161', 'hex')
    expect(lzfDecompress(enc, 0, enc.length, 30)?.toString()).toBe('a'.repeat(30))
  })

  it('round-trips any input it manages to compress, within the size limit', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 3000, size: 'max' }), fc.string({ maxLength: 2000, size: 'max' }).map((s) => Buffer.from(s.repeat(3)))), (data) => {
        const input = Buffer.from(data)
        const out = Buffer.alloc(input.length + 64)
        const limit = Math.max(0, input.length - 4)
        const n = lzfCompress(input, 0, input.length, out, 0, limit)
        if (n === 0) return
        expect(n).toBeLessThanOrEqual(limit)
        expect(lzfDecompress(out, 0, n, input.length)?.equals(input)).toBe(true)
      }),
    )
  })

  it('compresses repetitive data well and gives up on random data', () => {
    const rep = Buffer.from('abcdefgh'.repeat(1000))
    const out = Buffer.alloc(rep.length)
    const n = lzfCompress(rep, 0, rep.length, out, 0, rep.length - 4)
    expect(n).toBeGreaterThan(0)
    expect(n).toBeLessThan(rep.length / 20)
    let x = 88172645
    const rnd = Buffer.from(
      Array.from({ length: 1000 }, () => {
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        return x & 0xff
      }),
    )
    expect(lzfCompress(rnd, 0, rnd.length, Buffer.alloc(1000), 0, 996)).toBe(0)
  })

  it('refuses malformed streams instead of reading outside them', () => {
    // a back-reference before the start of the output
    expect(lzfDecompress(Buffer.from([0x20, 0x05]), 0, 2, 3)).toBeUndefined()
    // literal run longer than the input
    expect(lzfDecompress(Buffer.from([0x05, 0x61]), 0, 2, 6)).toBeUndefined()
    // output shorter than announced
    expect(lzfDecompress(Buffer.from([0x00, 0x61]), 0, 2, 2)).toBeUndefined()
    // output longer than announced
    expect(lzfDecompress(Buffer.from([0x01, 0x61, 0x62]), 0, 3, 1)).toBeUndefined()
  })
})

describe('listpack', () => {
  it("writes Redis's bytes for strings and integers of every width", () => {
    const lp = new ListpackBuilder()
    for (const v of ['a', 'b', '1000']) lp.str(v)
    expect(lp.finish().toString('hex')).toBe('1000000003008161028162' + '02c3e802ff')
    lp.reset()
    for (const v of [0, 127, 128, -1, -4096, 4095, 4096, -32768, 32767, 32768, -8388608, 8388607, 8388608, 2147483647, 2147483648]) lp.int(v)
    lp.int(-9223372036854775808n)
    const b = lp.finish()
    const r = new ElementReader(b, 0, b.length, false)
    const got: Array<number | bigint> = []
    while (r.next()) got.push(r.int)
    expect(got).toEqual([0, 127, 128, -1, -4096, 4095, 4096, -32768, 32767, 32768, -8388608, 8388607, 8388608, 2147483647, 2147483648, -9223372036854775808n])
  })

  it('stores canonical integers as integers and everything else as strings', () => {
    const lp = new ListpackBuilder()
    const vals = ['0', '-0', '007', '+1', '12345678901234567890', '9223372036854775807', '-9223372036854775809', ' 1', 'x'.repeat(100), 'é', '']
    for (const v of vals) lp.str(v)
    const b = lp.finish()
    const r = new ElementReader(b, 0, b.length, false)
    const kinds: string[] = []
    while (r.next()) kinds.push(r.isInt ? `int:${r.int}` : `str:${b.toString('utf8', r.s, r.e)}`)
    expect(kinds).toEqual([
      'int:0',
      'str:-0',
      'str:007',
      'str:+1',
      'str:12345678901234567890',
      'int:9223372036854775807',
      'str:-9223372036854775809',
      'str: 1',
      `str:${'x'.repeat(100)}`,
      'str:é',
      'str:',
    ])
  })

  it('round-trips arbitrary elements (lengths across the 6/12/32-bit headers and back-length sizes)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 5000, size: 'max' }), fc.uint8Array({ maxLength: 300, size: 'max' }).map((u) => Buffer.from(u))), { maxLength: 30, size: 'max' }), (vals) => {
        const lp = new ListpackBuilder()
        for (const v of vals) lp.str(v)
        const b = Buffer.from(lp.finish())
        const r = new ElementReader(b, 0, b.length, false)
        const got: Buffer[] = []
        while (r.next()) got.push(r.isInt ? Buffer.from(String(r.int)) : Buffer.from(b.subarray(r.s, r.e)))
        expect(got.map((x) => x.toString('hex'))).toEqual(vals.map((v) => (typeof v === 'string' ? Buffer.from(v) : v).toString('hex')))
      }),
    )
  })

  it('refuses corrupt listpacks', () => {
    const lp = new ListpackBuilder()
    lp.str('hello')
    lp.int(5)
    const good = Buffer.from(lp.finish())
    const walk = (b: Buffer): void => {
      const r = new ElementReader(b, 0, b.length, false)
      while (r.next());
    }
    walk(good)
    const wrongTotal = Buffer.from(good)
    wrongTotal.writeUInt32LE(good.length + 1, 0)
    expect(() => walk(wrongTotal)).toThrow(EncodingError)
    const wrongCount = Buffer.from(good)
    wrongCount.writeUInt16LE(3, 4)
    expect(() => walk(wrongCount)).toThrow(/count/)
    const badBacklen = Buffer.from(good)
    badBacklen[6 + 6] = 9
    expect(() => walk(badBacklen)).toThrow(/back-length/)
    const noEnd = Buffer.from(good)
    noEnd[noEnd.length - 1] = 0
    expect(() => walk(noEnd)).toThrow(EncodingError)
    const longStr = Buffer.from(good)
    longStr[6] = 0x80 | 40
    expect(() => walk(longStr)).toThrow(EncodingError)
  })
})

describe('legacy encodings (read only)', () => {
  it('reads intsets of 16, 32 and 64-bit members and refuses bad ones', () => {
    expect(readIntset(Buffer.from('02000000030000000100020' + '02c01', 'hex'), 0, 14)).toEqual([1, 2, 300])
    const b64 = Buffer.alloc(8 + 16)
    b64.writeUInt32LE(8, 0)
    b64.writeUInt32LE(2, 4)
    b64.writeBigInt64LE(-9223372036854775808n, 8)
    b64.writeBigInt64LE(5n, 16)
    expect(readIntset(b64, 0, b64.length)).toEqual([-9223372036854775808n, 5])
    const unordered = Buffer.from('020000000200000005000100', 'hex')
    expect(() => readIntset(unordered, 0, unordered.length)).toThrow(/order/)
    const badWidth = Buffer.from('030000000000000000', 'hex')
    expect(() => readIntset(badWidth, 0, 8)).toThrow(/encoding/)
  })

  it('reads ziplists with every entry encoding', () => {
    // entries: "ab" (6-bit len), int16 -2, int8 7, immediate 5, int24, int32, int64, 14-bit string
    const parts: Buffer[] = []
    const entry = (enc: Buffer): void => {
      parts.push(Buffer.concat([Buffer.from([0]), enc]))
    }
    entry(Buffer.from([0x02, 0x61, 0x62]))
    entry(Buffer.from([0xc0, 0xfe, 0xff]))
    entry(Buffer.from([0xfe, 0x07]))
    entry(Buffer.from([0xf6]))
    entry(Buffer.from([0xf0, 0x00, 0x00, 0x80]))
    entry(Buffer.from([0xd0, 0x00, 0x00, 0x00, 0x80]))
    entry(Buffer.concat([Buffer.from([0xe0]), Buffer.from('0100000000000080', 'hex')]))
    entry(Buffer.concat([Buffer.from([0x41, 0x00]), Buffer.alloc(256, 0x7a)]))
    const body = Buffer.concat(parts)
    const zl = Buffer.alloc(10 + body.length + 1)
    zl.writeUInt32LE(zl.length, 0)
    zl.writeUInt32LE(10, 4)
    zl.writeUInt16LE(8, 8)
    body.copy(zl, 10)
    zl[zl.length - 1] = 0xff
    const r = new ElementReader(zl, 0, zl.length, true)
    const got: string[] = []
    while (r.next()) got.push(r.isInt ? String(r.int) : zl.toString('latin1', r.s, r.e))
    expect(got).toEqual(['ab', '-2', '7', '5', '-8388608', '-2147483648', '-9223372036854775807', 'z'.repeat(256)])
  })

  it('reads zipmaps', () => {
    // zmlen, "f" -> "v" (free 0), "ab" -> "xyz" (free 2), end
    const zm = Buffer.from([2, 1, 0x66, 1, 0, 0x76, 2, 0x61, 0x62, 3, 2, 0x78, 0x79, 0x7a, 0, 0, 0xff])
    expect(readZipmap(zm, 0, zm.length)).toEqual([2, 3, 5, 6, 7, 9, 11, 14])
    expect(() => readZipmap(zm, 0, zm.length - 3)).toThrow(EncodingError)
  })
})

describe('lengths and strings', () => {
  const roundTrip = (write: (o: RdbOutput) => void, read: (i: RdbInput) => unknown): unknown => {
    const o = new RdbOutput()
    write(o)
    const b = o.finish()
    const i = new RdbInput(b, 0, b.length, 'test')
    const v = read(i)
    expect(i.pos).toBe(b.length)
    return v
  }

  it('uses the smallest length form and reads every form back', () => {
    for (const [n, bytes] of [
      [0, 1],
      [63, 1],
      [64, 2],
      [16383, 2],
      [16384, 5],
      [0xffffffff, 5],
      [0x100000000, 9],
    ] as const) {
      const o = new RdbOutput()
      o.len(n)
      expect(o.length).toBe(bytes)
      expect(roundTrip((x) => x.len(n), (i) => i.len())).toBe(n)
    }
    expect(roundTrip((x) => x.len64(-1), (i) => i.lenSigned())).toBe(-1)
    expect(roundTrip((x) => x.len64(18446744073709551615n), (i) => i.len64())).toBe(18446744073709551615n)
  })

  it('encodes strings as Redis does: integers, LZF past 20 bytes, raw', () => {
    const enc = (v: string | Buffer): string => {
      const o = new RdbOutput()
      o.str(v)
      return o.finish().toString('hex')
    }
    expect(enc('12345')).toBe('c13930')
    expect(enc('-1')).toBe('c0ff')
    expect(enc('2147483647')).toBe('c2ffffff7f')
    expect(enc('2147483648')).toBe('0a32313437343833363438')
    expect(enc('007')).toBe('03303037')
    expect(enc('-0')).toBe('022d30')
    expect(enc('hello')).toBe('0568656c6c6f')
    expect(enc('a'.repeat(30)).startsWith('c3')).toBe(true)
    expect(enc(Buffer.from('a'.repeat(30))).startsWith('c3')).toBe(true)
    for (const v of ['12345', '-1', 'x', 'é'.repeat(30), 'ab'.repeat(5000), '\uDC00\xff\xfe']) {
      expect(roundTrip((x) => x.str(v), (i) => i.key())).toBe(v)
    }
  })

  it('names the offset of a bad string encoding', () => {
    const b = Buffer.from([0xc5, 0x00])
    const i = new RdbInput(b, 0, b.length, 'f.rdb')
    expect(() => i.value()).toThrow(RdbError)
    expect(() => new RdbInput(b, 0, b.length, 'f.rdb').value()).toThrow('f.rdb: unknown string encoding 5 at offset 0')
  })
})
