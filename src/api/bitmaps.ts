import { keyOf } from '../core/bytes.js'
import { fail } from '../core/errors.js'
import {
  BITCOUNT,
  BITFIELD,
  BITFIELD_RO,
  BITOP,
  BITPOS,
  bitOffset,
  GETBIT,
  SETBIT,
  type BitfieldArgs,
  type BitfieldOp,
  type BitOp,
  type BitRange,
} from '../commands/bitmaps.js'
import { OVERFLOW_FAIL, OVERFLOW_SAT, OVERFLOW_WRAP, type Overflow } from '../types/bitfield.js'
import type { Reply } from '../core/reply.js'
import { toJs, type StoreCore } from '../store-core.js'
import { int64Of, type Key } from './strings.js'

/** A BITCOUNT / BITPOS range: byte indexes by default, bit indexes with `unit: 'BIT'`; negative counts from the end. */
export interface BitRangeOptions {
  start: number
  /** Inclusive end (BITCOUNT requires it; BITPOS without it searches to the end of the string). */
  end?: number
  unit?: 'BYTE' | 'BIT'
}

/** A BITFIELD field type: `i1`…`i64` signed, `u1`…`u63` unsigned. */
export type BitfieldType = `${'i' | 'u'}${number}`
/** A BITFIELD offset: a bit offset, or `#n` for the n-th field of the type's width. */
export type BitfieldOffset = number | `#${number}`

/** One BITFIELD operation, run in order. `overflow` changes the behaviour of the SET/INCRBY operations after it. */
export type BitfieldOperation =
  | { get: [BitfieldType, BitfieldOffset] }
  | { set: [BitfieldType, BitfieldOffset, number | bigint] }
  | { incrby: [BitfieldType, BitfieldOffset, number | bigint] }
  | { overflow: 'WRAP' | 'SAT' | 'FAIL' }

function rangeOf(r: BitRangeOptions | undefined, needEnd: boolean): BitRange | undefined {
  if (r === undefined) return undefined
  if (needEnd && r.end === undefined) fail('syntax error')
  const unit = r.unit?.toUpperCase()
  if (unit !== undefined && unit !== 'BIT' && unit !== 'BYTE') fail('syntax error')
  if (unit !== undefined && r.end === undefined) fail('syntax error')
  const out: BitRange = { start: int64Of(r.start), bit: unit === 'BIT' }
  if (r.end !== undefined) out.end = int64Of(r.end)
  return out
}

const OVERFLOWS: Record<string, Overflow> = { WRAP: OVERFLOW_WRAP, SAT: OVERFLOW_SAT, FAIL: OVERFLOW_FAIL }

function bitfieldArgs(store: StoreCore, key: Key, ops: readonly BitfieldOperation[], readonly: boolean): BitfieldArgs {
  const list: BitfieldOp[] = []
  let overflow: Overflow = OVERFLOW_WRAP
  let writes = false
  const argv: string[] = []
  for (const o of ops) {
    if ('overflow' in o) {
      const ov = OVERFLOWS[String(o.overflow).toUpperCase()]
      if (ov === undefined) fail('Invalid OVERFLOW type specified')
      overflow = ov
      continue
    }
    const [op, spec] = 'get' in o ? (['GET', o.get] as const) : 'set' in o ? (['SET', o.set] as const) : (['INCRBY', o.incrby] as const)
    argv.length = 0
    // The same parsing as the command's, so types and offsets get Redis's errors.
    const type = spec[0]
    const c = type.charCodeAt(0)
    const bits = Number(type.slice(1))
    const signed = c === 0x69
    if ((c !== 0x69 && c !== 0x75) || !Number.isInteger(bits) || bits < 1 || bits > (signed ? 64 : 63) || String(bits) !== type.slice(1)) {
      fail('Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.')
    }
    const offset = bitOffset(store.s, String(spec[1]), bits)
    let value = 0n
    if (op !== 'GET') {
      writes = true
      const v = (spec as readonly [BitfieldType, BitfieldOffset, number | bigint])[2]
      value = typeof v === 'bigint' ? v : BigInt(int64Of(v))
      if (value > 9223372036854775807n || value < -9223372036854775808n) fail('value is not an integer or out of range')
    }
    list.push({ op, signed, bits, offset, value, overflow })
  }
  if (readonly && writes) fail('BITFIELD_RO only supports the GET subcommand')
  return { key: keyOf(key), ops: list, writes }
}

/** Bitmap and bitfield commands on the typed Store. They work on string values, so GET/SET/APPEND see the same bytes. */
export class BitmapsApi {
  /** SETBIT: sets or clears the bit at `offset` (the string grows with zeros as needed). Returns the bit's old value. */
  setbit(this: StoreCore, key: Key, offset: number, value: 0 | 1 | boolean): 0 | 1 {
    this.beforeWrite()
    // The offset is checked first, with the command's own parser (and its error), as SETBIT does.
    const off = bitOffset(this.s, String(offset))
    const v = value === true || value === 1 ? 1 : value === false || value === 0 ? 0 : fail('bit is not an integer or out of range')
    return SETBIT.run(this.s, { key: keyOf(key), offset: off, value: v }) as 0 | 1
  }

  /** GETBIT: the bit at `offset` (0 past the end or for a missing key). */
  getbit(this: StoreCore, key: Key, offset: number): 0 | 1 {
    return GETBIT.run(this.s, [keyOf(key), bitOffset(this.s, String(offset))]) as 0 | 1
  }

  /** BITCOUNT: number of set bits in the string, or in a byte/bit range of it. */
  bitcount(this: StoreCore, key: Key, range?: BitRangeOptions): number {
    const r = rangeOf(range, true)
    return BITCOUNT.run(this.s, r === undefined ? { key: keyOf(key) } : { key: keyOf(key), range: r }) as number
  }

  /**
   * BITPOS: position of the first bit equal to `bit`, or -1. A missing key
   * counts as all zeros; without an explicit end, a search for 0 in an
   * all-ones string answers the first bit past its end.
   */
  bitpos(this: StoreCore, key: Key, bit: 0 | 1, range?: BitRangeOptions): number {
    if (bit !== 0 && bit !== 1) fail('The bit argument must be 1 or 0.')
    const r = rangeOf(range, false)
    return BITPOS.run(this.s, r === undefined ? { key: keyOf(key), bit } : { key: keyOf(key), bit, range: r }) as number
  }

  /** BITOP: stores the AND / OR / XOR of the sources (or NOT of one) at `dest`; returns the result's length in bytes. */
  bitop(this: StoreCore, op: BitOp | Lowercase<BitOp>, dest: Key, ...keys: Key[]): number {
    // Redis's order: the arity error, the OOM refusal, then the operation's checks.
    if (keys.length === 0) fail("wrong number of arguments for 'bitop' command")
    this.beforeWrite()
    const o = op.toUpperCase() as BitOp
    if (o !== 'AND' && o !== 'OR' && o !== 'XOR' && o !== 'NOT') fail('syntax error')
    if (o === 'NOT' && keys.length !== 1) fail('BITOP NOT must be called with a single source key.')
    return BITOP.run(this.s, { op: o, dest: keyOf(dest), keys: keys.map(keyOf) }) as number
  }

  /**
   * BITFIELD: runs GET / SET / INCRBY operations on integer fields, in order.
   * Each GET answers the field, SET its old value, INCRBY its new value, or
   * null when `overflow: 'FAIL'` refused it. Integers beyond 2^53 are bigints.
   *
   * ```ts
   * store.bitfield('k', [{ set: ['u8', 0, 200] }, { overflow: 'SAT' }, { incrby: ['u8', 0, 100] }]) // [0, 255]
   * ```
   */
  bitfield(this: StoreCore, key: Key, ops: readonly BitfieldOperation[]): Array<number | bigint | null> {
    // BITFIELD is a denyoom command whatever its operations (BITFIELD_RO is the read-only one).
    this.beforeWrite()
    const a = bitfieldArgs(this, key, ops, false)
    // Integers as call() gives them: numbers, bigints only past 2^53.
    return toJs(BITFIELD.run(this.s, a) as Reply, false) as Array<number | bigint | null>
  }

  /** BITFIELD_RO: GET operations only. */
  bitfieldRo(this: StoreCore, key: Key, ops: ReadonlyArray<[BitfieldType, BitfieldOffset]>): Array<number | bigint> {
    const a = bitfieldArgs(
      this,
      key,
      ops.map((g) => ({ get: g })),
      true,
    )
    return toJs(BITFIELD_RO.run(this.s, a) as Reply, false) as Array<number | bigint>
  }
}
