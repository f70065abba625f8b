/**
 * HyperLogLog, bit-compatible with Redis 7.2 (src/hyperloglog.c).
 *
 * Everything here works on the stored string value itself, a `Buffer` laid out
 * exactly as Redis lays it out, so GET / DUMP / RDB of a PF key give Redis's
 * bytes:
 *
 * ```
 * offset 0  "HYLL"
 *        4  encoding: 0 dense, 1 sparse
 *        5  3 unused bytes
 *        8  cached cardinality, uint64 little-endian; bit 7 of byte 15 set = cache invalid
 *       16  registers: dense (16384 × 6 bits, LSB first) or sparse opcodes
 * ```
 *
 * Ownership: functions that modify an HLL may change the given `Buffer` in
 * place (dense registers, the cached cardinality) or return a new one (sparse
 * growth, sparse → dense promotion). The caller must own the buffer it passes
 * (not share it with a value already handed out to a user) and must store the
 * buffer a function returns.
 *
 * Errors: commands check `isValidHll` first and reply `hllErrors.WRONGTYPE`;
 * malformed sparse contents are only found while decoding them, and then Redis
 * replies `hllErrors.INVALID` (thrown here as a `ReplyError`, except by
 * `hllAdd`, which reports it in its result because Redis keeps the updates made
 * before the bad opcode was reached).
 */
import { Buffer } from 'node:buffer'
import { fail } from '../core/errors.js'

/** Register index bits. */
export const HLL_P = 14
/** Number of registers. */
export const HLL_REGISTERS = 1 << HLL_P
/** Bits of hash left after the index (the longest run counted is Q + 1). */
export const HLL_Q = 64 - HLL_P
/** Header size in bytes. */
export const HLL_HDR_SIZE = 16
/** Size of a dense HLL string (header + 16384 × 6 bits). */
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + ((HLL_REGISTERS * 6 + 7) >> 3)
export const HLL_DENSE = 0
export const HLL_SPARSE = 1
/** Default of the `hll-sparse-max-bytes` config. */
export const HLL_SPARSE_MAX_BYTES_DEFAULT = 3000

/** Error texts in the form `fail()` takes (a leading `-` means no `ERR ` prefix). */
export const hllErrors = {
  WRONGTYPE: '-WRONGTYPE Key is not a valid HyperLogLog string value.',
  INVALID: '-INVALIDOBJ Corrupted HLL object detected',
  NOT_SPARSE: 'HLL encoding is not sparse',
} as const

const REGMAX = 63
const SPARSE_VAL_MAX_VALUE = 32
const SPARSE_VAL_MAX_LEN = 4
const SPARSE_ZERO_MAX_LEN = 64
const ALPHA_INF = 0.721347520444481703680 // 1 / (2 ln 2)

// ---------------------------------------------------------------------------
// MurmurHash64A (seed 0xadc83b19) on 32-bit halves; the result lands in HR[0]:HR[1] (hi:lo).

// Result halves (typed-array slots: module-level `let` numbers beyond the
// small-integer range would be boxed on every write).
const HR = new Uint32Array(2)
const M_HI = 0xc6a4a793
const M_LO = 0x5bd1e995

/** (hi:lo × 0xc6a4a7935bd1e995) mod 2^64 into HR[0]:HR[1]. */
function mulM(hi: number, lo: number): void {
  // High 32 bits of lo × M_LO from 16-bit limbs; every partial sum stays below 2^53.
  const l0 = lo & 0xffff
  const l1 = lo >>> 16
  const p00 = l0 * 0xe995
  const p01 = l0 * 0x5bd1
  const p10 = l1 * 0xe995
  const p11 = l1 * 0x5bd1
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff)
  const carry = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)
  HR[1] = Math.imul(lo, M_LO) >>> 0
  HR[0] = (carry + Math.imul(lo, M_HI) + Math.imul(hi, M_LO)) >>> 0
}

/** MurmurHash64A of `data[0..len)` with Redis's HLL seed; result in HR[0]:HR[1]. */
function murmur(data: Uint8Array, len: number): void {
  // h = seed ^ (len * m), from a table for short elements
  let hh: number
  let hl: number
  if (len < 64) {
    hh = H0[len * 2]!
    hl = H0[len * 2 + 1]!
  } else {
    mulM(0, len)
    hh = HR[0]!
    hl = (HR[1]! ^ 0xadc83b19) >>> 0
  }
  const nblocks = len >>> 3
  let i = 0
  for (let b = 0; b < nblocks; b++, i += 8) {
    const kl = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0
    const kh = (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24)) >>> 0
    mulM(kh, kl)
    // k ^= k >> 47: only the top 17 bits move, into the low word
    const kl2 = (HR[1]! ^ (HR[0]! >>> 15)) >>> 0
    mulM(HR[0]!, kl2)
    hh ^= HR[0]!
    hl ^= HR[1]!
    mulM(hh >>> 0, hl >>> 0)
    hh = HR[0]!
    hl = HR[1]!
  }
  const rest = len & 7
  if (rest !== 0) {
    switch (rest) {
      case 7: hh ^= data[i + 6]! << 16 // falls through
      case 6: hh ^= data[i + 5]! << 8 // falls through
      case 5: hh ^= data[i + 4]! // falls through
      case 4: hl ^= data[i + 3]! << 24 // falls through
      case 3: hl ^= data[i + 2]! << 16 // falls through
      case 2: hl ^= data[i + 1]! << 8 // falls through
      case 1: hl ^= data[i]!
    }
    mulM(hh >>> 0, hl >>> 0)
    hh = HR[0]!
    hl = HR[1]!
  }
  hl = (hl ^ (hh >>> 15)) >>> 0
  mulM(hh, hl)
  HR[1] = (HR[1]! ^ (HR[0]! >>> 15)) >>> 0
}

/** Initial hash state seed ^ (len × m) for len < 64, as hi, lo pairs. */
const H0 = new Uint32Array(128)
for (let len = 0; len < 64; len++) {
  mulM(0, len)
  H0[len * 2] = HR[0]!
  H0[len * 2 + 1] = (HR[1]! ^ 0xadc83b19) >>> 0
}

/** MurmurHash64A(seed 0xadc83b19) of `data`, as an unsigned 64-bit bigint (for tests and debugging). */
export function hllHash(data: Uint8Array): bigint {
  murmur(data, data.length)
  return (BigInt(HR[0]!) << 32n) | BigInt(HR[1]!)
}

let strScratch: Buffer = Buffer.allocUnsafe(256)
let PAT_INDEX = 0

/** Register index (into PAT_INDEX) and run length 1..51 (returned) of an element, as `hllPatLen`. */
function patLen(ele: Buffer | string): number {
  if (typeof ele === 'string') {
    const n = Buffer.byteLength(ele)
    if (n > strScratch.length) strScratch = Buffer.allocUnsafe(Math.max(n, strScratch.length * 2))
    strScratch.write(ele, 0, n, 'utf8')
    murmur(strScratch, n)
  } else {
    murmur(ele, ele.length)
  }
  PAT_INDEX = HR[1]! & (HLL_REGISTERS - 1)
  // count = 1 + trailing zeros of (hash >> 14) with bit 50 forced on
  const low = HR[1]! >>> HLL_P // hash bits 14..31 → 18 bits
  if (low !== 0) return 32 - Math.clz32(low & -low)
  if (HR[0]! !== 0) return 18 + 32 - Math.clz32(HR[0]! & -HR[0]!)
  return HLL_Q + 1
}

/** The register index and run length Redis derives from an element (`hllPatLen`). */
export function hllPatLen(ele: Buffer | string): { index: number; count: number } {
  const count = patLen(ele)
  return { index: PAT_INDEX, count }
}

// ---------------------------------------------------------------------------
// Dense registers: register i occupies bits 6i..6i+5 of the LSB-first stream at offset 16.

function denseGet(buf: Uint8Array, i: number): number {
  const bit = i * 6
  const b = HLL_HDR_SIZE + (bit >>> 3)
  const s = bit & 7
  if (s <= 2) return (buf[b]! >>> s) & REGMAX
  return ((buf[b]! >>> s) | (buf[b + 1]! << (8 - s))) & REGMAX
}

function denseSetRaw(buf: Uint8Array, i: number, v: number): void {
  const bit = i * 6
  const b = HLL_HDR_SIZE + (bit >>> 3)
  const s = bit & 7
  buf[b] = (buf[b]! & ~(REGMAX << s)) | ((v << s) & 0xff)
  if (s > 2) buf[b + 1] = (buf[b + 1]! & ~(REGMAX >>> (8 - s))) | (v >>> (8 - s))
}

/** `hllDenseSet`: raise register i to v if v is larger; true when it changed. */
function denseSet(buf: Uint8Array, i: number, v: number): boolean {
  if (v > denseGet(buf, i)) {
    denseSetRaw(buf, i, v)
    return true
  }
  return false
}

// ---------------------------------------------------------------------------
// Header helpers

/**
 * `isHLLObjectOrReply`'s checks on a string value: at least 16 bytes, magic
 * `HYLL`, encoding 0 or 1, a dense value exactly 12304 bytes. Commands reply
 * `hllErrors.WRONGTYPE` when this is false.
 */
export function isValidHll(buf: Uint8Array): boolean {
  if (buf.length < HLL_HDR_SIZE) return false
  if (buf[0] !== 0x48 || buf[1] !== 0x59 || buf[2] !== 0x4c || buf[3] !== 0x4c) return false
  const enc = buf[4]!
  if (enc > HLL_SPARSE) return false
  if (enc === HLL_DENSE && buf.length !== HLL_DENSE_SIZE) return false
  return true
}

/** True when the value is dense-encoded (assumes `isValidHll`). */
export function hllIsDense(buf: Uint8Array): boolean {
  return buf[4] === HLL_DENSE
}

/** `PFDEBUG ENCODING`'s status text. */
export function hllEncoding(buf: Uint8Array): 'dense' | 'sparse' {
  return buf[4] === HLL_DENSE ? 'dense' : 'sparse'
}

/** True when the cached cardinality in the header may be used. */
export function hllCacheValid(buf: Uint8Array): boolean {
  return (buf[15]! & 0x80) === 0
}

/** Marks the cached cardinality stale (sets bit 7 of byte 15), in place. */
export function hllInvalidateCache(buf: Uint8Array): void {
  buf[15] = buf[15]! | 0x80
}

/**
 * A new empty HLL as PFADD / PFMERGE store it when they create the key: sparse,
 * one `XZERO 16384` opcode, cache marked stale (both commands invalidate it).
 */
export function hllCreate(): Buffer {
  const b = Buffer.alloc(HLL_HDR_SIZE + 2)
  b.write('HYLL', 0, 'latin1')
  b[4] = HLL_SPARSE
  b[15] = 0x80
  b[16] = 0x7f
  b[17] = 0xff
  return b
}

// ---------------------------------------------------------------------------
// Sparse editing. The value being edited lives in a reusable work buffer `W`
// of length `WL` with a zero byte at W[WL] (like the sds terminator Redis reads
// when a truncated XZERO ends the string).

let W: Buffer = Buffer.alloc(4096)
let WL = 0
const SEQ = new Uint8Array(5)

function workEnsure(cap: number): void {
  if (cap <= W.length) return
  const n = Buffer.alloc(Math.max(cap, W.length * 2))
  W.copy(n, 0, 0, WL + 1)
  W = n
}

function workLoad(buf: Uint8Array): void {
  WL = buf.length
  workEnsure(WL + 8)
  W.set(buf, 0)
  W[WL] = 0
}

function workResult(): Buffer {
  const out = Buffer.allocUnsafe(WL)
  W.copy(out, 0, 0, WL)
  return out
}

/** Registers covered by each one-byte opcode (ZERO, VAL); 0 for XZERO's first byte. */
const SPAN1 = new Uint8Array(256)
for (let op = 0; op < 256; op++) SPAN1[op] = op & 0x80 ? (op & 3) + 1 : op & 0x40 ? 0 : (op & 0x3f) + 1

const UNCHANGED = 0
const UPDATED = 1
const CORRUPT = -1
const PROMOTE = 2

// Opcode boundaries (position, first register) found by the last ordered
// sparseSet; the first NB of them are still valid. Writes in increasing index
// order (PFMERGE) resume from there instead of rescanning from the start: a
// change never moves anything before the opcode preceding the one changed.
let BPOS = new Int32Array(1024)
let BFIRST = new Int32Array(1024)
let NB = 0

function boundsEnsure(n: number): void {
  if (n < BPOS.length) return
  const a = new Int32Array(BPOS.length * 2)
  a.set(BPOS)
  BPOS = a
  const b = new Int32Array(BFIRST.length * 2)
  b.set(BFIRST)
  BFIRST = b
}

/**
 * `hllSparseSet` on the work buffer: UNCHANGED, UPDATED, CORRUPT, or PROMOTE
 * (caller converts). With `ordered`, `index` must be larger than in the
 * previous ordered call since the work buffer was loaded (and NB reset).
 */
function sparseSet(index: number, count: number, maxBytes: number, ordered: boolean): number {
  if (count > SPARSE_VAL_MAX_VALUE) return PROMOTE
  const w = W
  let p = HLL_HDR_SIZE
  let end = WL
  let first = 0
  let prev = -1
  let span = 0
  let j = 0
  // Locate the opcode covering `index`.
  if (!ordered) {
    const tbl = SPAN1
    while (p < end) {
      const op = w[p]!
      span = tbl[op]!
      if (span === 0) {
        span = (((op & 0x3f) << 8) | w[p + 1]!) + 1
        if (index < first + span) break
        prev = p
        p += 2
      } else {
        if (index < first + span) break
        prev = p
        p++
      }
      first += span
    }
  } else {
    if (NB === 0) {
      BPOS[0] = HLL_HDR_SIZE
      BFIRST[0] = 0
    } else {
      j = NB - 1
      p = BPOS[j]!
      first = BFIRST[j]!
    }
    while (p < end) {
      const op = w[p]!
      let oplen = 1
      if ((op & 0xc0) === 0) span = (op & 0x3f) + 1
      else if (op & 0x80) span = (op & 3) + 1
      else {
        span = (((op & 0x3f) << 8) | w[p + 1]!) + 1
        oplen = 2
      }
      if (index <= first + span - 1) break
      p += oplen
      first += span
      boundsEnsure(++j)
      BPOS[j] = p
      BFIRST[j] = first
    }
    if (j > 0) prev = BPOS[j - 1]!
    // Valid after this call: up to the target when nothing changes, else up to `prev`.
    NB = j + 1
  }
  if (span === 0 || p >= end) return CORRUPT

  const op = w[p]!
  const isVal = (op & 0x80) !== 0
  const isZero = (op & 0xc0) === 0
  const isXZero = !isVal && !isZero
  let next = isXZero ? p + 2 : p + 1
  if (next >= end) next = -1
  const runlen = isZero ? (op & 0x3f) + 1 : isVal ? (op & 3) + 1 : (((op & 0x3f) << 8) | w[p + 1]!) + 1

  let simple = false
  if (isVal) {
    const old = ((op >>> 2) & 0x1f) + 1
    if (old >= count) return UNCHANGED
    if (runlen === 1) simple = true
  } else if (isZero && runlen === 1) simple = true
  NB = j

  if (simple) {
    w[p] = 0x80 | ((count - 1) << 2)
  } else {
    // Split the opcode into [before] VAL(count,1) [after].
    const last = first + span - 1
    let n = 0
    if (isVal) {
      const cur = (op >>> 2) & 0x1f // value - 1
      if (index !== first) SEQ[n++] = 0x80 | (cur << 2) | (index - first - 1)
      SEQ[n++] = 0x80 | ((count - 1) << 2)
      if (index !== last) SEQ[n++] = 0x80 | (cur << 2) | (last - index - 1)
    } else {
      if (index !== first) {
        const len = index - first
        if (len > SPARSE_ZERO_MAX_LEN) {
          SEQ[n++] = 0x40 | ((len - 1) >>> 8)
          SEQ[n++] = (len - 1) & 0xff
        } else SEQ[n++] = len - 1
      }
      SEQ[n++] = 0x80 | ((count - 1) << 2)
      if (index !== last) {
        const len = last - index
        if (len > SPARSE_ZERO_MAX_LEN) {
          SEQ[n++] = 0x40 | ((len - 1) >>> 8)
          SEQ[n++] = (len - 1) & 0xff
        } else SEQ[n++] = len - 1
      }
    }
    const delta = n - (isXZero ? 2 : 1)
    if (delta > 0 && WL + delta > maxBytes) {
      NB = 0
      return PROMOTE
    }
    if (delta !== 0) {
      workEnsure(WL + delta + 8)
      const ww = W
      if (next >= 0) ww.copyWithin(next + delta, next, end)
      WL += delta
      ww[WL] = 0
      end = WL
    }
    const ww = W
    for (let j = 0; j < n; j++) ww[p + j] = SEQ[j]!
  }

  // Merge adjacent VAL opcodes with equal values, scanning at most 5 opcodes from `prev`.
  const m = W
  p = prev >= 0 ? prev : HLL_HDR_SIZE
  let scan = 5
  while (p < end && scan-- !== 0) {
    const o = m[p]!
    if ((o & 0xc0) === 0x40) {
      p += 2
      continue
    }
    if ((o & 0xc0) === 0) {
      p++
      continue
    }
    if (p + 1 < end) {
      const o2 = m[p + 1]!
      if ((o2 & 0x80) !== 0 && ((o ^ o2) & 0x7c) === 0) {
        const len = (o & 3) + (o2 & 3) + 2
        if (len <= SPARSE_VAL_MAX_LEN) {
          m[p + 1] = (o2 & 0xfc) | (len - 1)
          m.copyWithin(p, p + 1, end + 1) // also moves the terminator down
          WL--
          end--
          continue
        }
      }
    }
    p++
  }
  m[15] = m[15]! | 0x80
  return UPDATED
}

/**
 * `hllSparseToDense` of sparse bytes: a new dense value (header copied, encoding
 * set to dense, cached cardinality kept), or null if the opcodes do not cover
 * exactly 16384 registers.
 */
function sparseToDense(src: Uint8Array, len: number): Buffer | null {
  const d = Buffer.alloc(HLL_DENSE_SIZE)
  for (let j = 0; j < HLL_HDR_SIZE; j++) d[j] = src[j]!
  d[4] = HLL_DENSE
  let idx = 0
  let p = HLL_HDR_SIZE
  while (p < len) {
    const op = src[p]!
    if ((op & 0xc0) === 0) {
      idx += (op & 0x3f) + 1
      p++
    } else if ((op & 0x80) === 0) {
      idx += (((op & 0x3f) << 8) | (p + 1 < len ? src[p + 1]! : 0)) + 1
      p += 2
    } else {
      let run = (op & 3) + 1
      const v = ((op >>> 2) & 0x1f) + 1
      if (run + idx > HLL_REGISTERS) break
      while (run-- !== 0) denseSetRaw(d, idx++, v)
      p++
    }
  }
  return idx === HLL_REGISTERS ? d : null
}

/**
 * Converts a sparse HLL to dense (`hllSparseToDense`, PFDEBUG TODENSE/GETREG).
 * Returns `buf` itself when it is already dense, a new buffer otherwise; throws
 * `hllErrors.INVALID` if the sparse contents are corrupt.
 */
export function hllToDense(buf: Buffer): Buffer {
  if (buf[4] === HLL_DENSE) return buf
  const d = sparseToDense(buf, buf.length)
  if (d === null) fail(hllErrors.INVALID)
  return d
}

// ---------------------------------------------------------------------------
// PFADD

/** Outcome of `hllAdd`. */
export interface HllAddResult {
  /** The value to store: `buf` itself (possibly changed in place) or a new buffer. */
  buf: Buffer
  /** True when some register was raised (PFADD replies 1, the key is modified). */
  changed: boolean
  /**
   * True when corrupt sparse contents were met: PFADD replies `hllErrors.INVALID`.
   * `buf` then holds the registers raised before that point, as Redis keeps them;
   * store it, but do not count the command as a write.
   */
  corrupt: boolean
}

/**
 * Adds elements to a valid HLL value (`hllAdd` for each element, as PFADD).
 * Dense values are changed in place; a sparse value that changes comes back as
 * a new buffer, promoted to dense when a run length exceeds 32 or the sparse
 * string would grow beyond `sparseMaxBytes` (`hll-sparse-max-bytes`, counted on
 * the whole string). When anything changed the cached cardinality is marked
 * stale. A key PFADD creates counts as changed even without elements; that is
 * the caller's business (see `hllCreate`).
 */
export function hllAdd(
  buf: Buffer,
  elements: ReadonlyArray<Buffer | string>,
  sparseMaxBytes: number = HLL_SPARSE_MAX_BYTES_DEFAULT,
): HllAddResult {
  let changed = false
  let j = 0
  const n = elements.length
  if (buf[4] !== HLL_DENSE) {
    let loaded = false
    for (; j < n; j++) {
      const count = patLen(elements[j]!)
      if (!loaded) {
        // Copy into the work buffer only once something may change.
        workLoad(buf)
        loaded = true
      }
      const r = sparseSet(PAT_INDEX, count, sparseMaxBytes, false)
      if (r === UNCHANGED) continue
      if (r === UPDATED) {
        changed = true
        continue
      }
      if (r === PROMOTE) {
        const d = sparseToDense(W, WL)
        if (d === null) return { buf: changed ? workResult() : buf, changed, corrupt: true }
        denseSet(d, PAT_INDEX, count)
        changed = true
        buf = d
        j++
        break
      }
      return { buf: changed ? workResult() : buf, changed, corrupt: true }
    }
    if (buf[4] !== HLL_DENSE) {
      return { buf: changed ? workResult() : buf, changed, corrupt: false }
    }
  }
  for (; j < n; j++) {
    const count = patLen(elements[j]!)
    if (denseSet(buf, PAT_INDEX, count)) changed = true
  }
  if (changed) buf[15] = buf[15]! | 0x80
  return { buf, changed, corrupt: false }
}

// ---------------------------------------------------------------------------
// Estimation

const HISTO = new Int32Array(64)

function sigma(x: number): number {
  if (x === 1) return Infinity
  let y = 1
  let z = x
  let zp: number
  do {
    x *= x
    zp = z
    z += x * y
    y += y
  } while (zp !== z)
  return z
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0
  let y = 1
  let z = 1 - x
  let zp: number
  do {
    x = Math.sqrt(x)
    zp = z
    y *= 0.5
    const d = 1 - x
    z -= d * d * y
  } while (zp !== z)
  return z / 3
}

const TWO63 = 9223372036854775808

/**
 * The estimate from HISTO (`hllCount` after the histogram). Redis converts
 * with llroundl: values beyond the int64 range (only reachable with hand-made
 * registers) become INT64_MIN, which then reads back as -2^63.
 */
function estimate(): number {
  const m = HLL_REGISTERS
  let z = m * tau((m - HISTO[HLL_Q + 1]!) / m)
  for (let k = HLL_Q; k >= 1; k--) {
    z += HISTO[k]!
    z *= 0.5
  }
  z += m * sigma(HISTO[0]! / m)
  const x = (ALPHA_INF * m * m) / z
  if (!(x < TWO63)) return -TWO63
  return Math.round(x) // x ≥ 0: half-up is llroundl's half-away-from-zero
}

function histoDense(buf: Uint8Array): void {
  HISTO.fill(0)
  // 4 registers per 3 bytes
  for (let b = HLL_HDR_SIZE; b < HLL_DENSE_SIZE; b += 3) {
    const b0 = buf[b]!
    const b1 = buf[b + 1]!
    const b2 = buf[b + 2]!
    HISTO[b0 & 63]!++
    HISTO[((b0 >>> 6) | (b1 << 2)) & 63]!++
    HISTO[((b1 >>> 4) | (b2 << 4)) & 63]!++
    HISTO[b2 >>> 2]!++
  }
}

/** Histogram of a sparse value; false if the opcodes do not cover exactly 16384 registers. */
function histoSparse(buf: Uint8Array): boolean {
  HISTO.fill(0)
  const end = buf.length
  let idx = 0
  let p = HLL_HDR_SIZE
  while (p < end) {
    const op = buf[p]!
    if ((op & 0xc0) === 0) {
      const run = (op & 0x3f) + 1
      idx += run
      HISTO[0]! += run
      p++
    } else if ((op & 0x80) === 0) {
      const run = (((op & 0x3f) << 8) | (p + 1 < end ? buf[p + 1]! : 0)) + 1
      idx += run
      HISTO[0]! += run
      p += 2
    } else {
      const run = (op & 3) + 1
      idx += run
      HISTO[((op >>> 2) & 0x1f) + 1]! += run
      p++
    }
  }
  return idx === HLL_REGISTERS
}

/** A count as replies carry it: a number when exact, else a bigint. */
function exact(e: number): number | bigint {
  return e <= Number.MAX_SAFE_INTEGER && e >= -Number.MAX_SAFE_INTEGER ? e : BigInt(e)
}

/** Outcome of `hllCount`. */
export interface HllCountResult {
  /**
   * The cardinality as PFCOUNT replies it. A number; a bigint only for a cached
   * value (written by hand into the header) beyond 2^53.
   */
  count: number | bigint
  /**
   * True when the cache was stale and the new estimate was written into
   * bytes 8..15 of `buf` (in place): PFCOUNT then counts as a write of the key.
   */
  modified: boolean
}

/**
 * PFCOUNT of one key: the cached cardinality if valid, else the estimate,
 * which is then stored into the header in place. Throws `hllErrors.INVALID`
 * for corrupt sparse contents.
 */
export function hllCount(buf: Buffer): HllCountResult {
  if ((buf[15]! & 0x80) === 0) {
    const lo = buf.readUInt32LE(8)
    const hi = buf.readUInt32LE(12)
    const count = hi < 0x200000 ? hi * 4294967296 + lo : (BigInt(hi) << 32n) | BigInt(lo)
    return { count, modified: false }
  }
  const e = hllEstimate(buf)
  // E < 0 only as INT64_MIN, stored as the uint64 2^63 (which leaves the cache "invalid").
  if (e < 0) {
    buf.writeUInt32LE(0, 8)
    buf.writeUInt32LE(0x80000000, 12)
  } else {
    buf.writeUInt32LE(e % 4294967296, 8)
    buf.writeUInt32LE(Math.floor(e / 4294967296), 12)
  }
  return { count: exact(e), modified: true }
}

/**
 * The estimate of a valid HLL value, ignoring and not touching its cache.
 * Throws `hllErrors.INVALID` for corrupt sparse contents. Always a number;
 * -2^63 stands for Redis's overflow result (hand-made registers only).
 */
export function hllEstimate(buf: Uint8Array): number {
  if (buf[4] === HLL_DENSE) histoDense(buf)
  else if (!histoSparse(buf)) fail(hllErrors.INVALID)
  return estimate()
}

/** A zeroed raw register array (one byte per register) for PFCOUNT of many keys and PFMERGE. */
export function hllNewRegisters(): Uint8Array {
  return new Uint8Array(HLL_REGISTERS)
}

/**
 * The estimate of raw registers (one byte each, values 0..63), as PFCOUNT of
 * several keys replies it (a bigint only beyond 2^53, see `hllCount`).
 */
export function hllCountRegisters(regs: Uint8Array): number | bigint {
  HISTO.fill(0)
  for (let i = 0; i < HLL_REGISTERS; i++) HISTO[regs[i]! & 63]!++
  return exact(estimate())
}

/**
 * `hllMerge`: regs[i] = max(regs[i], register i of `buf`). Throws
 * `hllErrors.INVALID` for corrupt sparse contents (`regs` may then be partly
 * updated, which does not matter since the command fails).
 */
export function hllMergeInto(regs: Uint8Array, buf: Uint8Array): void {
  if (buf[4] === HLL_DENSE) {
    for (let b = HLL_HDR_SIZE, i = 0; b < HLL_DENSE_SIZE; b += 3, i += 4) {
      const b0 = buf[b]!
      const b1 = buf[b + 1]!
      const b2 = buf[b + 2]!
      const r0 = b0 & 63
      const r1 = ((b0 >>> 6) | (b1 << 2)) & 63
      const r2 = ((b1 >>> 4) | (b2 << 4)) & 63
      const r3 = b2 >>> 2
      if (r0 > regs[i]!) regs[i] = r0
      if (r1 > regs[i + 1]!) regs[i + 1] = r1
      if (r2 > regs[i + 2]!) regs[i + 2] = r2
      if (r3 > regs[i + 3]!) regs[i + 3] = r3
    }
    return
  }
  const end = buf.length
  let i = 0
  let p = HLL_HDR_SIZE
  while (p < end) {
    const op = buf[p]!
    if ((op & 0xc0) === 0) {
      i += (op & 0x3f) + 1
      p++
    } else if ((op & 0x80) === 0) {
      i += (((op & 0x3f) << 8) | (p + 1 < end ? buf[p + 1]! : 0)) + 1
      p += 2
    } else {
      let run = (op & 3) + 1
      const v = ((op >>> 2) & 0x1f) + 1
      if (run + i > HLL_REGISTERS) break
      while (run-- !== 0) {
        if (v > regs[i]!) regs[i] = v
        i++
      }
      p++
    }
  }
  if (i !== HLL_REGISTERS) fail(hllErrors.INVALID)
}

/**
 * PFMERGE's write phase. `dest` is the destination's current value (already
 * merged into `regs` and validated by `hllMergeInto`) or null when the key is
 * missing (a new sparse value is created). When `useDense` (some input was
 * dense) the destination is converted to dense first; then every non-zero
 * register is written in index order with the dense or sparse rule, so a sparse
 * destination may be promoted midway, exactly as Redis does. The cache is marked
 * stale. Returns the value to store (`dest` changed in place, or a new buffer).
 */
export function hllStoreRegisters(
  dest: Buffer | null,
  regs: Uint8Array,
  useDense: boolean,
  sparseMaxBytes: number = HLL_SPARSE_MAX_BYTES_DEFAULT,
): Buffer {
  let buf = dest ?? hllCreate()
  if (useDense) buf = hllToDense(buf)
  let i = 0
  if (buf[4] !== HLL_DENSE) {
    workLoad(buf)
    NB = 0
    let touched = false
    for (; i < HLL_REGISTERS; i++) {
      const v = regs[i]!
      if (v === 0) continue
      touched = true
      const r = sparseSet(i, v, sparseMaxBytes, true)
      if (r === PROMOTE) {
        const d = sparseToDense(W, WL)
        if (d === null) fail(hllErrors.INVALID) // unreachable for a value hllMergeInto accepted
        denseSet(d, i, v)
        buf = d
        i++
        break
      }
    }
    if (buf[4] !== HLL_DENSE) {
      if (touched) buf = workResult()
      buf[15] = buf[15]! | 0x80
      return buf
    }
  }
  for (; i < HLL_REGISTERS; i++) {
    const v = regs[i]!
    if (v !== 0) denseSet(buf, i, v)
  }
  buf[15] = buf[15]! | 0x80
  return buf
}

/**
 * A new HLL value holding `regs` (values 0..63), as a dense value, or when
 * `sparse` is true built from an empty sparse value register by register with
 * the sparse rule (promoting like PFMERGE would). Cache marked stale.
 */
export function hllFromRegisters(
  regs: Uint8Array,
  sparse = false,
  sparseMaxBytes: number = HLL_SPARSE_MAX_BYTES_DEFAULT,
): Buffer {
  if (sparse) return hllStoreRegisters(null, regs, false, sparseMaxBytes)
  const d = Buffer.alloc(HLL_DENSE_SIZE)
  d.write('HYLL', 0, 'latin1')
  d[15] = 0x80
  for (let i = 0; i < HLL_REGISTERS; i++) if (regs[i] !== 0) denseSetRaw(d, i, regs[i]! & REGMAX)
  return d
}

// ---------------------------------------------------------------------------
// PFDEBUG / PFSELFTEST

/**
 * The 16384 registers of a valid HLL value (one byte each). PFDEBUG GETREG
 * first converts a sparse value with `hllToDense` (storing the result and
 * counting as a write), then replies these as integers.
 */
export function hllRegisters(buf: Uint8Array): Uint8Array {
  const regs = new Uint8Array(HLL_REGISTERS)
  if (buf[4] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) regs[i] = denseGet(buf, i)
  } else {
    hllMergeInto(regs, buf)
  }
  return regs
}

/**
 * PFDEBUG DECODE's text for a sparse value: `z:<len>` (ZERO), `Z:<len>`
 * (XZERO), `v:<value>,<len>` (VAL), separated by spaces. Throws
 * `ERR HLL encoding is not sparse` for a dense value.
 */
export function hllDecodeSparse(buf: Uint8Array): string {
  if (buf[4] !== HLL_SPARSE) fail(hllErrors.NOT_SPARSE)
  const end = buf.length
  const parts: string[] = []
  let p = HLL_HDR_SIZE
  while (p < end) {
    const op = buf[p]!
    if ((op & 0xc0) === 0) {
      parts.push('z:' + ((op & 0x3f) + 1))
      p++
    } else if ((op & 0x80) === 0) {
      parts.push('Z:' + ((((op & 0x3f) << 8) | (p + 1 < end ? buf[p + 1]! : 0)) + 1))
      p += 2
    } else {
      parts.push('v:' + (((op >>> 2) & 0x1f) + 1) + ',' + ((op & 3) + 1))
      p++
    }
  }
  return parts.join(' ')
}

/**
 * PFSELFTEST: checks dense register access (`cycles` rounds of random
 * registers) and the estimate of sparse and dense HLLs fed the same
 * `elements` distinct 8-byte elements (Redis: 1000 cycles, 10 000 000
 * elements). Returns null on success, else the error text Redis would reply
 * (`TESTFAILED ...`).
 */
export function hllSelfTest(
  sparseMaxBytes: number = HLL_SPARSE_MAX_BYTES_DEFAULT,
  cycles = 1000,
  elements = 10_000_000,
): string | null {
  const dense = Buffer.alloc(HLL_DENSE_SIZE)
  dense.write('HYLL', 0, 'latin1')
  dense[15] = 0x80
  const bytes = new Uint8Array(HLL_REGISTERS)
  for (let c = 0; c < cycles; c++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = (Math.random() * 64) | 0
      bytes[i] = r
      denseSetRaw(dense, i, r)
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(dense, i)
      if (v !== bytes[i]) return `TESTFAILED Register ${i} should be ${bytes[i]} but is ${v}`
    }
  }
  dense.fill(0, HLL_HDR_SIZE)
  let sparse = hllCreate()
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS)
  const seedLo = (Math.random() * 4294967296) >>> 0
  const seedHi = (Math.random() * 4294967296) >>> 0
  const ele = Buffer.alloc(8)
  const one = [ele]
  let checkpoint = 1
  for (let j = 1; j <= elements; j++) {
    // ele = j ^ seed as a little-endian uint64
    ele.writeUInt32LE((j % 4294967296 ^ seedLo) >>> 0, 0)
    ele.writeUInt32LE((Math.floor(j / 4294967296) ^ seedHi) >>> 0, 4)
    const count = patLen(ele)
    denseSet(dense, PAT_INDEX, count)
    sparse = hllAdd(sparse, one, sparseMaxBytes).buf
    if (j === checkpoint) {
      if (j < sparseMaxBytes / 2 && sparse[4] !== HLL_SPARSE) return 'TESTFAILED sparse encoding not used'
      const cd = hllEstimate(dense)
      if (cd !== hllEstimate(sparse)) return 'TESTFAILED dense/sparse disagree'
      const abserr = Math.abs(checkpoint - cd)
      let maxerr = Math.ceil(relerr * 6 * checkpoint)
      // Redis allows 1 at cardinality 10, where collisions make big errors likely.
      if (j === 10) maxerr = 1
      if (abserr > maxerr) return `TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`
      checkpoint *= 10
    }
  }
  return null
}
