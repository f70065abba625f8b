import { Buffer } from 'node:buffer'
import { strOf, toBuffer, type StoredStr, type StrValue } from '../core/bytes.js'
import { fail, syntaxError } from '../core/errors.js'
import { string2ll } from '../core/numbers.js'
import type { Reply } from '../core/reply.js'
import { F_RAW, T, type Entry } from '../keyspace/database.js'
import { N } from '../keyspace/notifications.js'
import type { Session } from '../session.js'
import {
  fieldResult,
  findBit,
  getBit,
  intReply,
  OVERFLOW_FAIL,
  OVERFLOW_SAT,
  OVERFLOW_WRAP,
  popcount,
  popcountBits,
  readSigned,
  readUnsigned,
  writeBits,
  type Overflow,
} from '../types/bitfield.js'
import { int64, key, kw, str } from './args.js'
import { defineCommand, type Arg } from './table.js'
import { readTyped, writeTyped } from './util.js'

const BIT_OFFSET_ERR = 'bit offset is not an integer or out of range'
const BIT_VALUE_ERR = 'bit is not an integer or out of range'
const BITFIELD_TYPE_ERR = 'Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.'

// ---------------------------------------------------------------- owned, growable byte buffers

/**
 * Bit writes change the string in place (SETBIT is O(1) in Redis). The value
 * is first copied into a buffer this module allocated (never a pooled slice
 * shared with other data), with spare capacity so that growing bitmaps do not
 * copy on every write, as Redis's sds strings grow greedily.
 */
const OWNED = new WeakSet<ArrayBufferLike>()

function allocOwned(len: number, cap: number): Buffer {
  const ab = Buffer.alloc(cap)
  OWNED.add(ab.buffer)
  return cap === len ? ab : ab.subarray(0, len)
}

/** Redis's sdsMakeRoomFor policy: double below 1MB, then add 1MB. */
const greedy = (len: number): number => (len < 1 << 20 ? len * 2 : len + (1 << 20))

/** `v` as an owned buffer at least `len` bytes long (zero-padded), reusing spare capacity when it can. */
export function ownedBuffer(v: StrValue, len: number): Buffer {
  if (typeof v !== 'string' && v.byteOffset === 0 && OWNED.has(v.buffer)) {
    if (len <= v.length) return v
    if (len <= v.buffer.byteLength) {
      const grown = Buffer.from(v.buffer, 0, len)
      grown.fill(0, v.length)
      return grown
    }
  }
  const cur = toBuffer(v)
  const n = Math.max(cur.length, len)
  const out = allocOwned(n, n > cur.length ? greedy(n) : n)
  cur.copy(out, 0)
  return out
}

/**
 * Redis's lookupStringForBitCommand: the string at `k` made writable and at
 * least long enough to hold bit `maxBit` (created if missing). `grew` tells
 * whether the key was created or lengthened.
 */
function bitTarget(ctx: Session, k: string, maxBit: number): { e: Entry; buf: Buffer; grew: boolean } {
  const need = Math.floor(maxBit / 8) + 1
  const e = writeTyped(ctx, k, T.STRING)
  if (e === undefined) {
    const buf = allocOwned(need, need)
    const ne = ctx.db.add(k, T.STRING, buf)
    ne.flags |= F_RAW
    return { e: ne, buf, grew: true }
  }
  const v = strOf(e.value as StoredStr)
  const before = typeof v === 'string' ? -1 : v.length
  const buf = ownedBuffer(v, need)
  e.value = buf
  e.flags |= F_RAW
  return { e, buf, grew: before >= 0 ? buf.length > before : buf.length > Buffer.byteLength(v as string) }
}

/** The bytes of a string value for reading. */
const bytesOf = (v: StrValue): Buffer => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v)

function protoMax(ctx: Session): number {
  return ctx.ks.config.get<number>('proto-max-bulk-len')
}

/** Redis's getBitOffsetFromArgument: `#n` (BITFIELD only) multiplies by the field width. */
export function bitOffset(ctx: Session, a: Arg, hashBits = 0): number {
  const s = str(a)
  const useHash = hashBits > 0 && s.charCodeAt(0) === 35 /* # */
  let n = string2ll(useHash ? s.slice(1) : s)
  if (n === undefined) fail(BIT_OFFSET_ERR)
  // C's signed multiply wraps on overflow; BigInt.asIntN reproduces that.
  if (useHash) n = typeof n === 'number' && Math.abs(n) < 2 ** 46 ? n * hashBits : BigInt.asIntN(64, BigInt(n) * BigInt(hashBits))
  if (typeof n === 'bigint') {
    if (n < 0n || n >> 3n >= BigInt(protoMax(ctx))) fail(BIT_OFFSET_ERR)
    return Number(n)
  }
  if (n < 0 || Math.floor(n / 8) >= protoMax(ctx)) fail(BIT_OFFSET_ERR)
  return n
}

// ---------------------------------------------------------------- SETBIT / GETBIT

export interface SetBitArgs {
  key: string
  offset: number
  value: 0 | 1
}

export const SETBIT = defineCommand('setbit', {
  parse(a, ctx): SetBitArgs {
    const offset = bitOffset(ctx, a[1]!)
    const n = string2ll(str(a[2]!))
    if (n !== 0 && n !== 1) fail(BIT_VALUE_ERR)
    return { key: key(a[0]!), offset, value: n }
  },
  run(ctx, a: SetBitArgs): Reply {
    const { buf, grew } = bitTarget(ctx, a.key, a.offset)
    const byte = Math.floor(a.offset / 8)
    const mask = 1 << (7 - (a.offset % 8))
    const old = (buf[byte]! & mask) !== 0 ? 1 : 0
    if (grew || old !== a.value) {
      if (a.value === 1) buf[byte]! |= mask
      else buf[byte]! &= ~mask
      ctx.signal(a.key, N.STRING, 'setbit')
      if (ctx.ks.fx) ctx.effect('SETBIT', a.key, String(a.offset), a.value === 1 ? '1' : '0')
    }
    return old
  },
})

export const GETBIT = defineCommand('getbit', {
  parse: (a, ctx): [string, number] => [key(a[0]!), bitOffset(ctx, a[1]!)],
  run(ctx, [k, offset]: [string, number]): Reply {
    const e = readTyped(ctx, k, T.STRING)
    if (e === undefined) return 0
    const v = strOf(e.value as StoredStr)
    if (typeof v === 'string') {
      const byte = Math.floor(offset / 8)
      // ASCII strings index bytes directly; others go through their bytes.
      if (byte >= v.length * 3) return 0
      return getBit(Buffer.from(v, 'utf8'), offset)
    }
    return getBit(v, offset)
  },
})

// ---------------------------------------------------------------- BITCOUNT / BITPOS

/** A BITCOUNT/BITPOS range: `end` undefined means "to the end", `bit` selects bit indexes instead of bytes. */
export interface BitRange {
  start: number
  end?: number
  bit?: boolean
}

export interface BitCountArgs {
  key: string
  range?: BitRange
}

function rangeNum(a: Arg): number {
  const n = int64(a)
  // Beyond ±2^53 the exact value does not matter: it is clamped to the string.
  return typeof n === 'bigint' ? Number(n) : n
}

function unitOf(a: Arg): boolean {
  const u = kw(a)
  if (u === 'BIT') return true
  if (u === 'BYTE') return false
  return syntaxError()
}

export const BITCOUNT = defineCommand('bitcount', {
  parse(a): BitCountArgs {
    if (a.length === 1) return { key: key(a[0]!) }
    // Redis 7.2: a start needs an end (Valkey 8 accepts a lone start).
    if (a.length !== 3 && a.length !== 4) syntaxError()
    // Redis checks the start, then the unit, then the end.
    const start = rangeNum(a[1]!)
    const bit = a.length === 4 ? unitOf(a[3]!) : false
    const end = rangeNum(a[2]!)
    return { key: key(a[0]!), range: { start, end, bit } }
  },
  run(ctx, a: BitCountArgs): Reply {
    const e = readTyped(ctx, a.key, T.STRING)
    if (e === undefined) return 0
    const buf = bytesOf(strOf(e.value as StoredStr))
    const r = a.range
    if (r === undefined) return popcount(buf, 0, buf.length - 1)
    let start = r.start
    let end = r.end ?? -1
    if (start < 0 && end < 0 && start > end) return 0
    const total = r.bit ? buf.length * 8 : buf.length
    if (start < 0) start = total + start
    if (end < 0) end = total + end
    if (start < 0) start = 0
    if (end < 0) end = 0
    if (end >= total) end = total - 1
    if (start > end) return 0
    return r.bit ? popcountBits(buf, start, end) : popcount(buf, start, end)
  },
})

export interface BitPosArgs {
  key: string
  bit: 0 | 1
  range?: BitRange
}

export const BITPOS = defineCommand('bitpos', {
  parse(a): BitPosArgs {
    const b = string2ll(str(a[1]!))
    if (b === undefined) fail('value is not an integer or out of range')
    if (b !== 0 && b !== 1) fail('The bit argument must be 1 or 0.')
    const r: BitPosArgs = { key: key(a[0]!), bit: b }
    if (a.length > 5) syntaxError()
    if (a.length >= 3) {
      const start = rangeNum(a[2]!)
      const bit = a.length === 5 ? unitOf(a[4]!) : false
      r.range = a.length >= 4 ? { start, end: rangeNum(a[3]!), bit } : { start, bit }
    }
    return r
  },
  run(ctx, a: BitPosArgs): Reply {
    const e = readTyped(ctx, a.key, T.STRING)
    // A missing key is an endless run of zeros.
    if (e === undefined) return a.bit === 1 ? -1 : 0
    const buf = bytesOf(strOf(e.value as StoredStr))
    const r = a.range
    const isBit = r?.bit === true
    const total = isBit ? buf.length * 8 : buf.length
    let start = r === undefined ? 0 : r.start
    let end = r?.end ?? total - 1
    if (start < 0) start = total + start
    if (end < 0) end = total + end
    if (start < 0) start = 0
    if (end < 0) end = 0
    if (end >= total) end = total - 1
    if (start > end) return -1
    const from = isBit ? start : start * 8
    const to = isBit ? end : end * 8 + 7
    const pos = findBit(buf, from, to, a.bit)
    if (pos >= 0) return pos
    // Looking for a clear bit without an explicit end: the string continues with zeros.
    if (a.bit === 0 && r?.end === undefined) return to + 1
    return -1
  },
})

// ---------------------------------------------------------------- BITOP

export type BitOp = 'AND' | 'OR' | 'XOR' | 'NOT'

export interface BitOpArgs {
  op: BitOp
  dest: string
  keys: string[]
}

export const BITOP = defineCommand('bitop', {
  parse(a): BitOpArgs {
    const op = kw(a[0]!)
    if (op !== 'AND' && op !== 'OR' && op !== 'XOR' && op !== 'NOT') return syntaxError()
    if (op === 'NOT' && a.length !== 3) fail('BITOP NOT must be called with a single source key.')
    return { op, dest: key(a[1]!), keys: a.slice(2).map(key) }
  },
  run(ctx, a: BitOpArgs): Reply {
    const n = a.keys.length
    const srcs: Buffer[] = new Array(n)
    let maxlen = 0
    let minlen = Infinity
    for (let i = 0; i < n; i++) {
      const e = readTyped(ctx, a.keys[i]!, T.STRING)
      const b = e === undefined ? EMPTY : bytesOf(strOf(e.value as StoredStr))
      srcs[i] = b
      if (b.length > maxlen) maxlen = b.length
      if (b.length < minlen) minlen = b.length
    }
    const db = ctx.db
    if (maxlen === 0) {
      if (db.lookup(a.dest) !== undefined) {
        db.delete(a.dest)
        ctx.signal(a.dest, N.GENERIC, 'del')
        if (ctx.ks.fx) ctx.effect('DEL', a.dest)
      }
      return 0
    }
    const res = allocOwned(maxlen, maxlen)
    const first = srcs[0]!
    if (a.op === 'NOT') {
      for (let j = 0; j < maxlen; j++) res[j] = ~first[j]! & 0xff
    } else {
      first.copy(res, 0)
      // Missing bytes of shorter strings count as zeros.
      for (let i = 1; i < n; i++) {
        const s = srcs[i]!
        const sl = s.length
        if (a.op === 'AND') {
          for (let j = 0; j < maxlen; j++) res[j]! &= j < sl ? s[j]! : 0
        } else if (a.op === 'OR') {
          for (let j = 0; j < sl; j++) res[j]! |= s[j]!
        } else {
          for (let j = 0; j < sl; j++) res[j]! ^= s[j]!
        }
      }
    }
    db.set(a.dest, T.STRING, res).flags |= F_RAW
    ctx.signal(a.dest, N.STRING, 'set')
    if (ctx.ks.fx) ctx.effect('SET', a.dest, Buffer.from(res))
    return maxlen
  },
})

const EMPTY = Buffer.alloc(0)

// ---------------------------------------------------------------- BITFIELD

/** One BITFIELD operation. `value` is SET's value or INCRBY's increment. */
export interface BitfieldOp {
  op: 'GET' | 'SET' | 'INCRBY'
  signed: boolean
  bits: number
  offset: number
  value: bigint
  overflow: Overflow
}

export interface BitfieldArgs {
  key: string
  ops: BitfieldOp[]
  /** True when there is a SET or INCRBY. */
  writes: boolean
}

/** Parses `i8`, `u16`... (`Invalid bitfield type` otherwise). */
export function bitfieldType(a: Arg): { signed: boolean; bits: number } {
  const s = str(a)
  const c = s.charCodeAt(0)
  // Lower case only, as Redis compares the first byte with 'i' and 'u'.
  if (c !== 0x69 /* i */ && c !== 0x75 /* u */) fail(BITFIELD_TYPE_ERR)
  const signed = c === 0x69
  const n = string2ll(s.slice(1))
  if (typeof n !== 'number' || n < 1 || (signed && n > 64) || (!signed && n > 63)) fail(BITFIELD_TYPE_ERR)
  return { signed, bits: n }
}

function parseBitfield(a: Arg[], ctx: Session, readonly: boolean): BitfieldArgs {
  const ops: BitfieldOp[] = []
  let overflow: Overflow = OVERFLOW_WRAP
  let writes = false
  for (let j = 1; j < a.length; j++) {
    const rem = a.length - j - 1
    const sub = kw(a[j]!)
    let op: BitfieldOp['op']
    if (sub === 'GET' && rem >= 2) op = 'GET'
    else if (sub === 'SET' && rem >= 3) op = 'SET'
    else if (sub === 'INCRBY' && rem >= 3) op = 'INCRBY'
    else if (sub === 'OVERFLOW' && rem >= 1) {
      const t = kw(a[++j]!)
      if (t === 'WRAP') overflow = OVERFLOW_WRAP
      else if (t === 'SAT') overflow = OVERFLOW_SAT
      else if (t === 'FAIL') overflow = OVERFLOW_FAIL
      else fail('Invalid OVERFLOW type specified')
      continue
    } else return syntaxError()
    const { signed, bits } = bitfieldType(a[j + 1]!)
    const offset = bitOffset(ctx, a[j + 2]!, bits)
    let value = 0n
    if (op !== 'GET') {
      writes = true
      const n = int64(a[j + 3]!)
      value = BigInt(n)
      j += 3
    } else j += 2
    ops.push({ op, signed, bits, offset, value, overflow })
  }
  if (readonly && writes) fail('BITFIELD_RO only supports the GET subcommand')
  return { key: key(a[0]!), ops, writes }
}

/** Reads a field from a possibly short string (bytes past the end are zeros). */
function getField(src: Buffer | undefined, op: BitfieldOp): number | bigint {
  const byte = Math.floor(op.offset / 8)
  const rel = op.offset - byte * 8
  let buf: Uint8Array
  if (src !== undefined && byte + 9 <= src.length) buf = src.subarray(byte, byte + 9)
  else {
    // Up to 9 bytes cover any 64-bit field at any bit alignment.
    SCRATCH.fill(0)
    if (src !== undefined) for (let i = 0; i < 9 && byte + i < src.length; i++) SCRATCH[i] = src[byte + i]!
    buf = SCRATCH
  }
  return op.signed ? readSigned(buf, rel, op.bits) : readUnsigned(buf, rel, op.bits)
}
const SCRATCH = new Uint8Array(9)

function runBitfield(ctx: Session, a: BitfieldArgs): Reply {
  const out: Reply[] = new Array(a.ops.length)
  if (!a.writes) {
    const e = readTyped(ctx, a.key, T.STRING)
    const src = e === undefined ? undefined : bytesOf(strOf(e.value as StoredStr))
    for (let i = 0; i < a.ops.length; i++) out[i] = getField(src, a.ops[i]!)
    return out
  }
  let highest = 0
  for (const op of a.ops) if (op.op !== 'GET' && op.offset + op.bits - 1 > highest) highest = op.offset + op.bits - 1
  const { buf, grew } = bitTarget(ctx, a.key, highest)
  let changes = 0
  const fx = ctx.ks.fx
  const written: string[] | undefined = fx ? [] : undefined
  for (let i = 0; i < a.ops.length; i++) {
    const op = a.ops[i]!
    if (op.op === 'GET') {
      out[i] = getField(buf, op)
      continue
    }
    const old = BigInt(op.signed ? readSigned(buf, op.offset, op.bits) : readUnsigned(buf, op.offset, op.bits))
    const next = op.op === 'INCRBY' ? fieldResult(old, op.value, op.bits, op.signed, op.overflow) : fieldResult(op.value, 0n, op.bits, op.signed, op.overflow)
    if (next === null) {
      out[i] = null
      continue
    }
    out[i] = intReply(op.op === 'INCRBY' ? next : old)
    writeBits(buf, op.offset, op.bits, op.bits <= 52 ? Number(next) : next)
    if (grew || old !== next) changes++
    if (written !== undefined) written.push('SET', (op.signed ? 'i' : 'u') + op.bits, String(op.offset), next.toString())
  }
  if (changes > 0) ctx.signal(a.key, N.STRING, 'setbit')
  if (written !== undefined) {
    // The growth (zero bytes up to the highest field) first, then the fields' final values.
    if (grew) ctx.effect('SETBIT', a.key, String(highest), String(getBit(buf, highest)))
    if (written.length > 0) ctx.effect('BITFIELD', a.key, ...written)
  }
  return out
}

export const BITFIELD = defineCommand('bitfield', {
  parse: (a, ctx): BitfieldArgs => parseBitfield(a, ctx, false),
  run: runBitfield,
})

export const BITFIELD_RO = defineCommand('bitfield_ro', {
  parse: (a, ctx): BitfieldArgs => parseBitfield(a, ctx, true),
  run: runBitfield,
})

export { OVERFLOW_FAIL, OVERFLOW_SAT, OVERFLOW_WRAP }
