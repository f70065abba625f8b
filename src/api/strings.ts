import { bytesOut, keyOf, ownValue, readKey, toStr, type Bytes, type StrValue } from '../core/bytes.js'
import { E, fail } from '../core/errors.js'
import { formatDouble, numberText } from '../core/numbers.js'
import { OK, type MapReply } from '../core/reply.js'
import { APPEND, DECR, GETDEL, GETEX, GETRANGE, getValue, INCR, INCRBY, INCRBYFLOAT, LCS, MGET, mgetValue, MSET, MSETNX, SETRANGE, SF, STRLEN, TTL_UNIT, setFull, setGeneric, setQuick } from '../commands/strings.js'
import { absoluteExpire } from '../commands/util.js'
import type { StoreCore } from '../store-core.js'

/** A key: a string (its UTF-8 bytes) or a Buffer or other Uint8Array (exact bytes). */
export type Key = Bytes
/** A value to store: strings and bytes (a Buffer or other Uint8Array) as they are, numbers in Redis's decimal form. */
export type Value = string | Uint8Array | number

/** Options of `set()`, as the SET command has them. */
export interface SetOptions {
  /** Expire after this many seconds. */
  ex?: number
  /** Expire after this many milliseconds. */
  px?: number
  /** Expire at this Unix time in seconds. */
  exat?: number
  /** Expire at this Unix time in milliseconds. */
  pxat?: number
  /** Keep the key's current TTL. */
  keepttl?: boolean
  /** Only set if the key does not exist. */
  nx?: boolean
  /** Only set if the key exists. */
  xx?: boolean
  /** Return the old value (like GETSET). */
  get?: boolean
}

/** Options of `getex()`. */
export interface GetExOptions {
  ex?: number
  px?: number
  exat?: number
  pxat?: number
  /** Remove the TTL. */
  persist?: boolean
}

/** Options of `lcs()`. */
export interface LcsOptions {
  /** Only matches at least this long (with `idx`). */
  minMatchLen?: number
  /** Include each match's length (with `idx`). */
  withMatchLen?: boolean
}

/** One LCS match: ranges in the first and second string, and optionally its length. */
export type LcsMatch = [[number, number], [number, number]] | [[number, number], [number, number], number]

/**
 * A 64-bit integer argument given as a number or bigint, in the form the
 * command's parser produces (string2ll's: a number within ±2^53, else a bigint).
 */
export function int64Arg(n: number | bigint): number | bigint {
  if (typeof n === 'number') return Number.isSafeInteger(n) ? n : BigInt(int64Of(n))
  // Anything else from untyped callers is refused before a command runs, as a bad integer.
  if (typeof n !== 'bigint') fail(E.NOT_INTEGER)
  if (n > 9223372036854775807n || n < -9223372036854775808n) fail(E.NOT_INTEGER)
  return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n
}

/** A count in -LONG_MAX..LONG_MAX (Redis's getRangeLongFromObjectOrReply for SRANDMEMBER, LPOS RANK...). */
export function longAboveMinOf(n: number): number {
  if (int64Of(n) === -9223372036854775808) fail('value is out of range, value must between -9223372036854775807 and 9223372036854775807')
  return n
}

/** A float argument as Redis reads it: a string as given, a number as Redis prints it; anything else is refused. */
export function floatText(x: number | string): string {
  if (typeof x === 'string') return x
  if (typeof x !== 'number') fail(E.NOT_FLOAT)
  return formatDouble(x)
}

/** The value form stored for a typed argument. */
export function valueOf(v: Value): StrValue {
  if (typeof v === 'string') return v
  if (typeof v === 'number') return numberText(v)
  return ownValue(v)
}

/** A variadic typed call given nothing: the command's arity error, as `call()` would answer it. */
export function needArgs(n: number, command: string): void {
  if (n === 0) fail(`wrong number of arguments for '${command}' command`)
}

const str = (v: StrValue | null): string | null => (v === null ? null : toStr(v))
const buf = (v: StrValue | null): Buffer | null => (v === null ? null : bytesOut(v))

/** SET flags from options; invalid combinations get Redis's error. */
function setFlags(o: SetOptions): number {
  // Conflicting options are syntax errors, found before any number is read.
  if (o.nx && o.xx) fail('syntax error')
  const ttls = +(o.ex !== undefined) + +(o.px !== undefined) + +(o.exat !== undefined) + +(o.pxat !== undefined)
  if (ttls > 1 || (o.keepttl && ttls > 0)) fail('syntax error')
  return (o.nx ? SF.NX : 0) | (o.xx ? SF.XX : 0) | (o.get ? SF.GET : 0) | (o.keepttl ? SF.KEEPTTL : 0)
}

/** Turns ex/px/exat/pxat into an absolute time (0 when none is given). */
function ttlOption(store: StoreCore, o: { ex?: number; px?: number; exat?: number; pxat?: number }, msg: string): number {
  // At most one unit is given (the caller checked); the clock is read only when one is.
  let at: number | undefined = 0
  if (o.ex !== undefined) at = absoluteExpire(int64Of(o.ex), 1000, true, store.ks.now())
  else if (o.px !== undefined) at = absoluteExpire(int64Of(o.px), 1, true, store.ks.now())
  else if (o.exat !== undefined) at = absoluteExpire(int64Of(o.exat), 1000, false, store.ks.now())
  else if (o.pxat !== undefined) at = absoluteExpire(int64Of(o.pxat), 1, false, store.ks.now())
  if (at === undefined) fail(msg)
  return at
}

/** Whether a number is an integer that fits a C int (what Redis's getIntFromObject takes). */
export const isInt32 = (n: number): boolean => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647

/** Whether a number is an integer in the signed 64-bit range (its decimal form is one string2ll takes). */
export const isInt64 = (n: number): boolean => Number.isInteger(n) && n >= -9223372036854775808 && n < 9223372036854775808

/**
 * An integer argument given as a number: refused with `msg` unless its decimal
 * form is one Redis's string2ll takes, an integer in the signed 64-bit range
 * (NaN, ±Infinity, fractions, 2^63 and beyond are not).
 */
export function int64Of(n: number, msg: string = E.NOT_INTEGER): number {
  if (!isInt64(n)) fail(msg)
  return n
}

/** String commands on the typed Store. */
export class StringsApi {
  /** Value at `key` as a string (UTF-8 decoded), or null. WRONGTYPE for non-strings. */
  get(this: StoreCore, key: Key): string | null {
    const v = getValue(this.s, readKey(key))
    return v === undefined ? null : typeof v === 'string' ? v : v.toString('utf8')
  }

  /** Value at `key` as exact bytes, or null. */
  getBuffer(this: StoreCore, key: Key): Buffer | null {
    return buf(getValue(this.s, readKey(key)) ?? null)
  }

  /**
   * SET: stores `value` at `key`, replacing any value and TTL.
   * Returns 'OK', or null when NX/XX prevented the write; with `get: true`, the old value.
   */
  set(this: StoreCore, key: Key, value: Value): 'OK'
  set(this: StoreCore, key: Key, value: Value, options: SetOptions & { get: true }): string | null
  set(this: StoreCore, key: Key, value: Value, options: SetOptions & ({ nx: true } | { xx: true })): 'OK' | null
  set(this: StoreCore, key: Key, value: Value, options?: SetOptions): 'OK' | null | string
  set(this: StoreCore, key: Key, value: Value, options?: SetOptions): 'OK' | null | string {
    this.beforeWrite()
    const v = typeof value === 'string' ? value : valueOf(value)
    if (options === undefined) {
      const k = keyOf(key)
      if (!setQuick(this.s, k, v)) setFull(this.s, k, v, 0, 0)
      return 'OK'
    }
    const flags = setFlags(options)
    // atOneTime() inlined: its closure would cost a quarter of a SET with a TTL.
    const ks = this.ks
    const own = ks.beginSnapshot()
    try {
      const at = ttlOption(this, options, "invalid expire time in 'set' command")
      const r = setGeneric(this.s, keyOf(key), v, flags, at)
      return r === OK ? 'OK' : str(r as StrValue | null)
    } finally {
      if (own) ks.endSnapshot()
    }
  }

  /** SETNX: sets only if absent. True when set. */
  setnx(this: StoreCore, key: Key, value: Value): boolean {
    this.beforeWrite()
    return setGeneric(this.s, keyOf(key), valueOf(value), SF.NX, 0) === OK
  }

  /** SETEX: sets with a TTL in seconds. */
  setex(this: StoreCore, key: Key, seconds: number, value: Value): 'OK' {
    this.beforeWrite()
    this.atOneTime(() => setGeneric(this.s, keyOf(key), valueOf(value), 0, ttlOption(this, { ex: seconds }, "invalid expire time in 'setex' command")))
    return 'OK'
  }

  /** PSETEX: sets with a TTL in milliseconds. */
  psetex(this: StoreCore, key: Key, ms: number, value: Value): 'OK' {
    this.beforeWrite()
    this.atOneTime(() => setGeneric(this.s, keyOf(key), valueOf(value), 0, ttlOption(this, { px: ms }, "invalid expire time in 'psetex' command")))
    return 'OK'
  }

  /** GETSET: sets and returns the old value. */
  getset(this: StoreCore, key: Key, value: Value): string | null {
    this.beforeWrite()
    return str(setGeneric(this.s, keyOf(key), valueOf(value), SF.GET, 0) as StrValue | null)
  }

  /** GETDEL: returns the value and deletes the key. */
  getdel(this: StoreCore, key: Key): string | null {
    return str(GETDEL.run(this.s, keyOf(key)) as StrValue | null)
  }

  /** GETEX: returns the value and sets or removes its TTL. */
  getex(this: StoreCore, key: Key, options: GetExOptions = {}): string | null {
    const given = (['ex', 'px', 'exat', 'pxat'] as const).filter((u) => options[u] !== undefined)
    if (given.length > 1 || (options.persist && given.length > 0)) fail('syntax error')
    const u = given[0]
    // The TTL is read after the key is found, as GETEX does: a bad one on a missing key is no error.
    const n = u === undefined ? undefined : options[u]!
    const ttl = n === undefined ? undefined : Number.isSafeInteger(n) ? n : (valueOf(n) as string)
    const unit = u === undefined ? 0 : TTL_UNIT[u.toUpperCase() as keyof typeof TTL_UNIT]
    return str(this.atOneTime(() => GETEX.run(this.s, { key: keyOf(key), ttl, unit, persist: !!options.persist })) as StrValue | null)
  }

  /** MGET: values of several keys (null for missing or non-string keys). */
  mget(this: StoreCore, ...keys: Key[]): Array<string | null> {
    // Keys read as `get` reads them, values decoded in the same pass, at one time (one clock read).
    const db = this.s.db
    const ks = this.ks
    const own = ks.beginSnapshot()
    try {
      const out: Array<string | null> = new Array(keys.length)
      for (let i = 0; i < keys.length; i++) {
        const v = mgetValue(db, readKey(keys[i]!))
        out[i] = v === null || typeof v === 'string' ? v : toStr(v)
      }
      return out
    } finally {
      if (own) ks.endSnapshot()
    }
  }

  /** MGET with exact bytes. */
  mgetBuffer(this: StoreCore, ...keys: Key[]): Array<Buffer | null> {
    return (MGET.run(this.s, keys.map(keyOf)) as Array<StrValue | null>).map(buf)
  }

  /** MSET: sets several keys, from an object, a Map or [key, value] pairs. */
  mset(this: StoreCore, entries: Record<string, Value> | Map<Key, Value> | Array<[Key, Value]>): 'OK' {
    const a = pairsOf(entries, 'mset')
    this.beforeWrite()
    MSET.run(this.s, a)
    return 'OK'
  }

  /** MSETNX: sets several keys only if none exists. True when set. */
  msetnx(this: StoreCore, entries: Record<string, Value> | Map<Key, Value> | Array<[Key, Value]>): boolean {
    const a = pairsOf(entries, 'msetnx')
    this.beforeWrite()
    return MSETNX.run(this.s, a) === 1
  }

  /** INCR. Returns the new value (a bigint past ±2^53). */
  incr(this: StoreCore, key: Key): number {
    this.beforeWrite()
    return INCR.run(this.s, keyOf(key)) as number
  }

  /** DECR. */
  decr(this: StoreCore, key: Key): number {
    this.beforeWrite()
    return DECR.run(this.s, keyOf(key)) as number
  }

  /** INCRBY. Pass a bigint for increments beyond ±2^53. */
  incrby(this: StoreCore, key: Key, increment: number | bigint): number {
    this.beforeWrite()
    return INCRBY.run(this.s, [keyOf(key), int64Arg(increment)]) as number
  }

  /** DECRBY. */
  decrby(this: StoreCore, key: Key, decrement: number | bigint): number {
    this.beforeWrite()
    const by = int64Arg(decrement)
    if (by === -9223372036854775808n) fail('decrement would overflow')
    return INCRBY.run(this.s, [keyOf(key), typeof by === 'number' ? -by : int64Arg(-by)]) as number
  }

  /** INCRBYFLOAT. Returns the new value as Redis prints it, parsed as a number. */
  incrbyfloat(this: StoreCore, key: Key, increment: number | string): number {
    this.beforeWrite()
    return Number(INCRBYFLOAT.run(this.s, [keyOf(key), floatText(increment)]))
  }

  /** APPEND: returns the new length in bytes. */
  append(this: StoreCore, key: Key, value: Value): number {
    this.beforeWrite()
    return APPEND.run(this.s, [keyOf(key), valueOf(value)]) as number
  }

  /** STRLEN: length in bytes. */
  strlen(this: StoreCore, key: Key): number {
    return STRLEN.run(this.s, keyOf(key)) as number
  }

  /** GETRANGE: the bytes from `start` to `end` (inclusive, negative from the end), decoded as UTF-8. */
  getrange(this: StoreCore, key: Key, start: number, end: number): string {
    return toStr(GETRANGE.run(this.s, { key: keyOf(key), start: int64Of(start), end: int64Of(end) }) as StrValue)
  }

  /** GETRANGE with exact bytes. */
  getrangeBuffer(this: StoreCore, key: Key, start: number, end: number): Buffer {
    return buf(GETRANGE.run(this.s, { key: keyOf(key), start: int64Of(start), end: int64Of(end) }) as StrValue)!
  }

  /** SETRANGE: overwrites bytes at `offset`; returns the new length. */
  setrange(this: StoreCore, key: Key, offset: number, value: Value): number {
    this.beforeWrite()
    if (int64Of(offset) < 0) fail('offset is out of range')
    return SETRANGE.run(this.s, [keyOf(key), offset, valueOf(value)]) as number
  }

  /** LCS: the longest common subsequence of two strings. */
  lcs(this: StoreCore, key1: Key, key2: Key): string {
    return toStr(LCS.run(this.s, { a: keyOf(key1), b: keyOf(key2), len: false, idx: false, minMatchLen: 0, withMatchLen: false }) as StrValue)
  }

  /** LCS LEN: its length. */
  lcsLen(this: StoreCore, key1: Key, key2: Key): number {
    return LCS.run(this.s, { a: keyOf(key1), b: keyOf(key2), len: true, idx: false, minMatchLen: 0, withMatchLen: false }) as number
  }

  /** LCS IDX: the matching ranges and the length. */
  lcsIdx(this: StoreCore, key1: Key, key2: Key, options: LcsOptions = {}): { matches: LcsMatch[]; len: number } {
    const r = LCS.run(this.s, {
      a: keyOf(key1),
      b: keyOf(key2),
      len: false,
      idx: true,
      minMatchLen: options.minMatchLen === undefined ? 0 : Math.max(0, int64Of(options.minMatchLen)),
      withMatchLen: !!options.withMatchLen,
    }) as MapReply
    return { matches: r.entries[1] as LcsMatch[], len: r.entries[3] as number }
  }
}

function pairsOf(entries: Record<string, Value> | Map<Key, Value> | Array<[Key, Value]>, command: string): Array<[string, StrValue]> {
  const out: Array<[string, StrValue]> = []
  const it: Iterable<[Key, Value]> = Array.isArray(entries) || entries instanceof Map ? entries : Object.entries(entries)
  for (const [k, v] of it) out.push([keyOf(k), valueOf(v)])
  needArgs(out.length, command)
  return out
}
