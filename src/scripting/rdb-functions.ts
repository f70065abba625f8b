/**
 * FUNCTION DUMP / RESTORE payloads, in Redis's format: for each library the
 * RDB_OPCODE_FUNCTION2 byte (245) and the library code as an RDB string, then
 * the RDB version (2 bytes, little-endian) and a CRC64 (Jones polynomial,
 * little-endian) of everything before it. Strings are written plain; reading
 * also understands the integer and LZF-compressed encodings Redis writes.
 */
import { Buffer } from 'node:buffer'


export const OPCODE_FUNCTION2 = 245
export const OPCODE_FUNCTION_PRE_GA = 246
export const RDB_VERSION = 11

// CRC-64/Jones (reflected, poly 0xad93d23594c935a9), as Redis's crc64; the
// 64-bit state is kept as two 32-bit halves.
const T_LO = new Uint32Array(256)
const T_HI = new Uint32Array(256)
{
  const poly = 0x95ac9329ac4bc9b5n // bit-reflected 0xad93d23594c935a9
  for (let i = 0n; i < 256n; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n
    T_LO[Number(i)] = Number(c & 0xffffffffn)
    T_HI[Number(i)] = Number(c >> 32n)
  }
}

export function crc64(data: Uint8Array, crc = 0n): bigint {
  let lo = Number(crc & 0xffffffffn)
  let hi = Number(crc >> 32n)
  for (let i = 0; i < data.length; i++) {
    const idx = (lo ^ data[i]!) & 0xff
    lo = (((lo >>> 8) | (hi << 24)) ^ T_LO[idx]!) >>> 0
    hi = ((hi >>> 8) ^ T_HI[idx]!) >>> 0
  }
  return (BigInt(hi) << 32n) | BigInt(lo)
}

function writeLength(out: number[], n: number): void {
  if (n < 64) out.push(n)
  else if (n < 16384) out.push(0x40 | (n >> 8), n & 0xff)
  else if (n <= 0xffffffff) out.push(0x80, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)
  else {
    out.push(0x81)
    const b = BigInt(n)
    for (let i = 7; i >= 0; i--) out.push(Number((b >> BigInt(8 * i)) & 0xffn))
  }
}

/** The DUMP payload for library codes. */
export function dumpFunctions(codes: Uint8Array[]): Buffer {
  const parts: Uint8Array[] = []
  for (const c of codes) {
    const head: number[] = [OPCODE_FUNCTION2]
    writeLength(head, c.length)
    parts.push(Uint8Array.from(head), c)
  }
  parts.push(Uint8Array.of(RDB_VERSION & 0xff, (RDB_VERSION >> 8) & 0xff))
  const body = Buffer.concat(parts)
  const crc = crc64(body)
  const tail = new Uint8Array(8)
  for (let i = 0; i < 8; i++) tail[i] = Number((crc >> BigInt(8 * i)) & 0xffn)
  return Buffer.concat([body, tail])
}

class Reader {
  p = 0
  constructor(readonly b: Uint8Array) {}
  byte(): number {
    if (this.p >= this.b.length) throw new Error('eof')
    return this.b[this.p++]!
  }
  /** An RDB length; `enc` set when it is a special string encoding. */
  length(): { n: number; enc: boolean } {
    const first = this.byte()
    const type = first >> 6
    if (type === 0) return { n: first & 0x3f, enc: false }
    if (type === 1) return { n: ((first & 0x3f) << 8) | this.byte(), enc: false }
    if (type === 3) return { n: first & 0x3f, enc: true }
    if (first === 0x80) {
      let n = 0
      for (let i = 0; i < 4; i++) n = n * 256 + this.byte()
      return { n, enc: false }
    }
    if (first === 0x81) {
      let n = 0
      for (let i = 0; i < 8; i++) n = n * 256 + this.byte()
      return { n, enc: false }
    }
    throw new Error('bad length')
  }
  bytes(n: number): Uint8Array {
    if (this.p + n > this.b.length) throw new Error('eof')
    const out = this.b.subarray(this.p, this.p + n)
    this.p += n
    return out
  }
  string(): Uint8Array {
    const { n, enc } = this.length()
    if (!enc) return this.bytes(n)
    if (n <= 2) {
      const size = 1 << n
      let v = 0
      for (let i = 0; i < size; i++) v |= this.byte() << (8 * i)
      if (size === 1) v = (v << 24) >> 24
      else if (size === 2) v = (v << 16) >> 16
      return Buffer.from(String(v))
    }
    if (n === 3) {
      const clen = this.length().n
      const len = this.length().n
      return lzfDecompress(this.bytes(clen), len)
    }
    throw new Error('unknown string encoding')
  }
}

/** LZF decompression (the format Redis's lzf_c writes). */
export function lzfDecompress(src: Uint8Array, outLen: number): Uint8Array {
  const out = new Uint8Array(outLen)
  let ip = 0
  let op = 0
  while (ip < src.length) {
    const ctrl = src[ip++]!
    if (ctrl < 32) {
      const n = ctrl + 1
      if (op + n > outLen || ip + n > src.length) throw new Error('lzf')
      out.set(src.subarray(ip, ip + n), op)
      ip += n
      op += n
    } else {
      let len = ctrl >> 5
      if (len === 7) len += src[ip++]!
      let ref = op - ((ctrl & 0x1f) << 8) - 1 - src[ip++]!
      len += 2
      if (ref < 0 || op + len > outLen) throw new Error('lzf')
      while (len-- > 0) out[op++] = out[ref++]!
    }
  }
  if (op !== outLen) throw new Error('lzf')
  return out
}

/**
 * Reads a FUNCTION DUMP payload: the library codes, or an error message with
 * Redis's wording.
 */
export function readFunctionsPayload(payload: Uint8Array): Uint8Array[] | string {
  const len = payload.length
  if (len < 10) return 'DUMP payload version or checksum are wrong'
  const ver = payload[len - 10]! | (payload[len - 9]! << 8)
  if (ver > RDB_VERSION) return 'DUMP payload version or checksum are wrong'
  let stored = 0n
  for (let i = 0; i < 8; i++) stored |= BigInt(payload[len - 8 + i]!) << BigInt(8 * i)
  if (crc64(payload.subarray(0, len - 8)) !== stored) return 'DUMP payload version or checksum are wrong'
  const r = new Reader(payload.subarray(0, len - 10))
  const codes: Uint8Array[] = []
  try {
    while (r.p < r.b.length) {
      const type = r.byte()
      if (type === OPCODE_FUNCTION_PRE_GA) return 'Pre-GA function format not supported'
      if (type !== OPCODE_FUNCTION2) return 'given type is not a function'
      codes.push(r.string())
    }
  } catch {
    return 'failed loading the given functions payload'
  }
  return codes
}
