/**
 * Hash commands (HSET … HSCAN) and the hash value they work on.
 *
 * A hash key holds a {@link RedisHash}: a {@link DenseMap} from field to value
 * (O(1) get/set/delete, O(1) random field, a SCAN cursor that survives
 * writes, insertion order) that also remembers whether Redis 7.2 would keep
 * it as a `listpack` or has moved it to a `hashtable` (never back).
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { byteLength, type StrValue } from '../core/bytes.js'
import { E, fail, syntaxError } from '../core/errors.js'
import { incrByFloat, parseLongDouble, string2ll } from '../core/numbers.js'
import { MapReply, OK, type Reply } from '../core/reply.js'
import { hotParam, registerConfig, type Config } from '../keyspace/config.js'
import { T } from '../keyspace/database.js'
import { N } from '../keyspace/notifications.js'
import type { Session } from '../session.js'
import { DenseMap } from '../types/dense-set.js'
import { int64, key, kw, val } from './args.js'
import { TYPE_HOOKS } from './keys.js'
import { fitsBytes, parseCollectionScan, rangeCount, scanOptionsOf, type CollectionScanArgs } from './sets.js'
import { defineCommand, type Arg } from './table.js'
import { readTyped, repeatPicks, writeTyped } from './util.js'

// ---------------------------------------------------------------- configuration


registerConfig({
  name: 'hash-max-listpack-entries',
  kind: { type: 'int', min: 0, max: 9223372036854775807n },
  default: 128,
  aliases: ['hash-max-ziplist-entries'],
})
// Unlike the set thresholds, this one is a memory value in Redis ('1kb' is accepted).
registerConfig({
  name: 'hash-max-listpack-value',
  kind: { type: 'memory', min: 0, max: 9223372036854775807n },
  default: 64,
  aliases: ['hash-max-ziplist-value'],
})

const lpEntries = hotParam<number>('hash-max-listpack-entries')
const lpValue = hotParam<number>('hash-max-listpack-value')

// ---------------------------------------------------------------- the value

/**
 * A hash value as a key holds it: a {@link DenseMap} of fields to values plus
 * its Redis encoding. Code that builds hashes for the keyspace (RDB loading,
 * RESTORE) should set fields with {@link hashSet} so the encoding follows
 * Redis's rules.
 */
export class RedisHash extends DenseMap<StrValue> {
  /** True while Redis would keep the hash as a listpack; false once it is a hashtable. */
  lp = true

  /** A copy with the same encoding and order (values are shared: they are never mutated in place). */
  override clone(): RedisHash {
    const c = new RedisHash()
    this.forEach((v, f) => c.set(f, v))
    c.lp = this.lp
    return c
  }
}

TYPE_HOOKS[T.HASH] = {
  encoding: (h: RedisHash) => (h.lp ? 'listpack' : 'hashtable'),
  clone: (h: RedisHash) => h.clone(),
}

/** Whether a value's byte length is at most `limit`. */
function valueFits(v: StrValue, limit: number): boolean {
  if (typeof v !== 'string') return v.length <= limit
  const n = v.length
  if (n * 3 <= limit) return true
  if (n > limit) return false
  return Buffer.byteLength(v, 'utf8') <= limit
}

/**
 * Sets a field with Redis's hashTypeSet conversions: a field or value longer
 * than `hash-max-listpack-value`, or more fields than
 * `hash-max-listpack-entries` after the write (a new field or an updated one:
 * a limit lowered since converts at the next write), turn a listpack into a
 * hashtable. Returns true when the field is new.
 */
export function hashSet(h: RedisHash, field: string, value: StrValue, cfg: Config): boolean {
  if (h.lp) {
    const lim = lpValue(cfg)
    if (!fitsBytes(field, lim) || !valueFits(value, lim)) h.lp = false
  }
  const isNew = h.set(field, value)
  if (h.lp && h.size > lpEntries(cfg)) h.lp = false
  return isNew
}

/** hashTypeTryConversion before a multi-field write: too many pairs or any long argument → hashtable. */
function tryConversion(h: RedisHash, pairs: readonly StrValue[], cfg: Config): void {
  if (!h.lp) return
  if (pairs.length / 2 > lpEntries(cfg)) {
    h.lp = false
    return
  }
  const lim = lpValue(cfg)
  for (let i = 0; i < pairs.length; i++) {
    const x = pairs[i]!
    if (i % 2 === 0 ? !fitsBytes(x as string, lim) : !valueFits(x, lim)) {
      h.lp = false
      return
    }
  }
}

function readHash(ctx: Session, k: string): RedisHash | undefined {
  const e = readTyped(ctx, k, T.HASH)
  return e === undefined ? undefined : (e.value as RedisHash)
}

/** The hash at `k` for a write, created empty when missing (hashTypeLookupWriteOrCreate). */
function writeHash(ctx: Session, k: string): RedisHash {
  const e = writeTyped(ctx, k, T.HASH)
  if (e !== undefined) return e.value as RedisHash
  const h = new RedisHash()
  ctx.db.add(k, T.HASH, h)
  return h
}

/** A stored value as the latin1 text number parsers read (non-ASCII bytes can never parse). */
const numText = (v: StrValue): string => (typeof v === 'string' ? v : v.toString('latin1'))

// ---------------------------------------------------------------- HSET HMSET HSETNX

/** A key and field/value pairs, flattened: [f1, v1, f2, v2, ...]. */
export interface HSetArgs {
  key: string
  pairs: StrValue[]
}

function parsePairs(name: string) {
  return (a: Arg[]): HSetArgs => {
    if (a.length % 2 === 0) fail(`wrong number of arguments for '${name}' command`)
    const pairs = new Array<StrValue>(a.length - 1)
    for (let i = 1; i < a.length; i += 2) {
      pairs[i - 1] = key(a[i]!)
      pairs[i] = val(a[i + 1]!)
    }
    return { key: key(a[0]!), pairs }
  }
}

/** HSET: sets the pairs; returns how many fields were new. */
export function hset(ctx: Session, { key: k, pairs }: HSetArgs): number {
  const cfg = ctx.ks.config
  const h = writeHash(ctx, k)
  tryConversion(h, pairs, cfg)
  let created = 0
  for (let i = 0; i < pairs.length; i += 2) if (hashSet(h, pairs[i] as string, pairs[i + 1]!, cfg)) created++
  ctx.signal(k, N.HASH, 'hset')
  if (ctx.ks.fx) ctx.effect('HSET', k, ...pairs)
  return created
}

export const HSET = defineCommand('hset', { parse: parsePairs('hset'), run: hset })
export const HMSET = defineCommand('hmset', {
  parse: parsePairs('hmset'),
  run(ctx, a: HSetArgs): Reply {
    hset(ctx, a)
    return OK
  },
})

/** A key, a field and a value (HSETNX). */
export interface FieldValueArgs {
  key: string
  field: string
  value: StrValue
}

/** HSETNX: sets the field only when absent; true when set. */
export function hsetnx(ctx: Session, { key: k, field, value }: FieldValueArgs): boolean {
  const cfg = ctx.ks.config
  const h = writeHash(ctx, k)
  if (h.has(field)) return false
  tryConversion(h, [field, value], cfg)
  hashSet(h, field, value, cfg)
  ctx.signal(k, N.HASH, 'hset')
  if (ctx.ks.fx) ctx.effect('HSET', k, field, value)
  return true
}

export const HSETNX = defineCommand('hsetnx', {
  parse: (a): FieldValueArgs => ({ key: key(a[0]!), field: key(a[1]!), value: val(a[2]!) }),
  run: (ctx, a: FieldValueArgs): Reply => (hsetnx(ctx, a) ? 1 : 0),
})

// ---------------------------------------------------------------- reads

/** A key and a field. */
export type KeyField = [string, string]
const parseKeyField = (a: Arg[]): KeyField => [key(a[0]!), key(a[1]!)]

/** A key and fields. */
export interface KeyFields {
  key: string
  fields: string[]
}
function parseKeyFields(a: Arg[]): KeyFields {
  const fields = new Array<string>(a.length - 1)
  for (let i = 1; i < a.length; i++) fields[i - 1] = key(a[i]!)
  return { key: key(a[0]!), fields }
}

export const HGET = defineCommand('hget', {
  parse: parseKeyField,
  run: (ctx, [k, f]: KeyField): Reply => readHash(ctx, k)?.get(f) ?? null,
})

export const HMGET = defineCommand('hmget', {
  parse: parseKeyFields,
  run(ctx, { key: k, fields }: KeyFields): Reply {
    const h = readHash(ctx, k)
    const out = new Array<Reply>(fields.length)
    for (let i = 0; i < fields.length; i++) out[i] = h === undefined ? null : (h.get(fields[i]!) ?? null)
    return out
  },
})

export const HEXISTS = defineCommand('hexists', {
  parse: parseKeyField,
  run: (ctx, [k, f]: KeyField): Reply => (readHash(ctx, k)?.has(f) ? 1 : 0),
})

export const HLEN = defineCommand('hlen', {
  parse: (a) => key(a[0]!),
  run: (ctx, k: string): Reply => readHash(ctx, k)?.size ?? 0,
})

export const HSTRLEN = defineCommand('hstrlen', {
  parse: parseKeyField,
  run(ctx, [k, f]: KeyField): Reply {
    const v = readHash(ctx, k)?.get(f)
    return v === undefined ? 0 : byteLength(v)
  },
})

export const HKEYS = defineCommand('hkeys', {
  parse: (a) => key(a[0]!),
  run(ctx, k: string): Reply {
    const h = readHash(ctx, k)
    if (h === undefined) return []
    const out = new Array<string>(h.size)
    let i = 0
    h.forEach((_v, f) => (out[i++] = f))
    return out
  },
})

export const HVALS = defineCommand('hvals', {
  parse: (a) => key(a[0]!),
  run(ctx, k: string): Reply {
    const h = readHash(ctx, k)
    if (h === undefined) return []
    const out = new Array<StrValue>(h.size)
    let i = 0
    h.forEach((v) => (out[i++] = v))
    return out
  },
})

/** HGETALL as a flat [field, value, ...] array (undefined for a missing key). */
export function hgetallFlat(ctx: Session, k: string): StrValue[] | undefined {
  const h = readHash(ctx, k)
  if (h === undefined) return undefined
  const out = new Array<StrValue>(h.size * 2)
  let i = 0
  h.forEach((v, f) => {
    out[i++] = f
    out[i++] = v
  })
  return out
}

export const HGETALL = defineCommand('hgetall', {
  parse: (a) => key(a[0]!),
  run: (ctx, k: string): Reply => new MapReply(hgetallFlat(ctx, k) ?? []),
})

// ---------------------------------------------------------------- HDEL

/** HDEL: removes fields; returns how many existed. An emptied hash is deleted. */
export function hdel(ctx: Session, { key: k, fields }: KeyFields): number {
  const e = writeTyped(ctx, k, T.HASH)
  if (e === undefined) return 0
  const h = e.value as RedisHash
  let n = 0
  for (let i = 0; i < fields.length; i++) {
    if (h.delete(fields[i]!)) {
      n++
      if (h.size === 0) break
    }
  }
  if (n > 0) {
    ctx.signal(k, N.HASH, 'hdel')
    if (h.size === 0) {
      ctx.db.delete(k)
      ctx.signal(k, N.GENERIC, 'del')
    }
    if (ctx.ks.fx) ctx.effect('HDEL', k, ...fields)
  }
  return n
}

export const HDEL = defineCommand('hdel', { parse: parseKeyFields, run: hdel })

// ---------------------------------------------------------------- HINCRBY HINCRBYFLOAT

const I64_MAX = 9223372036854775807n
const I64_MIN = -9223372036854775808n
const SAFE = 9007199254740991

/** HINCRBY arguments. */
export interface HIncrByArgs {
  key: string
  field: string
  by: number | bigint
}

/** HINCRBY: adds to the integer in a field (0 when missing); returns the new value. */
export function hincrby(ctx: Session, { key: k, field, by }: HIncrByArgs): number | bigint {
  const cfg = ctx.ks.config
  const h = writeHash(ctx, k)
  const cur = h.get(field)
  let value: number | bigint = 0
  if (cur !== undefined) {
    const n = string2ll(numText(cur))
    if (n === undefined) fail('hash value is not an integer')
    value = n
  }
  let next: number | bigint
  if (typeof value === 'number' && typeof by === 'number' && Math.abs(value + by) <= SAFE) next = value + by
  else {
    const r = BigInt(value) + BigInt(by)
    if (r > I64_MAX || r < I64_MIN) fail(E.OVERFLOW)
    next = r >= -9007199254740991n && r <= 9007199254740991n ? Number(r) : r
  }
  hashSet(h, field, String(next), cfg)
  ctx.signal(k, N.HASH, 'hincrby')
  if (ctx.ks.fx) ctx.effect('HINCRBY', k, field, String(by))
  return next
}

export const HINCRBY = defineCommand('hincrby', {
  parse: (a): HIncrByArgs => {
    const by = int64(a[2]!)
    return { key: key(a[0]!), field: key(a[1]!), by }
  },
  run: hincrby,
})

/** HINCRBYFLOAT arguments: the increment as text, already checked to be a finite number. */
export interface HIncrByFloatArgs {
  key: string
  field: string
  by: string
}

/** Checks an HINCRBYFLOAT increment (long double rules); returns it as text. */
export function floatIncrement(text: string): string {
  const d = parseLongDouble(text)
  if (d === undefined) fail(E.NOT_FLOAT)
  if (d.inf) fail('value is NaN or Infinity')
  return text
}

/** HINCRBYFLOAT: adds to the number in a field in long double precision; returns the new value as Redis prints it. */
export function hincrbyfloat(ctx: Session, { key: k, field, by }: HIncrByFloatArgs): string {
  const cfg = ctx.ks.config
  const h = writeHash(ctx, k)
  const cur = h.get(field)
  let curText: string | undefined
  if (cur !== undefined) {
    curText = numText(cur)
    if (parseLongDouble(curText) === undefined) fail('hash value is not a float')
  }
  const text = incrByFloat(curText, by)
  hashSet(h, field, text, cfg)
  ctx.signal(k, N.HASH, 'hincrbyfloat')
  // The result is written as is, so a replay does not depend on float arithmetic.
  if (ctx.ks.fx) ctx.effect('HSET', k, field, text)
  return text
}

export const HINCRBYFLOAT = defineCommand('hincrbyfloat', {
  parse: (a): HIncrByFloatArgs => ({ key: key(a[0]!), field: key(a[1]!), by: floatIncrement(numText(a[2]!)) }),
  run: hincrbyfloat,
})

// ---------------------------------------------------------------- HRANDFIELD

/** HRANDFIELD arguments: `count` undefined for the single-field form. */
export interface HRandFieldArgs {
  key: string
  count: number | undefined
  withValues: boolean
}

/** LONG_MAX / 2: the count bound with WITHVALUES (the reply holds two entries per field). */
const HALF_LONG = 4611686018427387903n

/**
 * HRANDFIELD with a count: distinct fields for a positive count, independent
 * picks (repeats allowed) for a negative one; with values, [field, value] pairs.
 */
export function hrandfieldCount(ctx: Session, k: string, count: number, withValues: boolean): string[] | Array<[string, StrValue]> {
  const h = readHash(ctx, k)
  if (h === undefined || count === 0) return []
  let fields: string[]
  if (count < 0) {
    fields = h.sampleKeys(repeatPicks(count), true)
  } else fields = h.sampleKeys(count) // every field, in order, when count >= size
  if (!withValues) return fields
  const out = new Array<[string, StrValue]>(fields.length)
  for (let i = 0; i < fields.length; i++) out[i] = [fields[i]!, h.get(fields[i]!)!]
  return out
}

export const HRANDFIELD = defineCommand('hrandfield', {
  parse(a): HRandFieldArgs {
    const r: HRandFieldArgs = { key: key(a[0]!), count: undefined, withValues: false }
    if (a.length >= 2) {
      const n = rangeCount(a[1]!)
      if (a.length > 3 || (a.length === 3 && kw(a[2]!) !== 'WITHVALUES')) syntaxError()
      if (a.length === 3) {
        // Compared exactly: the bound is not representable as a double.
        const exact = BigInt(int64(a[1]!))
        if (exact < -HALF_LONG || exact > HALF_LONG) fail('value is out of range')
        r.withValues = true
      }
      r.count = n
    }
    return r
  },
  run(ctx, a: HRandFieldArgs): Reply {
    if (a.count === undefined) {
      const h = readHash(ctx, a.key)
      return h === undefined ? null : h.randomKey()!
    }
    const r = hrandfieldCount(ctx, a.key, a.count, a.withValues)
    if (!a.withValues || ctx.resp === 3) return r as Reply
    // RESP2: a flat field, value, ... array.
    const pairs = r as Array<[string, StrValue]>
    const flat = new Array<Reply>(pairs.length * 2)
    for (let i = 0; i < pairs.length; i++) {
      flat[2 * i] = pairs[i]![0]
      flat[2 * i + 1] = pairs[i]![1]
    }
    return flat
  },
})

// ---------------------------------------------------------------- HSCAN

/** One HSCAN step: [next cursor, [field, value, ...]]. A listpack is returned whole with cursor 0, as Redis does. */
export function hscan(ctx: Session, a: CollectionScanArgs): [number, StrValue[]] {
  const h = readHash(ctx, a.key)
  if (h === undefined) return [0, []]
  const o = scanOptionsOf(a)
  const match = o.match
  const out: StrValue[] = []
  const visit = (v: StrValue, f: string): void => {
    if (match === undefined || match(f)) out.push(f, v)
  }
  if (h.lp) {
    h.forEach(visit)
    return [0, out]
  }
  const next = h.scan(a.cursor, o.count, (f, v) => visit(v, f))
  return [next, out]
}

export const HSCAN = defineCommand('hscan', {
  parse: parseCollectionScan,
  run(ctx, a: CollectionScanArgs): Reply {
    const [next, items] = hscan(ctx, a)
    return [String(next), items]
  },
})
