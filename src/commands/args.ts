import { keyOf, ownValue, type StrValue } from '../core/bytes.js'
import { E, fail } from '../core/errors.js'
import { integerText, string2d, string2ll } from '../core/numbers.js'
import type { Arg } from './table.js'

/** An argument as text (Buffers decoded as UTF-8). */
export function str(a: Arg): string {
  return typeof a === 'string' ? a : a.toString('utf8')
}

/** An argument as an upper-case keyword for option matching (ASCII case-insensitive, as Redis's strcasecmp). */
export function kw(a: Arg): string {
  const s = typeof a === 'string' ? a : a.toString('latin1')
  // Keywords usually come in upper case already, and toUpperCase is a call into the runtime.
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 97) return s.toUpperCase()
  return s
}

/** A key, member or field argument in its canonical string form. */
export const key = (a: Arg): string => keyOf(a)

/** A value argument as it is stored (Buffers copied). */
export const val = (a: Arg): StrValue => ownValue(a)

/** A signed 64-bit integer argument, exact (bigint beyond ±2^53); `msg` is the error for bad input. */
export function int64(a: Arg, msg: string = E.NOT_INTEGER): number | bigint {
  const n = string2ll(str(a))
  if (n === undefined) fail(msg)
  return n
}

/**
 * A signed 64-bit integer argument as a JS number (exact within ±2^53; larger
 * magnitudes are rounded, which is harmless for indexes, counts and offsets
 * that are clamped anyway).
 */
export function int(a: Arg, msg: string = E.NOT_INTEGER): number {
  const n = string2ll(str(a))
  if (n === undefined) fail(msg)
  return typeof n === 'number' ? n : Number(n)
}

/** An integer argument that must be ≥ 0 (`value is out of range, must be positive`). */
export function positiveInt(a: Arg): number {
  const n = int(a)
  if (n < 0) fail(E.MUST_BE_POSITIVE)
  return n
}

/** A double argument (`value is not a valid float`; NaN refused). */
export function float(a: Arg, msg: string = E.NOT_FLOAT): number {
  const d = string2d(str(a))
  if (d === undefined) fail(msg)
  return d
}

/** Redis's `long` range check for arguments parsed with getRangeLongFromObjectOrReply. */
export function rangeInt(a: Arg, min: number, max: number, msg?: string): number {
  const n = int(a)
  if (n < min || n > max) fail(msg ?? `value is out of range, value must between ${min} and ${max}`)
  return n
}

/** A number as an argument for effects and RESP (integers without exponent). */
export function numArg(n: number | bigint): string {
  return typeof n === 'bigint' ? n.toString() : Number.isInteger(n) ? integerText(n) : String(n)
}
