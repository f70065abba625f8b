/**
 * Number parsing and formatting exactly as Redis 7.2 does it.
 *
 * - `string2ll`: Redis's strict 64-bit integer parser (src/util.c `string2ll`).
 * - `string2d`: C `strtod` with Redis's extra checks (src/util.c `string2d`, src/object.c
 *   `getDoubleFromObject`): whole string, no leading space, no NaN, no overflow/underflow to 0.
 * - `formatDouble`: src/util.c `d2string` — integers printed as integers, everything else through
 *   fpconv's Grisu2 (deps/fpconv), reproduced digit for digit (Grisu2 is not always shortest).
 * - `incrByFloat`: INCRBYFLOAT/HINCRBYFLOAT arithmetic in x87 80-bit long double (64-bit
 *   mantissa), emulated exactly with BigInt, printed like `%.17Lf` with trailing zeros trimmed.
 */
import { E, fail } from './errors.js'

// ---------------------------------------------------------------------------
// Integers
// ---------------------------------------------------------------------------

export const INT64_MIN = -(2n ** 63n)
export const INT64_MAX = 2n ** 63n - 1n

/** True when `n` fits a signed 64-bit integer. */
export function isInt64(n: bigint): boolean {
  return n >= INT64_MIN && n <= INT64_MAX
}

/**
 * Parses a decimal integer with Redis's `string2ll` rules: optional `-`, digits, no leading zero
 * (only "0" itself), no `+`, no spaces, fewer than 21 characters, within int64.
 * Returns a `number` when |value| ≤ 2^53 − 1, a `bigint` beyond that, `undefined` when invalid.
 */
export function string2ll(s: string): number | bigint | undefined {
  const len = s.length
  if (len === 0 || len >= 21) return undefined
  let c = s.charCodeAt(0)
  let i = 0
  let neg = false
  if (c === 45 /* - */) {
    if (len === 1) return undefined
    neg = true
    i = 1
    c = s.charCodeAt(1)
  } else if (c === 48 /* 0 */) {
    return len === 1 ? 0 : undefined
  }
  if (c < 49 || c > 57) return undefined // first digit must be 1-9
  const ndig = len - i
  if (ndig <= 15) {
    // At most 15 digits: always an exact double.
    let v = c - 48
    for (i++; i < len; i++) {
      c = s.charCodeAt(i)
      if (c < 48 || c > 57) return undefined
      v = v * 10 + (c - 48)
    }
    return neg ? -v : v
  }
  // 16 to 19 (or 20) digits: two exact halves, BigInt only when outside the safe range.
  const split = len - 9
  let hi = c - 48
  for (i++; i < split; i++) {
    c = s.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
    hi = hi * 10 + (c - 48)
  }
  let lo = 0
  for (; i < len; i++) {
    c = s.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
    lo = lo * 10 + (c - 48)
  }
  // hi ≤ 9007198 keeps hi·1e9 + lo below 2^53, so the sum is exact.
  if (hi <= 9007198) {
    const v = hi * 1e9 + lo
    return neg ? -v : v
  }
  const b = BigInt(s)
  if (b < INT64_MIN || b > INT64_MAX) return undefined
  if (b >= -9007199254740991n && b <= 9007199254740991n) return Number(b)
  return b
}

/**
 * The exact decimal text of an integral number, never in exponent form below 1e21 (as toFixed(0)
 * writes it; String() would round past 2^53). String() is the same text for safe integers, and
 * several times faster: toFixed is a call into the runtime.
 */
export function integerText(n: number): string {
  return n <= 9007199254740991 && n >= -9007199254740991 ? String(n) : n.toFixed(0)
}

/** A number given as a command argument or value, as Redis would read it back: integers in full, other numbers as Redis prints doubles. */
export function numberText(n: number): string {
  return Number.isInteger(n) ? integerText(n) : formatDouble(n)
}

/** Decimal text of an integer (bigint or integral number). */
export function formatInt(n: number | bigint): string {
  return typeof n === 'number' ? String(n) : n.toString()
}

// ---------------------------------------------------------------------------
// strtod grammar
// ---------------------------------------------------------------------------

// Result of scanFloat (module-level to keep the hot path allocation-free).
const K_INVALID = 0
const K_DEC = 1
const K_HEX = 2
const K_INF = 3
let scNeg = false
let scMantStart = 0 // first mantissa char (after sign, after 0x)
let scMantEnd = 0 // end of mantissa (start of exponent marker or end)
let scDot = -1 // index of '.', or -1
let scNonZero = false // a nonzero mantissa digit was seen
let scExp = 0 // exponent value, saturated to ±1e9

const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13)

/**
 * Checks that the whole of `s` is one C `strtod` number (what glibc accepts in the C locale),
 * with Redis's extra rule that the first character is not whitespace. NaN forms are refused.
 */
function scanFloat(s: string): number {
  const len = s.length
  if (len === 0) return K_INVALID
  let i = 0
  let c = s.charCodeAt(0)
  scNeg = false
  if (c === 45 || c === 43) {
    scNeg = c === 45
    if (++i === len) return K_INVALID
    c = s.charCodeAt(i)
  }
  if (c === 105 || c === 73 /* i I */) {
    const rest = len - i
    if (rest !== 3 && rest !== 8) return K_INVALID
    const w = s.slice(i).toLowerCase()
    return w === 'inf' || w === 'infinity' ? K_INF : K_INVALID
  }
  let hex = false
  if (c === 48 && i + 1 < len) {
    const x = s.charCodeAt(i + 1)
    if (x === 120 || x === 88 /* x X */) {
      // "0x" needs a hex digit (possibly after '.') to be a hex float; otherwise strtod stops
      // after the "0", which leaves characters over.
      hex = true
      i += 2
    }
  }
  scMantStart = i
  scDot = -1
  scNonZero = false
  let digits = 0
  for (; i < len; i++) {
    c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      digits++
      if (c !== 48) scNonZero = true
    } else if (hex && ((c >= 97 && c <= 102) || (c >= 65 && c <= 70))) {
      digits++
      scNonZero = true
    } else if (c === 46 && scDot < 0) {
      scDot = i
    } else break
  }
  if (digits === 0) return K_INVALID
  scMantEnd = i
  scExp = 0
  if (i < len) {
    // Only an exponent may follow, and it must be complete.
    if (hex ? c !== 112 && c !== 80 /* p P */ : c !== 101 && c !== 69 /* e E */) return K_INVALID
    if (++i === len) return K_INVALID
    c = s.charCodeAt(i)
    let eneg = false
    if (c === 45 || c === 43) {
      eneg = c === 45
      if (++i === len) return K_INVALID
    }
    let ev = 0
    for (; i < len; i++) {
      c = s.charCodeAt(i)
      if (c < 48 || c > 57) return K_INVALID
      if (ev < 1e9) ev = ev * 10 + (c - 48)
    }
    scExp = eneg ? -ev : ev
  }
  return hex ? K_HEX : K_DEC
}

/**
 * Parses a double the way Redis does (`strtod` over the whole string): optional sign, decimal
 * or C hex float (`0x1p3`), `inf`/`infinity` in any case. Refuses leading whitespace, NaN,
 * trailing garbage, overflow to infinity and underflow to zero (subnormals are accepted).
 */
export function string2d(s: string): number | undefined {
  const kind = scanFloat(s)
  if (kind === K_DEC) {
    const v = Number(s) // the grammar is checked, and V8's decimal conversion is correctly rounded
    if (v === Infinity || v === -Infinity) return undefined
    if (v === 0 && scNonZero) return undefined
    return v
  }
  if (kind === K_INF) return scNeg ? -Infinity : Infinity
  if (kind === K_HEX) {
    if (!scNonZero) return scNeg ? -0 : 0
    const r = hexToBinary(s, 53, D_EMIN, D_EMAX, 1100)
    if (r !== FINITE) return undefined
    const v = Number(rM) * 2 ** rE
    return scNeg ? -v : v
  }
  return undefined
}

// Bit access to doubles.
const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)
const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1
const HI = LITTLE ? 1 : 0
const LO = LITTLE ? 0 : 1
const TWO32 = 4294967296

// ---------------------------------------------------------------------------
// Exact binary rounding (shared by hex floats and the long double emulation)
// ---------------------------------------------------------------------------

const ZERO = 0
const FINITE = 1
const OVERFLOW = 2
// Rounded result of roundBinary: value = rM · 2^rE.
let rM = 0n
let rE = 0

// double: 53-bit mantissa, value = m·2^e with e ∈ [-1074, 971]
const D_EMIN = -1074
const D_EMAX = 971
// x87 long double: 64-bit mantissa, e ∈ [-16445, 16320]
const LD_PREC = 64
const LD_EMIN = -16445
const LD_EMAX = 16320

/** Number of significant bits of a non-negative bigint. */
function bitLength(x: bigint): number {
  const v = Number(x) // nearest double: its exponent gives the length, unless it rounded up to 2^e
  if (v < TWO32) return 32 - Math.clz32(v)
  if (v === Infinity) {
    const h = x.toString(16)
    return (h.length - 1) * 4 + (32 - Math.clz32(parseInt(h[0]!, 16)))
  }
  f64[0] = v
  const hi = u32[HI]!
  const e = ((hi >>> 20) & 0x7ff) - 1023
  if ((hi & 0xfffff) === 0 && u32[LO] === 0 && x < 1n << BigInt(e)) return e
  return e + 1
}

// 10^k as bigint for small k (decimal exponents of everyday INCRBYFLOAT arguments).
const POW10N: bigint[] = []
function pow10n(k: number): bigint {
  if (k < 64) {
    let p = POW10N[k]
    if (p === undefined) p = POW10N[k] = 10n ** BigInt(k)
    return p
  }
  return 10n ** BigInt(k)
}

/**
 * Rounds m·2^e (plus a nonzero amount below 2^e when `sticky`) to `prec` bits, round to nearest
 * even, with gradual underflow at `emin` and overflow above `emax`. Callers that pass `sticky`
 * give m at least prec+1 bits so the sticky part lies below the rounding position.
 */
function roundBinary(m: bigint, e: number, sticky: boolean, prec: number, emin: number, emax: number): number {
  if (m === 0n) return ZERO
  let shift = bitLength(m) - prec
  if (e + shift < emin) shift = emin - e
  let q: bigint
  if (shift > 0) {
    const sb = BigInt(shift)
    q = m >> sb
    const rem = m - (q << sb)
    const half = 1n << (sb - 1n)
    if (rem > half || (rem === half && (sticky || (q & 1n) === 1n))) {
      q += 1n
      if (q >> BigInt(prec) !== 0n) {
        q >>= 1n
        shift++
      }
    }
    e += shift
  } else {
    q = m << BigInt(-shift)
    e += shift
  }
  if (q === 0n) return ZERO
  if (e > emax) return OVERFLOW
  rM = q
  rE = e
  return FINITE
}

/** Rounds the hex float just scanned (scMantStart..scMantEnd, scDot, scExp) to `prec` bits. */
function hexToBinary(s: string, prec: number, emin: number, emax: number, limit: number): number {
  let digits = s.slice(scMantStart, scMantEnd)
  let fracDigits = 0
  if (scDot >= 0) {
    fracDigits = scMantEnd - scDot - 1
    digits = digits.slice(0, scDot - scMantStart) + digits.slice(scDot - scMantStart + 1)
  }
  const m = BigInt('0x' + digits)
  const e = scExp - 4 * fracDigits
  const top = e + bitLength(m)
  if (top > limit) return OVERFLOW
  if (top < -limit - 64) return ZERO
  return roundBinary(m, e, false, prec, emin, emax)
}

// ---------------------------------------------------------------------------
// d2string / fpconv_dtoa (Grisu2)
// ---------------------------------------------------------------------------

const TWO52 = 4503599627370496
const TWO62 = 4611686018427387904

// Cached powers of ten 10^k (k = -348, -340, ..., 340) as 64-bit significands rounded to
// nearest, with binary exponents: the table Grisu uses, built on first use.
let cpHi: Float64Array | undefined
let cpLo: Float64Array
let cpExp: Int32Array

function buildCachedPowers(): void {
  const n = 87
  const hi = new Float64Array(n)
  const lo = new Float64Array(n)
  const ex = new Int32Array(n)
  const two63 = 1n << 63n
  const two64 = 1n << 64n
  for (let i = 0; i < n; i++) {
    const k = -348 + 8 * i
    const num = k >= 0 ? 10n ** BigInt(k) : 1n
    const den = k >= 0 ? 1n : 10n ** BigInt(-k)
    // e chosen so that num / (den·2^e) lies in [2^63, 2^64)
    let e = bitLength(num) - bitLength(den) - 64
    let q = 0n
    let r = 0n
    let d = 0n
    for (;;) {
      let nn = num
      d = den
      if (e >= 0) d = den << BigInt(e)
      else nn = num << BigInt(-e)
      q = nn / d
      r = nn - q * d
      if (q >= two64) e++
      else if (q < two63) e--
      else break
    }
    if (2n * r > d || (2n * r === d && (q & 1n) === 1n)) q += 1n
    hi[i] = Number(q >> 32n)
    lo[i] = Number(q & 0xffffffffn)
    ex[i] = e
  }
  cpHi = hi
  cpLo = lo
  cpExp = ex
}

// Digits produced by grisu2 (values 0-9; round_digit may leave them as is only).
const DIG = new Uint8Array(24)
let nDig = 0
let kExp = 0

// Scratch for the 64-bit helpers below: [hi, lo] (a typed array, so writes never allocate).
const OUT = new Float64Array(2)
const INV16 = 1 / 65536
const INV32 = 1 / TWO32
// POW2[i] = 2^i for the shifts used here (all exact).
const POW2 = new Float64Array(65)
for (let i = 0; i <= 64; i++) POW2[i] = 2 ** i

/** (ah·2^32 + al) · (c3..c0 16-bit limbs), rounded to the upper 64 bits (half up), as fpconv. */
function mul64(ah: number, al: number, c3: number, c2: number, c1: number, c0: number): void {
  const a3 = ah >>> 16
  const a2 = ah & 0xffff
  const a1 = al >>> 16
  const a0 = al & 0xffff
  let x = a0 * c0
  x = a0 * c1 + a1 * c0 + Math.floor(x * INV16)
  x = a0 * c2 + a1 * c1 + a2 * c0 + Math.floor(x * INV16)
  x = a0 * c3 + a1 * c2 + a2 * c1 + a3 * c0 + Math.floor(x * INV16) + 32768 // + 2^63
  x = a1 * c3 + a2 * c2 + a3 * c1 + Math.floor(x * INV16)
  let c = Math.floor(x * INV16)
  const l4 = x - c * 65536
  x = a2 * c3 + a3 * c2 + c
  c = Math.floor(x * INV16)
  const l5 = x - c * 65536
  x = a3 * c3 + c
  c = Math.floor(x * INV16)
  const l6 = x - c * 65536
  OUT[0] = c * 65536 + l6
  OUT[1] = l5 * 65536 + l4
}

/** [hi, lo] of a·2^s where a = ah·2^32 + al and the result is below 2^64. */
function shl64(ah: number, al: number, s: number): void {
  if (s >= 32) {
    OUT[0] = al * POW2[s - 32]!
    OUT[1] = 0
  } else {
    const p = POW2[32 - s]!
    const top = Math.floor(al / p)
    OUT[0] = ah * POW2[s]! + top
    OUT[1] = (al - top * p) * POW2[s]!
  }
}

const lt = (ah: number, al: number, bh: number, bl: number): boolean => ah < bh || (ah === bh && al < bl)

/**
 * fpconv's round_digit: walks the last digit down while the candidate stays inside the
 * boundaries and gets closer to the exact value. All quantities are 64-bit (hi, lo) pairs.
 */
function roundDigit(
  dh: number, dl: number, // delta
  rh: number, rl: number, // rest
  kh: number, kl: number, // kappa (one unit of the last digit)
  fh: number, fl: number, // distance from the upper boundary to the value
): void {
  for (;;) {
    if (!lt(rh, rl, fh, fl)) return
    // delta - rest >= kappa
    let xh = dh - rh
    let xl = dl - rl
    if (xl < 0) { xl += TWO32; xh-- }
    if (lt(xh, xl, kh, kl)) return
    // rest + kappa
    let yh = rh + kh
    let yl = rl + kl
    if (yl >= TWO32) { yl -= TWO32; yh++ }
    if (!lt(yh, yl, fh, fl)) {
      // frac - rest > rest + kappa - frac
      let ah = fh - rh
      let al = fl - rl
      if (al < 0) { al += TWO32; ah-- }
      let bh = yh - fh
      let bl = yl - fl
      if (bl < 0) { bl += TWO32; bh-- }
      if (!lt(bh, bl, ah, al)) return
    }
    DIG[nDig - 1]!--
    rh = yh
    rl = yl
  }
}

const POW10 = [1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1]

/** Grisu2 digit generation for a positive finite double, as deps/fpconv does it. */
function grisu2(d: number): void {
  if (cpHi === undefined) buildCachedPowers()
  f64[0] = d
  const bh = u32[HI]!
  const bl = u32[LO]!
  const be = (bh >>> 20) & 0x7ff
  let mh = bh & 0xfffff // m = mh·2^32 + bl
  let e: number
  let t = 0 // extra normalisation shift for subnormals
  if (be !== 0) {
    mh += 0x100000
    e = be - 1075
  } else {
    e = -1074
    t = mh !== 0 ? 53 - (64 - Math.clz32(mh)) : 53 - (32 - Math.clz32(bl))
  }
  // W = m·2^(11+t), U = (2m+1)·2^(10+t), L = (m·2^ls - 1)·2^(11+t-ls), all at exponent e-11-t.
  const ls = mh === 0x100000 && bl === 0 ? 2 : 1
  shl64(mh, bl, 11 + t)
  const wh0 = OUT[0]!
  const wl0 = OUT[1]!
  let ah = mh * 2
  let al = bl * 2 + 1
  if (al >= TWO32) { al -= TWO32; ah++ }
  shl64(ah, al, 10 + t)
  const uh0 = OUT[0]!
  const ul0 = OUT[1]!
  ah = mh * (ls === 2 ? 4 : 2)
  al = bl * (ls === 2 ? 4 : 2) - 1
  if (al >= TWO32) {
    const c = Math.floor(al * INV32)
    al -= c * TWO32
    ah += c
  } else if (al < 0) { al += TWO32; ah-- }
  shl64(ah, al, 11 + t - ls)
  const lh0 = OUT[0]!
  const ll0 = OUT[1]!
  const e0 = e - 11 - t

  // find_cachedpow10: the starting index estimate decides which of two valid powers is used.
  const approx = Math.trunc(-(e0 + 87) * 0.30102999566398114)
  let idx = Math.trunc((approx + 348) / 8)
  for (;;) {
    const cur = e0 + cpExp[idx]! + 64
    if (cur < -60) idx++
    else if (cur > -32) idx--
    else break
  }
  const ch = cpHi![idx]!
  const cl = cpLo[idx]!
  const c3 = ch >>> 16
  const c2 = ch & 0xffff
  const c1 = cl >>> 16
  const c0 = cl & 0xffff
  const sh = -(e0 + cpExp[idx]! + 64) // in [32, 60]
  const p2 = POW2[sh - 32]!
  const ip2 = 1 / p2

  mul64(wh0, wl0, c3, c2, c1, c0)
  const wh = OUT[0]!
  const wl = OUT[1]!
  mul64(uh0, ul0, c3, c2, c1, c0)
  let uh = OUT[0]!
  let ul = OUT[1]! - 1 // upper.frac--
  if (ul < 0) { ul += TWO32; uh-- }
  mul64(lh0, ll0, c3, c2, c1, c0)
  let lh = OUT[0]!
  let lw = OUT[1]! + 1 // lower.frac++
  if (lw >= TWO32) { lw -= TWO32; lh++ }
  kExp = -(-348 + 8 * idx)

  // generate_digits
  let fh = uh - wh // wfrac = upper - w
  let fl = ul - wl
  if (fl < 0) { fl += TWO32; fh-- }
  let dh = uh - lh // delta = upper - lower
  let dl = ul - lw
  if (dl < 0) { dl += TWO32; dh-- }
  let part1 = Math.floor(uh * ip2)
  let qh = uh - part1 * p2 // part2 = (qh, ul)
  let ql = ul
  nDig = 0
  let kappa = 10
  // Leading zero digits never end the loop (the remainder is then all of upper > delta).
  let j = 0
  while (j < 9 && POW10[j]! > part1) j++
  kappa -= j
  for (; j < 10; j++) {
    const div = POW10[j]!
    const digit = Math.floor(part1 / div)
    if (digit !== 0 || nDig !== 0) DIG[nDig++] = digit
    part1 -= digit * div
    kappa--
    const th = part1 * p2 + qh // tmp = (part1 << sh) + part2
    if (!lt(dh, dl, th, ql)) {
      kExp += kappa
      roundDigit(dh, dl, th, ql, div * p2, 0, fh, fl)
      return
    }
  }
  for (;;) {
    // part2 *= 10, delta *= 10, wfrac *= 10 (the C code's `unit`)
    let x = ql * 10
    let cy = Math.floor(x * INV32)
    ql = x - cy * TWO32
    qh = qh * 10 + cy
    x = dl * 10
    cy = Math.floor(x * INV32)
    dl = x - cy * TWO32
    dh = dh * 10 + cy
    x = fl * 10
    cy = Math.floor(x * INV32)
    fl = x - cy * TWO32
    fh = fh * 10 + cy
    kappa--
    const digit = Math.floor(qh * ip2)
    if (digit !== 0 || nDig !== 0) DIG[nDig++] = digit
    qh -= digit * p2
    if (lt(qh, ql, dh, dl)) {
      kExp += kappa
      roundDigit(dh, dl, qh, ql, p2, 0, fh, fl)
      return
    }
  }
}

const TENS = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000]
const ZEROS = '0000000000000000000000000'

/**
 * DIG[from..to) as text, built from chunks of at most 8 digits (small integers convert to text
 * much faster than large ones). `pad` keeps leading zeros (fraction digits).
 */
function digitStr(from: number, to: number, pad: boolean): string {
  let s = ''
  let size = (to - from) % 8 || 8
  let i = from
  while (i < to) {
    const end = i + size
    let v = 0
    for (; i < end; i++) v = v * 10 + DIG[i]!
    s += pad || s !== '' ? String(v + TENS[size]!).slice(1) : String(v)
    size = 8
  }
  return s
}

/** fpconv_dtoa for a finite nonzero double (sign included), layout rules of emit_digits. */
function grisuDtoa(d: number): string {
  const neg = d < 0
  grisu2(neg ? -d : d)
  let n = nDig
  const K = kExp
  const sign = neg ? '-' : ''
  let exp = K + n - 1
  if (exp < 0) exp = -exp
  if (K >= 0 && exp < n + 7) return sign + digitStr(0, n, false) + ZEROS.slice(0, K)
  if (K < 0 && (K > -7 || exp < 4)) {
    const offset = n + K
    if (offset <= 0) return sign + '0.' + ZEROS.slice(0, -offset) + digitStr(0, n, true)
    return sign + digitStr(0, offset, false) + '.' + digitStr(offset, n, true)
  }
  const maxd = neg ? 17 : 18 // fpconv keeps at most 18 - neg digits here (truncated, not rounded)
  if (n > maxd) n = maxd
  return sign + DIG[0]! + (n > 1 ? '.' + digitStr(1, n, true) : '') + (K + n - 1 < 0 ? 'e-' : 'e+') + exp
}

/**
 * Redis 7.2 `d2string`: `nan`, `inf`, `-inf`, `0`/`-0`, integers within ±2^62 as integers,
 * anything else as fpconv's Grisu2 output (`0.1`, `1e+20`, `1.23451234567e+4`, `5e-324`).
 */
export function formatDouble(d: number): string {
  if (d >= -TWO62 && d <= TWO62 && Number.isInteger(d)) {
    if (d === 0) return 1 / d < 0 ? '-0' : '0'
    return d >= -9007199254740992 && d <= 9007199254740992 ? String(d) : BigInt(d).toString()
  }
  if (d !== d) return 'nan'
  if (d === Infinity) return 'inf'
  if (d === -Infinity) return '-inf'
  return grisuDtoa(d)
}

/**
 * fpconv_dtoa itself, for every double (Lua number → argument conversion uses it for
 * non-integers): `-` when the sign bit is set, then `0`, `nan`, `inf` or the Grisu2 text.
 * Unlike d2string there is no integer shortcut: 2^63 → `9223372036854776000`, -0 → `-0`.
 */
export function fpconvDtoa(d: number): string {
  if (d !== 0 && d === d && d !== Infinity && d !== -Infinity) return grisuDtoa(d)
  f64[0] = d
  const sign = u32[HI]! >>> 31 ? '-' : ''
  return sign + (d === 0 ? '0' : d === d ? 'inf' : 'nan')
}

// ---------------------------------------------------------------------------
// Long double (x87 80-bit) emulation for INCRBYFLOAT / HINCRBYFLOAT
// ---------------------------------------------------------------------------

/** An x87 extended value: (-1)^neg · m · 2^e with m < 2^64 (m = 0 for zero); `inf` for ±∞. */
export interface LongDouble {
  neg: boolean
  m: bigint
  e: number
  inf: boolean
}

/** Redis's MAX_LONG_DOUBLE_CHARS: string2ld refuses inputs of this many bytes or more. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024

/**
 * Parses like Redis `string2ld` (C `strtold` into an 80-bit long double, correctly rounded):
 * same grammar as {@link string2d}; refuses NaN, overflow, underflow to zero and inputs of
 * 5120 bytes or more. Returns undefined when invalid.
 */
export function parseLongDouble(s: string): LongDouble | undefined {
  // Only ASCII can be valid, so the byte length equals the character count here.
  if (s.length >= MAX_LONG_DOUBLE_CHARS) return undefined
  const kind = scanFloat(s)
  if (kind === K_INVALID) return undefined
  const neg = scNeg
  if (kind === K_INF) return { neg, m: 0n, e: 0, inf: true }
  if (!scNonZero) return { neg, m: 0n, e: 0, inf: false }
  let r: number
  if (kind === K_HEX) {
    r = hexToBinary(s, LD_PREC, LD_EMIN, LD_EMAX, 16500)
  } else {
    // Decimal: D·10^k with D the mantissa digits.
    let digits = s.slice(scMantStart, scMantEnd)
    let k = scExp
    if (scDot >= 0) {
      const at = scDot - scMantStart
      k -= digits.length - at - 1
      digits = digits.slice(0, at) + digits.slice(at + 1)
    }
    let z = 0
    while (digits.charCodeAt(z) === 48) z++
    const nd = digits.length - z
    const top = k + nd // value < 10^top
    if (top - 1 > 4932) return undefined // ≥ 10^4933: overflow
    if (top <= -4951) return undefined // < 10^-4951: rounds to zero
    const D = BigInt(digits)
    if (k >= 0) {
      r = roundBinary(D * pow10n(k), 0, false, LD_PREC, LD_EMIN, LD_EMAX)
    } else {
      const P = pow10n(-k)
      let sh = LD_PREC + 2 + bitLength(P) - bitLength(D)
      if (sh < 0) sh = 0
      const N = D << BigInt(sh)
      const q = N / P
      r = roundBinary(q, -sh, q * P !== N, LD_PREC, LD_EMIN, LD_EMAX)
    }
  }
  if (r !== FINITE) return undefined
  return { neg, m: rM, e: rE, inf: false }
}

/** Exact sum of two long doubles rounded to 64 bits; undefined when it is NaN or infinite. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | undefined {
  if (a.inf || b.inf) return undefined
  if (a.m === 0n) return b.m === 0n ? { neg: a.neg && b.neg, m: 0n, e: 0, inf: false } : b
  if (b.m === 0n) return a
  if (a.e < b.e) {
    const t = a
    a = b
    b = t
  }
  const diff = a.e - b.e
  // b lies far below half an ulp of a (a is normal when the exponents differ this much).
  if (diff > 130) return a
  const A = a.m << BigInt(diff)
  let S = (a.neg ? -A : A) + (b.neg ? -b.m : b.m)
  if (S === 0n) return { neg: false, m: 0n, e: 0, inf: false }
  const neg = S < 0n
  if (neg) S = -S
  const r = roundBinary(S, b.e, false, LD_PREC, LD_EMIN, LD_EMAX)
  if (r === OVERFLOW) return undefined
  return { neg, m: rM, e: rE, inf: false }
}

const TEN17 = 10n ** 17n

/**
 * printf("%.17Lf") of m·2^e (exact value rounded half to even at 17 decimals), then trailing
 * zeros and a trailing '.' removed and "-0" turned into "0" (src/util.c ld2string LD_STR_HUMAN).
 */
function formatFixed17(neg: boolean, m: bigint, e: number): string {
  if (m === 0n) return '0'
  let out: string
  if (e >= 0) {
    out = (m << BigInt(e)).toString()
  } else {
    const sh = BigInt(-e)
    const X = m * TEN17
    let q = X >> sh
    const r = X - (q << sh)
    const half = 1n << (sh - 1n)
    if (r > half || (r === half && (q & 1n) === 1n)) q += 1n
    let str = q.toString()
    if (str.length < 18) str = '0'.repeat(18 - str.length) + str
    const cut = str.length - 17
    let end = str.length
    while (end > cut && str.charCodeAt(end - 1) === 48) end--
    out = end === cut ? str.slice(0, cut) : str.slice(0, cut) + '.' + str.slice(cut, end)
  }
  if (neg && out !== '0') out = '-' + out
  return out
}

/** Formats a long double the way INCRBYFLOAT replies (`%.17Lf`, trimmed). */
export function formatLongDouble(v: LongDouble): string {
  if (v.inf) return v.neg ? '-inf' : 'inf'
  return formatFixed17(v.neg, v.m, v.e)
}

/**
 * INCRBYFLOAT arithmetic: parses both operands as long doubles (`undefined`/`null` current
 * value counts as 0), adds them in 80-bit precision and returns the new value's text.
 * Throws `ERR value is not a valid float` or `ERR increment would produce NaN or Infinity`.
 */
export function incrByFloat(current: string | null | undefined, increment: string): string {
  const a = current == null ? { neg: false, m: 0n, e: 0, inf: false } : parseLongDouble(current)
  if (a === undefined) return fail(E.NOT_FLOAT)
  const b = parseLongDouble(increment)
  if (b === undefined) return fail(E.NOT_FLOAT)
  const sum = addLongDouble(a, b)
  if (sum === undefined) return fail('increment would produce NaN or Infinity')
  return formatFixed17(sum.neg, sum.m, sum.e)
}

/**
 * A double printed as Redis's addReplyHumanLongDouble does (GEOPOS coordinates): the exact
 * value with `%.17Lf`, trailing zeros and '.' removed, "-0" → "0".
 */
export function formatHumanLongDouble(d: number): string {
  if (d !== d) return 'nan'
  if (d === Infinity) return 'inf'
  if (d === -Infinity) return '-inf'
  const a = d < 0 ? -d : d
  // toFixed is exact but rounds ties up; a tie at 17 decimals needs d = odd·2^-18.
  const y = a * 262144
  if (a < 1e21 && !(Number.isInteger(y) && y % 2 === 1)) {
    const str = a.toFixed(17)
    let end = str.length
    while (str.charCodeAt(end - 1) === 48) end--
    if (str.charCodeAt(end - 1) === 46) end--
    const out = str.slice(0, end)
    return d < 0 && out !== '0' ? '-' + out : out
  }
  f64[0] = a
  const hi = u32[HI]!
  const be = (hi >>> 20) & 0x7ff
  let m = (hi & 0xfffff) * TWO32 + u32[LO]!
  if (be !== 0) m += TWO52
  return formatFixed17(d < 0, BigInt(m), be !== 0 ? be - 1075 : -1074)
}
