import { fail, wrongType } from '../core/errors.js'
import type { Entry } from '../keyspace/database.js'
import type { Session } from '../session.js'
import { numArg } from './args.js'

/** Looks a key up for a read command and checks its type (WRONGTYPE otherwise). */
export function readTyped(ctx: Session, key: string, type: number): Entry | undefined {
  const e = ctx.db.read(key)
  if (e !== undefined && e.type !== type) wrongType()
  return e
}

/** Looks a key up for a write command and checks its type (WRONGTYPE otherwise). */
export function writeTyped(ctx: Session, key: string, type: number): Entry | undefined {
  const e = ctx.db.lookup(key)
  if (e !== undefined && e.type !== type) wrongType()
  return e
}

const INT64_MAX = 9223372036854775807

/**
 * Turns a TTL argument into an absolute time in ms, as Redis's
 * getExpireMillisecondsOrReply does: `unit` 1000 for seconds, `relative` adds
 * the current time. Returns undefined on overflow or a value ≤ 0 (callers
 * answer `invalid expire time in '<cmd>' command`).
 */
export function absoluteExpire(n: number | bigint, unitMs: 1 | 1000, relative: boolean, now: number): number | undefined {
  const v = typeof n === 'bigint' ? Number(n) : n
  if (v <= 0) return undefined
  if (v > INT64_MAX / unitMs) return undefined
  let ms = v * unitMs
  if (relative) {
    if (ms > INT64_MAX - now) return undefined
    ms += now
  }
  return ms
}

/**
 * An absolute time in ms as Redis holds it. Times are held as doubles, so the largest one Redis
 * allows (2^63 - 1) reads back as 2^63: it stands for that limit.
 */
export function exactTime(ms: number): number | bigint {
  return ms >= 2 ** 63 ? 9223372036854775807n : ms
}

/** An absolute time in ms as a command argument (effects). */
export function timeArg(ms: number): string {
  return numArg(exactTime(ms))
}

/** Redis's EXPIRE family arithmetic: any integer allowed, overflow refused. */
export function expireTime(n: number | bigint, unitMs: 1 | 1000, relative: boolean, now: number): number | undefined {
  const v = typeof n === 'bigint' ? Number(n) : n
  if (v > INT64_MAX / unitMs || v < -INT64_MAX / unitMs) return undefined
  let ms = v * unitMs
  if (relative) {
    if (ms > INT64_MAX - now) return undefined
    ms += now
  }
  return ms
}

/**
 * The number of picks a negative count asks of SRANDMEMBER, HRANDFIELD or ZRANDMEMBER (repeats
 * allowed). Redis would build a reply of any length; a count past what an array can hold is refused
 * with the error Redis gives counts out of its range, before anything is allocated.
 */
export function repeatPicks(count: number): number {
  if (-count > 0xffffffff) fail('value is out of range')
  return -count
}
