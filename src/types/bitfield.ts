/**
 * Bit-level operations on byte strings, as Redis's bitops.c defines them:
 * bits are numbered from the most significant bit of byte 0 (bit 0 is
 * `0x80` of the first byte), population counts and first-bit searches over
 * byte or bit ranges, and BITFIELD's integer fields of 1–64 bits with
 * Redis's WRAP / SAT / FAIL overflow rules.
 *
 * Integers of more than 52 bits are handled as bigint; narrower ones as
 * numbers, so the common u8/i16/u32 fields allocate nothing.
 */

/** Bits set in each byte value. */
const POPCOUNT = new Uint8Array(256)
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!

/** Number of set bits in `buf[from..to]` (byte indexes, inclusive; an empty range when from > to). */
export function popcount(buf: Uint8Array, from: number, to: number): number {
  let n = 0
  let i = from
  // Four bytes at a time through a 32-bit view would need alignment; the table loop is fast enough in V8.
  for (; i + 3 <= to; i += 4) n += POPCOUNT[buf[i]!]! + POPCOUNT[buf[i + 1]!]! + POPCOUNT[buf[i + 2]!]! + POPCOUNT[buf[i + 3]!]!
  for (; i <= to; i++) n += POPCOUNT[buf[i]!]!
  return n
}

/** Number of set bits between absolute bit positions `from` and `to` (inclusive). */
export function popcountBits(buf: Uint8Array, from: number, to: number): number {
  if (from > to) return 0
  const fb = Math.floor(from / 8)
  const lb = Math.floor(to / 8)
  // Masks keep the bits of the first/last byte that are inside the range (bit 0 = 0x80).
  const firstMask = 0xff >> (from & 7)
  const lastMask = (0xff << (7 - (to & 7))) & 0xff
  if (fb === lb) return POPCOUNT[buf[fb]! & firstMask & lastMask]!
  return POPCOUNT[buf[fb]! & firstMask]! + popcount(buf, fb + 1, lb - 1) + POPCOUNT[buf[lb]! & lastMask]!
}

/**
 * First bit equal to `bit` between absolute bit positions `from` and `to`
 * (inclusive, within the buffer), or -1.
 */
export function findBit(buf: Uint8Array, from: number, to: number, bit: 0 | 1): number {
  if (from > to) return -1
  const skip = bit === 1 ? 0 : 0xff
  let i = from
  // Head: bit by bit up to a byte boundary.
  while (i <= to && (i & 7) !== 0) {
    if (((buf[i >> 3]! >> (7 - (i & 7))) & 1) === bit) return i
    i++
  }
  // Whole bytes that cannot contain the bit are skipped.
  let b = i >> 3
  const lastFull = ((to + 1) >> 3) - 1
  while (b <= lastFull && buf[b] === skip) b++
  i = Math.max(i, b * 8)
  for (; i <= to; i++) {
    if (((buf[i >> 3]! >> (7 - (i & 7))) & 1) === bit) return i
  }
  return -1
}

/** Reads bit `offset` (0 beyond the end). */
export function getBit(buf: Uint8Array, offset: number): number {
  const byte = Math.floor(offset / 8)
  if (byte >= buf.length) return 0
  return (buf[byte]! >> (7 - (offset % 8))) & 1
}

// ---------------------------------------------------------------- BITFIELD integers

/**
 * Reads `bits` (1..64) bits at bit `offset` as an unsigned integer. The
 * buffer must cover the field (callers pad reads past the end with zeros).
 */
export function readUnsigned(buf: Uint8Array, offset: number, bits: number): number | bigint {
  if (bits <= 52) {
    let v = 0
    for (let j = 0; j < bits; j++) {
      const o = offset + j
      v = v * 2 + ((buf[Math.floor(o / 8)]! >> (7 - (o % 8))) & 1)
    }
    return v
  }
  let v = 0n
  for (let j = 0; j < bits; j++) {
    const o = offset + j
    v = (v << 1n) | BigInt((buf[Math.floor(o / 8)]! >> (7 - (o % 8))) & 1)
  }
  return v
}

/** Reads `bits` bits at `offset` as a two's complement signed integer. */
export function readSigned(buf: Uint8Array, offset: number, bits: number): number | bigint {
  const u = readUnsigned(buf, offset, bits)
  if (typeof u === 'number') {
    // bits ≤ 52: the sign bit is worth 2^(bits-1).
    const half = 2 ** (bits - 1)
    return u >= half ? u - half * 2 : u
  }
  return BigInt.asIntN(bits, u)
}

/** Writes the low `bits` bits of `value` (two's complement for negatives) at bit `offset`. */
export function writeBits(buf: Uint8Array, offset: number, bits: number, value: number | bigint): void {
  if (typeof value === 'number' && bits <= 52) {
    let v = value < 0 ? value + 2 ** bits : value
    for (let j = bits - 1; j >= 0; j--) {
      const o = offset + j
      const byte = Math.floor(o / 8)
      const mask = 1 << (7 - (o % 8))
      if (v % 2 === 1) buf[byte]! |= mask
      else buf[byte]! &= ~mask
      v = Math.floor(v / 2)
    }
    return
  }
  let v = BigInt.asUintN(bits, BigInt(value))
  for (let j = bits - 1; j >= 0; j--) {
    const o = offset + j
    const byte = Math.floor(o / 8)
    const mask = 1 << (7 - (o % 8))
    if (v & 1n) buf[byte]! |= mask
    else buf[byte]! &= ~mask
    v >>= 1n
  }
}

/** BITFIELD overflow behaviours. */
export const OVERFLOW_WRAP = 0
export const OVERFLOW_SAT = 1
export const OVERFLOW_FAIL = 2
export type Overflow = typeof OVERFLOW_WRAP | typeof OVERFLOW_SAT | typeof OVERFLOW_FAIL

/**
 * The value a field ends up holding after adding `incr` to `value` (SET
 * passes the new value and 0), under Redis's overflow rules: null when the
 * operation overflows under FAIL. `value` may lie outside the field's range
 * (SET of an out-of-range integer); for unsigned fields a negative `value`
 * is taken as its 64-bit unsigned reading, as Redis's C casts do.
 */
export function fieldResult(value: bigint, incr: bigint, bits: number, signed: boolean, overflow: Overflow): bigint | null {
  let min: bigint
  let max: bigint
  if (signed) {
    max = (1n << BigInt(bits - 1)) - 1n
    min = -max - 1n
  } else {
    value = BigInt.asUintN(64, value)
    max = (1n << BigInt(bits)) - 1n
    min = 0n
  }
  const sum = value + incr
  if (value <= max && value >= min && sum <= max && sum >= min) return sum
  if (overflow === OVERFLOW_FAIL) return null
  if (overflow === OVERFLOW_SAT) {
    // Redis computes `max - value` in int64: for a very negative SET value it wraps below zero,
    // and the value is then taken as overflowing upwards (saturating to max).
    if (signed && bits < 64 && max - value > 9223372036854775807n) return max
    return value > max || sum > max ? max : min
  }
  return signed ? BigInt.asIntN(bits, sum) : BigInt.asUintN(bits, sum)
}

/** A bigint reply value as Redis's integer reply: a number when exact. */
export function intReply(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v
}
