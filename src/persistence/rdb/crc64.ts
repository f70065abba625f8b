/**
 * Redis's CRC-64 ("Jones" polynomial 0xad93d23594c935a9, reflected input and
 * output, initial value 0, no final xor), as RDB files and DUMP payloads end
 * with. The 64-bit state is kept as two 32-bit halves so no BigInt is touched
 * per byte; eight bytes are folded per step (slice-by-8 tables).
 */
import { Buffer } from 'node:buffer'


/** Reflected polynomial, low and high 32 bits. */
const POLY_LO = 0xac4bc9b5
const POLY_HI = 0x95ac9329

/** Eight tables of 256 entries, low halves then high halves: table k = byte followed by k zero bytes. */
const LO = new Uint32Array(256 * 8)
const HI = new Uint32Array(256 * 8)

for (let i = 0; i < 256; i++) {
  let lo = i
  let hi = 0
  for (let b = 0; b < 8; b++) {
    const carry = lo & 1
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0
    hi >>>= 1
    if (carry) {
      lo = (lo ^ POLY_LO) >>> 0
      hi = (hi ^ POLY_HI) >>> 0
    }
  }
  LO[i] = lo
  HI[i] = hi
}
for (let k = 1; k < 8; k++) {
  for (let i = 0; i < 256; i++) {
    const plo = LO[(k - 1) * 256 + i]!
    const phi = HI[(k - 1) * 256 + i]!
    const t = plo & 0xff
    LO[k * 256 + i] = (((plo >>> 8) | (phi << 24)) ^ LO[t]!) >>> 0
    HI[k * 256 + i] = ((phi >>> 8) ^ HI[t]!) >>> 0
  }
}

/** A running CRC-64: feed bytes with `update`, read the value with `value()` / `bytesLE()`. */
export class Crc64 {
  lo = 0
  hi = 0

  /** Folds `data[start..end)` into the checksum. */
  update(data: Uint8Array, start = 0, end = data.length): this {
    let lo = this.lo
    let hi = this.hi
    let i = start
    // Eight bytes at a time: xor them into the state, then one lookup per byte.
    const stop = end - 8
    while (i <= stop) {
      const a = (lo ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0
      const b = (hi ^ (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24))) >>> 0
      const i7 = 7 * 256 + (a & 0xff)
      const i6 = 6 * 256 + ((a >>> 8) & 0xff)
      const i5 = 5 * 256 + ((a >>> 16) & 0xff)
      const i4 = 4 * 256 + (a >>> 24)
      const i3 = 3 * 256 + (b & 0xff)
      const i2 = 2 * 256 + ((b >>> 8) & 0xff)
      const i1 = 256 + ((b >>> 16) & 0xff)
      const i0 = b >>> 24
      lo = LO[i7]! ^ LO[i6]! ^ LO[i5]! ^ LO[i4]! ^ LO[i3]! ^ LO[i2]! ^ LO[i1]! ^ LO[i0]!
      hi = HI[i7]! ^ HI[i6]! ^ HI[i5]! ^ HI[i4]! ^ HI[i3]! ^ HI[i2]! ^ HI[i1]! ^ HI[i0]!
      i += 8
    }
    for (; i < end; i++) {
      const t = (lo ^ data[i]!) & 0xff
      lo = ((lo >>> 8) | (hi << 24)) ^ LO[t]!
      hi = (hi >>> 8) ^ HI[t]!
    }
    this.lo = lo >>> 0
    this.hi = hi >>> 0
    return this
  }

  /** The checksum as a bigint. */
  value(): bigint {
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0)
  }

  /** The checksum as Redis stores it: 8 bytes little-endian. */
  bytesLE(): Buffer {
    const b = Buffer.allocUnsafe(8)
    b.writeUInt32LE(this.lo >>> 0, 0)
    b.writeUInt32LE(this.hi >>> 0, 4)
    return b
  }

  /** True when the 8 bytes at `buf[at]` (little-endian) equal this checksum. */
  matches(buf: Uint8Array, at: number): boolean {
    const lo = (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0
    const hi = (buf[at + 4]! | (buf[at + 5]! << 8) | (buf[at + 6]! << 16) | (buf[at + 7]! << 24)) >>> 0
    return lo === this.lo >>> 0 && hi === this.hi >>> 0
  }
}

/** CRC-64 of `data` (Redis's crc64(0, data, len)). */
export function crc64(data: Uint8Array): bigint {
  return new Crc64().update(data).value()
}
