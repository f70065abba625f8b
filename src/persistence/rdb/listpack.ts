/// <reference path="./buffer-ext.d.ts" />
/**
 * The compact encodings RDB embeds as strings: listpack (written and read),
 * and, read-only for files from older servers, ziplist, intset and zipmap.
 * Layouts: shared/reference/rdb.md §6–7.
 */
import { Buffer } from 'node:buffer'
import type { StrValue } from '../../core/bytes.js'

// ---------------------------------------------------------------- listpack writer

const LP_HEADER = 6
const LP_EOF = 0xff

/**
 * Builds one listpack. Elements that are canonical 64-bit integers are stored
 * as integers in the smallest form, like Redis's lpAppend; everything else as
 * a string. `finish()` returns a view that stays valid until the next `reset()`.
 */
export class ListpackBuilder {
  private buf = Buffer.allocUnsafe(4096)
  private pos = LP_HEADER
  count = 0

  reset(): this {
    this.pos = LP_HEADER
    this.count = 0
    return this
  }

  /** Bytes the listpack would take if finished now. */
  get size(): number {
    return this.pos + 1
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    const nb = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + 16))
    this.buf.copy(nb, 0, 0, this.pos)
    this.buf = nb
  }

  /** Appends an integer element. */
  int(v: number | bigint): void {
    if (typeof v === 'bigint') {
      if (v >= -2147483648n && v <= 2147483647n) return this.int(Number(v))
      this.ensure(10)
      this.buf[this.pos] = 0xf4
      this.buf.writeBigInt64LE(v, this.pos + 1)
      this.buf[this.pos + 9] = 9
      this.pos += 10
      this.count++
      return
    }
    this.ensure(10)
    const b = this.buf
    let p = this.pos
    if (v >= 0 && v <= 127) {
      b[p++] = v
      b[p++] = 1
    } else if (v >= -4096 && v <= 4095) {
      const u = v < 0 ? v + 8192 : v
      b[p++] = 0xc0 | (u >>> 8)
      b[p++] = u & 0xff
      b[p++] = 2
    } else if (v >= -32768 && v <= 32767) {
      b[p++] = 0xf1
      b.writeInt16LE(v, p)
      p += 2
      b[p++] = 3
    } else if (v >= -8388608 && v <= 8388607) {
      b[p++] = 0xf2
      b.writeIntLE(v, p, 3)
      p += 3
      b[p++] = 4
    } else if (v >= -2147483648 && v <= 2147483647) {
      b[p++] = 0xf3
      b.writeInt32LE(v, p)
      p += 4
      b[p++] = 5
    } else {
      b[p++] = 0xf4
      b.writeBigInt64LE(BigInt(v), p)
      p += 8
      b[p++] = 9
    }
    this.pos = p
    this.count++
  }

  /** Appends a string element (a value, or a canonical key/member string), as an integer when it is one. */
  str(v: StrValue): void {
    if (typeof v === 'string') {
      const n = v.length
      if (n > 0 && n <= 20) {
        const iv = canonicalInt(v)
        if (iv !== undefined) return this.int(iv)
      }
      if (n > 0 && v.charCodeAt(0) === 0xdc00) return this.bytes(Buffer.from(v.slice(1), 'latin1'))
      if (n < 21) {
        // At most 63 bytes: one header byte, written after the bytes are.
        this.ensure(2 + n * 3)
        const w = this.buf.utf8Write(v, this.pos + 1)
        this.buf[this.pos] = 0x80 | w
        this.buf[this.pos + 1 + w] = 1 + w
        this.pos += 2 + w
        this.count++
        return
      }
      const bl = Buffer.byteLength(v, 'utf8')
      this.strHeader(bl)
      this.pos += this.buf.utf8Write(v, this.pos)
      this.backlen(bl)
      return
    }
    if (v.length > 0 && v.length <= 20) {
      const iv = canonicalIntBytes(v, 0, v.length)
      if (iv !== undefined) return this.int(iv)
    }
    this.bytes(v)
  }

  /** Appends bytes as a string element (no integer check). */
  private bytes(v: Uint8Array): void {
    this.strHeader(v.length)
    this.buf.set(v, this.pos)
    this.pos += v.length
    this.backlen(v.length)
  }

  private hdr = 0

  /** Writes a string header for `len` bytes and reserves room for the bytes and back-length. */
  private strHeader(len: number): void {
    this.ensure(len + 10)
    const b = this.buf
    if (len < 64) {
      b[this.pos++] = 0x80 | len
      this.hdr = 1
    } else if (len < 4096) {
      b[this.pos++] = 0xe0 | (len >>> 8)
      b[this.pos++] = len & 0xff
      this.hdr = 2
    } else {
      b[this.pos++] = 0xf0
      b.writeUInt32LE(len, this.pos)
      this.pos += 4
      this.hdr = 5
    }
  }

  private backlen(len: number): void {
    const l = len + this.hdr
    const b = this.buf
    if (l <= 127) b[this.pos++] = l
    else if (l < 16383) {
      b[this.pos++] = l >>> 7
      b[this.pos++] = (l & 127) | 128
    } else if (l < 2097151) {
      b[this.pos++] = l >>> 14
      b[this.pos++] = ((l >>> 7) & 127) | 128
      b[this.pos++] = (l & 127) | 128
    } else if (l < 268435455) {
      b[this.pos++] = l >>> 21
      b[this.pos++] = ((l >>> 14) & 127) | 128
      b[this.pos++] = ((l >>> 7) & 127) | 128
      b[this.pos++] = (l & 127) | 128
    } else {
      b[this.pos++] = Math.floor(l / 2 ** 28)
      b[this.pos++] = ((l >>> 21) & 127) | 128
      b[this.pos++] = ((l >>> 14) & 127) | 128
      b[this.pos++] = ((l >>> 7) & 127) | 128
      b[this.pos++] = (l & 127) | 128
    }
    this.count++
  }

  /** Closes the listpack: end byte and header. The view is valid until the next reset. */
  finish(): Buffer {
    this.ensure(1)
    this.buf[this.pos++] = LP_EOF
    this.buf.writeUInt32LE(this.pos, 0)
    this.buf.writeUInt16LE(this.count < 65535 ? this.count : 65535, 4)
    return this.buf.subarray(0, this.pos)
  }
}

/** The integer a canonical decimal string stands for (string2ll rules), or undefined. */
export function canonicalInt(s: string): number | bigint | undefined {
  const n = s.length
  if (n === 0 || n > 20) return undefined
  const neg = s.charCodeAt(0) === 45
  let i = neg ? 1 : 0
  if (i === n) return undefined
  const first = s.charCodeAt(i)
  if (first < 48 || first > 57 || (first === 48 && n !== 1)) return undefined
  let v = 0
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48
    if (d < 0 || d > 9) return undefined
    v = v * 10 + d
  }
  if (n - (neg ? 1 : 0) <= 15) return neg ? -v : v
  const b = BigInt(s)
  if (b > 9223372036854775807n || b < -9223372036854775808n) return undefined
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b
}

/** canonicalInt over bytes. */
export function canonicalIntBytes(b: Uint8Array, start: number, end: number): number | bigint | undefined {
  const n = end - start
  if (n === 0 || n > 20) return undefined
  const c = b[start]!
  if (c !== 45 && (c < 48 || c > 57)) return undefined
  return canonicalInt(Buffer.from(b.buffer, b.byteOffset + start, n).toString('latin1'))
}

// ---------------------------------------------------------------- readers

/** Thrown by the readers on malformed input; the RDB reader adds file and offset. */
export class EncodingError extends Error {}

const bad = (what: string): never => {
  throw new EncodingError(what)
}

/**
 * Walks the elements of a listpack or a ziplist. After `next()` returns true,
 * either `isInt` holds and `int` is the value, or the element is the bytes
 * `buf[s..e)`.
 */
export class ElementReader {
  isInt = false
  int: number | bigint = 0
  s = 0
  e = 0
  /** Number of elements announced by the header (65535 = unknown for a listpack). */
  readonly announced: number
  private p: number
  private seen = 0

  constructor(
    readonly buf: Buffer,
    start: number,
    private readonly end: number,
    private readonly zip: boolean,
  ) {
    const n = end - start
    if (zip) {
      if (n < 11) bad('ziplist too short')
      if (buf.readUInt32LE(start) !== n) bad('ziplist length header does not match')
      if (buf[end - 1] !== 0xff) bad('ziplist without end byte')
      const tail = buf.readUInt32LE(start + 4)
      if (tail > n - 1) bad('ziplist tail offset out of range')
      this.announced = buf.readUInt16LE(start + 8)
      this.p = start + 10
    } else {
      if (n < 7) bad('listpack too short')
      if (buf.readUInt32LE(start) !== n) bad('listpack length header does not match')
      if (buf[end - 1] !== LP_EOF) bad('listpack without end byte')
      this.announced = buf.readUInt16LE(start + 4)
      this.p = start + LP_HEADER
    }
  }

  /** Reads the next element; false at the end (after checking the element count). */
  next(): boolean {
    const b = this.buf
    const last = this.end - 1
    if (this.p >= last) {
      if (this.p !== last) bad('element runs past the end')
      const unknown = this.zip ? 0xffff : 65535
      if (this.announced !== unknown && this.announced !== this.seen) bad('element count does not match the header')
      return false
    }
    this.seen++
    return this.zip ? this.nextZip(b, last) : this.nextLp(b, last)
  }

  private nextLp(b: Buffer, last: number): boolean {
    const p0 = this.p
    let p = p0
    const c = b[p]!
    if (c === LP_EOF) bad('unexpected end byte inside a listpack')
    if (c < 0x80) {
      this.isInt = true
      this.int = c
      p += 1
    } else if ((c & 0xc0) === 0x80) {
      const len = c & 0x3f
      this.str(p + 1, len, last)
      p += 1 + len
    } else if ((c & 0xe0) === 0xc0) {
      need(p + 2, last)
      let v = ((c & 0x1f) << 8) | b[p + 1]!
      if (v >= 4096) v -= 8192
      this.isInt = true
      this.int = v
      p += 2
    } else if ((c & 0xf0) === 0xe0) {
      need(p + 2, last)
      const len = ((c & 0x0f) << 8) | b[p + 1]!
      this.str(p + 2, len, last)
      p += 2 + len
    } else {
      switch (c) {
        case 0xf0: {
          need(p + 5, last)
          const len = b.readUInt32LE(p + 1)
          this.str(p + 5, len, last)
          p += 5 + len
          break
        }
        case 0xf1:
          need(p + 3, last)
          this.setInt(b.readInt16LE(p + 1))
          p += 3
          break
        case 0xf2:
          need(p + 4, last)
          this.setInt(b.readIntLE(p + 1, 3))
          p += 4
          break
        case 0xf3:
          need(p + 5, last)
          this.setInt(b.readInt32LE(p + 1))
          p += 5
          break
        case 0xf4: {
          need(p + 9, last)
          const v = b.readBigInt64LE(p + 1)
          this.setInt(v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v)
          p += 9
          break
        }
        default:
          bad(`invalid listpack entry encoding 0x${c.toString(16)}`)
      }
    }
    // The back-length: the entry's size, 7 bits per byte, most significant first.
    const l = p - p0
    const bl = l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5
    need(p + bl, last)
    let v = 0
    for (let i = 0; i < bl; i++) v = v * 128 + (b[p + i]! & 127)
    if (v !== l) bad('listpack entry back-length does not match')
    this.p = p + bl
    return true
  }

  private nextZip(b: Buffer, last: number): boolean {
    let p = this.p
    // prevlen: 1 byte, or 0xFE + 4 bytes
    if (b[p]! === 0xfe) p += 5
    else p += 1
    need(p + 1, last)
    const c = b[p]!
    const top = c >>> 6
    if (top === 0) {
      this.str(p + 1, c & 0x3f, last)
      p += 1 + (c & 0x3f)
    } else if (top === 1) {
      need(p + 2, last)
      const len = ((c & 0x3f) << 8) | b[p + 1]!
      this.str(p + 2, len, last)
      p += 2 + len
    } else if (c === 0x80) {
      need(p + 5, last)
      const len = b.readUInt32BE(p + 1)
      this.str(p + 5, len, last)
      p += 5 + len
    } else if (c === 0xc0) {
      need(p + 3, last)
      this.setInt(b.readInt16LE(p + 1))
      p += 3
    } else if (c === 0xd0) {
      need(p + 5, last)
      this.setInt(b.readInt32LE(p + 1))
      p += 5
    } else if (c === 0xe0) {
      need(p + 9, last)
      const v = b.readBigInt64LE(p + 1)
      this.setInt(v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v)
      p += 9
    } else if (c === 0xf0) {
      need(p + 4, last)
      this.setInt(b.readIntLE(p + 1, 3))
      p += 4
    } else if (c === 0xfe) {
      need(p + 2, last)
      this.setInt(b.readInt8(p + 1))
      p += 2
    } else if (c >= 0xf1 && c <= 0xfd) {
      this.setInt((c & 0x0f) - 1)
      p += 1
    } else bad(`invalid ziplist entry encoding 0x${c.toString(16)}`)
    this.p = p
    return true
  }

  private setInt(v: number | bigint): void {
    this.isInt = true
    this.int = v
  }

  private str(at: number, len: number, last: number): void {
    need(at + len, last)
    this.isInt = false
    this.s = at
    this.e = at + len
  }
}

function need(upTo: number, last: number): void {
  if (upTo > last) bad('element runs past the end')
}

/** The members of an intset blob, ascending; checks width, length, order. */
export function readIntset(buf: Buffer, start: number, end: number): Array<number | bigint> {
  if (end - start < 8) bad('intset too short')
  const width = buf.readUInt32LE(start)
  if (width !== 2 && width !== 4 && width !== 8) bad(`invalid intset encoding ${width}`)
  const n = buf.readUInt32LE(start + 4)
  if (8 + n * width !== end - start) bad('intset length does not match its size')
  const out: Array<number | bigint> = new Array(n)
  let p = start + 8
  for (let i = 0; i < n; i++, p += width) {
    let v: number | bigint
    if (width === 2) v = buf.readInt16LE(p)
    else if (width === 4) v = buf.readInt32LE(p)
    else {
      const b = buf.readBigInt64LE(p)
      v = b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b
    }
    if (i > 0 && !(out[i - 1]! < v)) bad('intset members out of order or repeated')
    out[i] = v
  }
  return out
}

/** The field/value byte ranges of a zipmap blob (Redis ≤ 2.4 hashes): [fs, fe, vs, ve, ...]. */
export function readZipmap(buf: Buffer, start: number, end: number): number[] {
  const out: number[] = []
  let p = start + 1
  const lenAt = (): number => {
    if (p >= end) bad('zipmap runs past the end')
    const c = buf[p]!
    if (c < 254) {
      p += 1
      return c
    }
    if (c === 254) {
      if (p + 5 > end) bad('zipmap runs past the end')
      const v = buf.readUInt32LE(p + 1)
      p += 5
      return v
    }
    p += 1
    return -1
  }
  for (;;) {
    const kl = lenAt()
    if (kl < 0) break
    if (p + kl > end) bad('zipmap runs past the end')
    const ks = p
    p += kl
    const vl = lenAt()
    if (vl < 0) bad('zipmap key without a value')
    if (p >= end) bad('zipmap runs past the end')
    const free = buf[p++]!
    if (p + vl + free > end) bad('zipmap runs past the end')
    out.push(ks, ks + kl, p, p + vl)
    p += vl + free
  }
  if (p !== end) bad('zipmap has bytes after its end')
  return out
}
