import { bytesOut, keyOf, toStr, type StrValue } from '../core/bytes.js'
import { fail } from '../core/errors.js'
import {
  HEXISTS,
  HGET,
  HKEYS,
  HLEN,
  HMGET,
  HRANDFIELD,
  HSTRLEN,
  HVALS,
  floatIncrement,
  hdel,
  hgetallFlat,
  hincrby,
  hincrbyfloat,
  hrandfieldCount,
  hscan,
  hset,
  hsetnx,
} from '../commands/hashes.js'
import type { StoreCore } from '../store-core.js'
import { collectionScanArgs, memberOf, memberText, membersText, type CollectionScanOptions } from './sets.js'
import { floatText, int64Arg, longAboveMinOf, needArgs, valueOf, type Key, type Value } from './strings.js'

/** Fields and values for `hset()`/`hmset()`: an object, a Map, or [field, value] pairs. */
export type HashFields = Record<string, Value> | Map<Field, Value> | ReadonlyArray<readonly [Field, Value]>

/** A hash field name: strings and Buffers as their bytes, numbers in decimal. */
export type Field = Key | number

const str = (v: StrValue | null | undefined): string | null => (v == null ? null : toStr(v))
const buf = (v: StrValue | null | undefined): Buffer | null => (v == null ? null : bytesOut(v))

/** Flattens fields and values into [f1, v1, f2, v2, ...] in the keyspace's forms. */
function flatPairs(fields: HashFields): StrValue[] {
  const out: StrValue[] = []
  if (fields instanceof Map) {
    for (const [f, v] of fields) out.push(memberOf(f), valueOf(v))
  } else if (Array.isArray(fields)) {
    for (const [f, v] of fields as ReadonlyArray<readonly [Field, Value]>) out.push(memberOf(f), valueOf(v))
  } else {
    // Own enumerable keys only, so a field named `__proto__` (defined with
    // Object.defineProperty or JSON.parse) is an ordinary field.
    const rec = fields as Record<string, Value>
    for (const f of Object.keys(rec)) out.push(keyOf(f), valueOf(rec[f]!))
  }
  return out
}

/**
 * Hash commands on the typed Store.
 *
 * Fields and values may be given as strings (their UTF-8 bytes), Buffers
 * (exact bytes) or numbers (in Redis's decimal form). They are returned as
 * strings, with bytes that are not valid UTF-8 decoded lossily; the
 * `...Buffer` variants give values as exact bytes.
 */
export class HashesApi {
  /** HSET of one field: returns 1 when the field is new, 0 when it was updated. */
  hset(this: StoreCore, key: Key, field: Field, value: Value): number
  /** HSET of several fields (object, Map or pairs): returns how many fields were new. */
  hset(this: StoreCore, key: Key, fields: HashFields): number
  hset(this: StoreCore, key: Key, fieldOrFields: Field | HashFields, value?: Value): number {
    const isOne = typeof fieldOrFields === 'string' || typeof fieldOrFields === 'number' || fieldOrFields instanceof Uint8Array
    if (isOne && value === undefined) fail("wrong number of arguments for 'hset' command")
    const pairs = isOne ? [memberOf(fieldOrFields as Field), valueOf(value!)] : flatPairs(fieldOrFields as HashFields)
    if (pairs.length === 0) fail("wrong number of arguments for 'hset' command")
    // After the arity error, as Redis refuses a denyoom command.
    this.beforeWrite()
    return hset(this.s, { key: keyOf(key), pairs })
  }

  /** HMSET: sets several fields (object, Map or pairs). */
  hmset(this: StoreCore, key: Key, fields: HashFields): 'OK' {
    const pairs = flatPairs(fields)
    if (pairs.length === 0) fail("wrong number of arguments for 'hmset' command")
    this.beforeWrite()
    hset(this.s, { key: keyOf(key), pairs })
    return 'OK'
  }

  /** HSETNX: sets the field only when it does not exist; true when set. */
  hsetnx(this: StoreCore, key: Key, field: Field, value: Value): boolean {
    this.beforeWrite()
    return hsetnx(this.s, { key: keyOf(key), field: memberOf(field), value: valueOf(value) })
  }

  /** HGET: the field's value (UTF-8 decoded), or null. */
  hget(this: StoreCore, key: Key, field: Field): string | null {
    return str(HGET.run(this.s, [keyOf(key), memberOf(field)]) as StrValue | null)
  }

  /** HGET with the value's exact bytes. */
  hgetBuffer(this: StoreCore, key: Key, field: Field): Buffer | null {
    return buf(HGET.run(this.s, [keyOf(key), memberOf(field)]) as StrValue | null)
  }

  /** HMGET: the values of the fields, null for each missing one. */
  hmget(this: StoreCore, key: Key, ...fields: Field[]): Array<string | null> {
    needArgs(fields.length, 'hmget')
    return (HMGET.run(this.s, { key: keyOf(key), fields: fields.map(memberOf) }) as Array<StrValue | null>).map(str)
  }

  /** HMGET with exact bytes. */
  hmgetBuffer(this: StoreCore, key: Key, ...fields: Field[]): Array<Buffer | null> {
    needArgs(fields.length, 'hmget')
    return (HMGET.run(this.s, { key: keyOf(key), fields: fields.map(memberOf) }) as Array<StrValue | null>).map(buf)
  }

  /**
   * HGETALL as a plain object with no prototype, so any field name —
   * `__proto__`, `constructor` — is an ordinary property. `{}` for a missing key.
   */
  hgetall(this: StoreCore, key: Key): Record<string, string> {
    const flat = hgetallFlat(this.s, keyOf(key))
    const out = Object.create(null) as Record<string, string>
    if (flat !== undefined) for (let i = 0; i < flat.length; i += 2) out[memberText(flat[i] as string)] = toStr(flat[i + 1]!)
    return out
  }

  /** HGETALL as a Map from field to value, in the hash's order. */
  hgetallMap(this: StoreCore, key: Key): Map<string, string> {
    const flat = hgetallFlat(this.s, keyOf(key))
    const out = new Map<string, string>()
    if (flat !== undefined) for (let i = 0; i < flat.length; i += 2) out.set(memberText(flat[i] as string), toStr(flat[i + 1]!))
    return out
  }

  /** HGETALL as a Map from field to the value's exact bytes. */
  hgetallBuffer(this: StoreCore, key: Key): Map<string, Buffer> {
    const flat = hgetallFlat(this.s, keyOf(key))
    const out = new Map<string, Buffer>()
    if (flat !== undefined) for (let i = 0; i < flat.length; i += 2) out.set(memberText(flat[i] as string), buf(flat[i + 1])!)
    return out
  }

  /** HDEL: removes fields; returns how many existed. A hash left empty is deleted. */
  hdel(this: StoreCore, key: Key, ...fields: Field[]): number {
    needArgs(fields.length, 'hdel')
    return hdel(this.s, { key: keyOf(key), fields: fields.map(memberOf) })
  }

  /** HEXISTS: whether the field exists. */
  hexists(this: StoreCore, key: Key, field: Field): boolean {
    return HEXISTS.run(this.s, [keyOf(key), memberOf(field)]) === 1
  }

  /** HLEN: the number of fields (0 for a missing key). */
  hlen(this: StoreCore, key: Key): number {
    return HLEN.run(this.s, keyOf(key)) as number
  }

  /** HSTRLEN: the byte length of the field's value (0 when missing). */
  hstrlen(this: StoreCore, key: Key, field: Field): number {
    return HSTRLEN.run(this.s, [keyOf(key), memberOf(field)]) as number
  }

  /** HKEYS: every field name. */
  hkeys(this: StoreCore, key: Key): string[] {
    return membersText(HKEYS.run(this.s, keyOf(key)) as string[])
  }

  /** HVALS: every value (UTF-8 decoded). */
  hvals(this: StoreCore, key: Key): string[] {
    return (HVALS.run(this.s, keyOf(key)) as StrValue[]).map(toStr)
  }

  /** HVALS with exact bytes. */
  hvalsBuffer(this: StoreCore, key: Key): Buffer[] {
    return (HVALS.run(this.s, keyOf(key)) as StrValue[]).map((v) => buf(v)!)
  }

  /**
   * HINCRBY: adds `increment` to the integer in the field (0 when missing)
   * and returns the new value. With a number increment the result is a
   * number (exact within ±2^53); with a bigint increment it is a bigint
   * (exact over the whole 64-bit range).
   */
  hincrby(this: StoreCore, key: Key, field: Field, increment: number): number
  hincrby(this: StoreCore, key: Key, field: Field, increment: bigint): bigint
  hincrby(this: StoreCore, key: Key, field: Field, increment: number | bigint): number | bigint {
    this.beforeWrite()
    const r = hincrby(this.s, { key: keyOf(key), field: memberOf(field), by: int64Arg(increment) })
    return typeof increment === 'bigint' ? BigInt(r) : Number(r)
  }

  /**
   * HINCRBYFLOAT: adds `increment` to the number in the field with Redis's
   * long double arithmetic; returns the new value. Pass a string (such as
   * '0.1' or '1e3') for an exact decimal increment.
   */
  hincrbyfloat(this: StoreCore, key: Key, field: Field, increment: number | string): number {
    this.beforeWrite()
    const by = floatIncrement(floatText(increment))
    return Number(hincrbyfloat(this.s, { key: keyOf(key), field: memberOf(field), by }))
  }

  /** HINCRBYFLOAT returning the new value exactly as Redis prints it (e.g. '0.3'). */
  hincrbyfloatString(this: StoreCore, key: Key, field: Field, increment: number | string): string {
    this.beforeWrite()
    const by = floatIncrement(floatText(increment))
    return hincrbyfloat(this.s, { key: keyOf(key), field: memberOf(field), by })
  }

  /** HRANDFIELD: a random field, or null when the hash is missing. */
  hrandfield(this: StoreCore, key: Key): string | null
  /**
   * HRANDFIELD with a count: up to `count` distinct random fields for a
   * positive count; exactly `-count` independent picks (fields may repeat)
   * for a negative one; [] for 0 or a missing key.
   */
  hrandfield(this: StoreCore, key: Key, count: number): string[]
  hrandfield(this: StoreCore, key: Key, count?: number): string | null | string[] {
    if (count === undefined) {
      const f = HRANDFIELD.run(this.s, { key: keyOf(key), count: undefined, withValues: false }) as string | null
      return f === null ? null : memberText(f)
    }
    longAboveMinOf(count)
    return membersText(hrandfieldCount(this.s, keyOf(key), count, false) as string[])
  }

  /** HRANDFIELD count WITHVALUES: random [field, value] pairs, with the same count rules as `hrandfield()`. */
  hrandfieldWithValues(this: StoreCore, key: Key, count: number): Array<[string, string]> {
    longAboveMinOf(count)
    // ±(LONG_MAX / 2) rounds to ±2^62 as a double, which is itself out of range.
    if (count <= -4611686018427387904 || count >= 4611686018427387904) fail('value is out of range')
    const pairs = hrandfieldCount(this.s, keyOf(key), count, true) as Array<[string, StrValue]>
    return pairs.map(([f, v]) => [memberText(f), toStr(v)])
  }

  /**
   * HSCAN: one step of an iteration over the fields; returns [next cursor,
   * [field, value] pairs]. Cursor '0' starts and ends an iteration. Every
   * field present for the whole iteration is returned at least once.
   */
  hscan(this: StoreCore, key: Key, cursor: number | string, options?: CollectionScanOptions): [string, Array<[string, string]>] {
    const [next, flat] = hscan(this.s, collectionScanArgs(key, cursor, options))
    const pairs = new Array<[string, string]>(flat.length / 2)
    for (let i = 0; i < flat.length; i += 2) pairs[i / 2] = [memberText(flat[i] as string), toStr(flat[i + 1]!)]
    return [String(next), pairs]
  }

  /** Iterates over [field, value] pairs with HSCAN's guarantees (a field may be seen twice if the hash changes meanwhile). */
  *hscanIterator(this: StoreCore, key: Key, options?: CollectionScanOptions): IterableIterator<[string, string]> {
    let cursor = 0
    do {
      const [next, flat] = hscan(this.s, collectionScanArgs(key, cursor, options))
      for (let i = 0; i < flat.length; i += 2) yield [memberText(flat[i] as string), toStr(flat[i + 1]!)]
      cursor = next
    } while (cursor !== 0)
  }
}
