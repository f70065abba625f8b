/// <reference path="./buffer-ext.d.ts" />
/**
 * The byte sink RDB writers fill: a chunked buffer that keeps the running
 * CRC-64, with RDB's primitives (lengths, strings with integer and LZF
 * encodings, little-endian numbers). Chunks go to a sink as they fill (a file
 * descriptor, a stream) or are collected for `finish()`.
 */
import { Buffer } from 'node:buffer'
import type { StrValue } from '../../core/bytes.js'
import { Crc64 } from './crc64.js'
import { lzfCompress } from './lzf.js'

const CHUNK = 1 << 20

/** Options for an output. */
export interface OutputOptions {
  /** LZF-compress strings longer than 20 bytes when it saves at least 4 bytes (Redis's `rdbcompression yes`). */
  compression?: boolean
  /** Receives each full chunk (it may keep it: a fresh buffer is allocated after). Without it chunks are collected. */
  sink?: (chunk: Buffer) => void
  /** Chunk size in bytes. */
  chunkSize?: number
}

export class RdbOutput {
  buf: Buffer
  pos = 0
  /** Bytes already handed to the sink (or collected). */
  flushed = 0
  readonly crc = new Crc64()
  readonly compression: boolean
  private readonly sink: ((chunk: Buffer) => void) | undefined
  private readonly chunks: Buffer[] = []
  private readonly chunkSize: number

  constructor(opts: OutputOptions = {}) {
    this.compression = opts.compression ?? true
    this.sink = opts.sink
    this.chunkSize = opts.chunkSize ?? CHUNK
    this.buf = Buffer.allocUnsafe(this.chunkSize)
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.flushed + this.pos
  }

  /** Makes room for `n` more bytes in the current chunk. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    this.flush()
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(n, this.chunkSize))
  }

  /** Hands the bytes written so far to the sink (or the collected chunks). */
  flush(): void {
    if (this.pos === 0) return
    const chunk = this.buf.subarray(0, this.pos)
    this.crc.update(chunk)
    this.flushed += this.pos
    if (this.sink !== undefined) this.sink(chunk)
    else this.chunks.push(chunk)
    this.buf = Buffer.allocUnsafe(this.chunkSize)
    this.pos = 0
  }

  /** Appends the checksum of everything so far (8 bytes LE) and flushes. */
  writeChecksum(): void {
    this.flush()
    const c = this.crc.bytesLE()
    this.ensure(8)
    c.copy(this.buf, this.pos)
    this.pos += 8
    this.flush()
  }

  /** The collected output (only without a sink). */
  finish(): Buffer {
    this.flush()
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)
  }

  u8(b: number): void {
    if (this.pos >= this.buf.length) this.ensure(1)
    this.buf[this.pos++] = b
  }

  /** RDB length encoding (6-bit, 14-bit big-endian, 32-bit or 64-bit big-endian). */
  len(n: number): void {
    this.ensure(9)
    const b = this.buf
    let p = this.pos
    if (n < 64) b[p++] = n
    else if (n < 16384) {
      b[p++] = 0x40 | (n >>> 8)
      b[p++] = n & 0xff
    } else if (n <= 0xffffffff) {
      b[p++] = 0x80
      b.writeUInt32BE(n, p)
      p += 4
    } else {
      b[p++] = 0x81
      b.writeBigUInt64BE(BigInt(n), p)
      p += 8
    }
    this.pos = p
  }

  /** A length given as an unsigned (or negative, written as two's complement) 64-bit integer. */
  len64(n: number | bigint): void {
    if (typeof n === 'number' && n >= 0 && n <= 0xffffffff) return this.len(n)
    const v = BigInt.asUintN(64, BigInt(n))
    if (v <= 0xffffffffn) return this.len(Number(v))
    this.ensure(9)
    this.buf[this.pos++] = 0x81
    this.buf.writeBigUInt64BE(v, this.pos)
    this.pos += 8
  }

  /** 8-byte little-endian signed integer (expire times). */
  i64le(n: number): void {
    this.ensure(8)
    // 2^63 is how the double-held limit 2^63 - 1 (the largest expire time) reads back.
    this.buf.writeBigInt64LE(n >= 2 ** 63 ? 9223372036854775807n : BigInt(n), this.pos)
    this.pos += 8
  }

  /** 8-byte little-endian unsigned, from a number or bigint. */
  u64le(n: number | bigint): void {
    this.ensure(8)
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(n)), this.pos)
    this.pos += 8
  }

  /** 8-byte big-endian unsigned (stream IDs). */
  u64be(n: number | bigint): void {
    this.ensure(8)
    if (typeof n === 'number' && n <= 0xffffffff) {
      this.buf.writeUInt32BE(0, this.pos)
      this.buf.writeUInt32BE(n, this.pos + 4)
    } else this.buf.writeBigUInt64BE(BigInt(n), this.pos)
    this.pos += 8
  }

  /** IEEE double, little-endian. */
  f64le(d: number): void {
    this.ensure(8)
    this.buf.writeDoubleLE(d, this.pos)
    this.pos += 8
  }

  /** Raw bytes, no length. */
  raw(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start
    this.ensure(n)
    this.buf.set(start === 0 && end === src.length ? src : src.subarray(start, end), this.pos)
    this.pos += n
  }

  /** A string (value, key, member, field): integer-encoded, LZF-compressed or raw, as Redis chooses. */
  str(v: StrValue): void {
    if (typeof v !== 'string') return this.bytes(v, 0, v.length)
    const n = v.length
    if (n === 0) return this.u8(0)
    const c = v.charCodeAt(0)
    if (c === 0xdc00) return this.bytes(Buffer.from(v.slice(1), 'latin1'), 0, n - 1)
    if (n <= 11 && (c === 45 || (c >= 48 && c <= 57)) && this.intStr(v)) return
    if (n < 21) {
      // At most 60 UTF-8 bytes: a one-byte length, written after the bytes are.
      this.ensure(1 + n * 3)
      const w = this.buf.utf8Write(v, this.pos + 1)
      if (w <= 20) {
        this.buf[this.pos] = w
        this.pos += 1 + w
        return
      }
    }
    const bl = Buffer.byteLength(v, 'utf8')
    if (this.compression && bl > 20) {
      const tmp = scratch(bl)
      tmp.utf8Write(v, 0)
      return this.bytes(tmp, 0, bl)
    }
    this.len(bl)
    this.ensure(bl)
    this.pos += this.buf.utf8Write(v, this.pos)
  }

  /** A string given as bytes. */
  bytes(b: Uint8Array, start: number, end: number): void {
    const n = end - start
    if (n <= 11 && n > 0 && (b[start] === 45 || (b[start]! >= 48 && b[start]! <= 57)) && this.intBytes(b, start, end)) return
    if (this.compression && n > 20) {
      // Compress straight into the output after room for the largest header, then close the gap.
      const room = 11
      this.ensure(room + n)
      const at = this.pos + room
      const clen = lzfCompress(b, start, end, this.buf, at, n - 4)
      if (clen > 0) {
        this.u8(0xc3)
        this.len(clen)
        this.len(n)
        this.buf.copyWithin(this.pos, at, at + clen)
        this.pos += clen
        return
      }
    }
    this.len(n)
    this.raw(b, start, end)
  }

  /** Integer encoding of a canonical decimal that fits 32 bits; false when `s` is not one. */
  private intStr(s: string): boolean {
    const n = s.length
    let i = s.charCodeAt(0) === 45 ? 1 : 0
    if (i === n) return false
    const first = s.charCodeAt(i)
    if (first === 48 && n !== 1) return false
    let v = 0
    for (; i < n; i++) {
      const d = s.charCodeAt(i) - 48
      if (d < 0 || d > 9) return false
      v = v * 10 + d
    }
    if (s.charCodeAt(0) === 45) v = -v
    return this.intEnc(v)
  }

  private intBytes(b: Uint8Array, start: number, end: number): boolean {
    const neg = b[start] === 45
    let i = neg ? start + 1 : start
    if (i === end) return false
    if (b[i] === 48 && end - start !== 1) return false
    let v = 0
    for (; i < end; i++) {
      const d = b[i]! - 48
      if (d < 0 || d > 9) return false
      v = v * 10 + d
    }
    return this.intEnc(neg ? -v : v)
  }

  private intEnc(v: number): boolean {
    if (Object.is(v, -0)) return false
    this.ensure(5)
    const b = this.buf
    if (v >= -128 && v <= 127) {
      b[this.pos++] = 0xc0
      b.writeInt8(v, this.pos++)
    } else if (v >= -32768 && v <= 32767) {
      b[this.pos++] = 0xc1
      b.writeInt16LE(v, this.pos)
      this.pos += 2
    } else if (v >= -2147483648 && v <= 2147483647) {
      b[this.pos++] = 0xc2
      b.writeInt32LE(v, this.pos)
      this.pos += 4
    } else return false
    return true
  }
}

let scratchBuf = Buffer.allocUnsafe(4096)

/** A reusable buffer of at least `n` bytes (contents undefined). */
export function scratch(n: number): Buffer {
  if (scratchBuf.length < n) scratchBuf = Buffer.allocUnsafe(Math.max(n, scratchBuf.length * 2))
  return scratchBuf
}
