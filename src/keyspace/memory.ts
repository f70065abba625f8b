/**
 * Memory accounting: an estimate of each entry's heap footprint (key, value,
 * structure overhead), kept per key in the slot table below and summed into
 * `Accounting.used` — never by walking the keyspace on the hot path.
 *
 * The estimate models V8's layout on a 64-bit Node (no pointer compression):
 * a one-byte string costs a 16-byte header plus its characters rounded up to
 * 8; a key costs its `Map` slot, its `Entry` object and its slot in the dense
 * key array. Collections cost a fixed part plus `size × per-element cost`,
 * where the per-element cost is a structural constant per type plus the
 * average size of a few elements: all of them for small collections, a random
 * sample of `SAMPLES_PER_WRITE` for larger ones (O(1) per write).
 * `docs/caching.md` compares these figures with measured heap usage.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import type { StoredStr } from '../core/bytes.js'
import { T, type Database, type Entry } from './database.js'
import type { Keyspace } from './keyspace.js'

// Calibrated against process.memoryUsage().heapUsed on Node 20/22, x64 (see docs/caching.md).
/** A key's share of the database `Map`, its `Entry` object, and its slots in the key array and the eviction tables. */
export const ENTRY_OVERHEAD = 136
/** Extra cost of a TTL: the `volatile` set's slot and the boxed expire time. */
export const VOLATILE_OVERHEAD = 40
/** A Buffer value's JS objects; its bytes (often off the V8 heap) are counted by length on top. */
export const BUFFER_OVERHEAD = 104
/** Fixed and per-element costs of each collection type, beyond the elements' own bytes. */
export const LIST_BASE = 120
export const LIST_ELEMENT = 11
export const SET_BASE = 200
export const SET_ELEMENT = 74
export const HASH_BASE = 240
export const HASH_ELEMENT = 105
export const ZSET_BASE = 320
export const ZSET_ELEMENT = 115
export const STREAM_BASE = 400
export const STREAM_ELEMENT = 160
/** Collections up to this size are measured exactly; larger ones are sampled. */
export const EXACT_LIMIT = 8
/** Elements sampled per write for larger collections. */
export const SAMPLES_PER_WRITE = 4

/** Heap bytes of a string: V8's 16-byte header plus its characters, 8-byte aligned. */
export function stringBytes(s: string): number {
  // One character decides one- or two-byte storage: O(1), and right for
  // ASCII/Latin-1 text and for embedis's binary-key strings (which start at U+DC00).
  const n = s.length
  return s.charCodeAt(0) > 0xff ? (16 + 2 * n + 7) & ~7 : (16 + n + 7) & ~7
}

/**
 * Heap bytes of a string key's value: a string, a Buffer, or an integer kept by INCR (a small
 * integer lives in the entry itself, a larger one in a 16-byte heap number).
 */
export function valueBytes(v: StoredStr): number {
  if (typeof v === 'string') return stringBytes(v)
  if (typeof v === 'number') return v >= -0x40000000 && v < 0x40000000 ? 0 : 16
  return BUFFER_OVERHEAD + v.length
}

// Reused by the samplers so a write allocates nothing.
let acc = 0
let seen = 0
const addElement = (v: unknown): void => {
  acc += elementBytes(v)
  seen++
}
const addPair = (v: unknown, k: unknown): void => {
  acc += elementBytes(k) + elementBytes(v)
  seen++
}
const addMember = (m: unknown): void => {
  acc += elementBytes(m)
  seen++
}

function elementBytes(v: unknown): number {
  if (typeof v === 'string') return stringBytes(v)
  if (Buffer.isBuffer(v)) return BUFFER_OVERHEAD + v.length
  if (typeof v === 'number') return 16
  if (v !== null && typeof v === 'object' && typeof (v as { member?: unknown }).member === 'string') {
    return stringBytes((v as { member: string }).member)
  }
  return 16
}

interface AnyCollection {
  size?: number
  length?: number
  at?(i: number): unknown
  get?(k: string): unknown
  random?(rng?: () => number): unknown
  randomKey?(rng?: () => number): string | undefined
  randomMember?(rng?: () => number): unknown
  forEach?(fn: (a: any, b: any) => void): void
  [Symbol.iterator]?(): Iterator<unknown>
}

/** Number of elements of a collection value (its `size`, or `length` for lists). */
export function collectionSize(v: AnyCollection): number {
  const n = v.size ?? v.length
  return typeof n === 'number' ? n : 0
}

/**
 * Average bytes of one element (for hashes: field plus value) of a collection
 * of `n` elements, from `samples` of them (0: every element). Small
 * collections are always measured whole.
 */
export function averageElementBytes(type: number, v: AnyCollection, n: number, samples: number): number {
  if (n === 0) return 0
  acc = 0
  seen = 0
  const exact = samples === 0 || n <= Math.max(samples, EXACT_LIMIT)
  if (type === T.LIST && typeof v.at === 'function') {
    if (exact) for (let i = 0; i < n; i++) addElement(v.at(i))
    else for (let i = 0; i < samples; i++) addElement(v.at(Math.floor(Math.random() * n)))
  } else if (type === T.HASH && typeof v.randomKey === 'function' && typeof v.get === 'function') {
    if (exact) v.forEach!(addPair)
    else
      for (let i = 0; i < samples; i++) {
        const k = v.randomKey()
        if (k !== undefined) addPair(v.get(k), k)
      }
  } else if (type === T.SET && typeof v.random === 'function') {
    if (exact) v.forEach!(addMember)
    else for (let i = 0; i < samples; i++) addMember(v.random())
  } else if (type === T.ZSET && typeof v.randomMember === 'function') {
    if (exact) v.forEach!(addMember)
    else for (let i = 0; i < samples; i++) addMember(v.randomMember())
  } else if (v instanceof Map) {
    // A plain Map has no random access: its first elements stand for the rest, as in Redis's MEMORY USAGE.
    for (const [k, x] of v) {
      addPair(x, k)
      if (!exact && seen >= samples) break
    }
  } else if (typeof v[Symbol.iterator] === 'function') {
    for (const x of v as Iterable<unknown>) {
      addElement(x)
      if (!exact && seen >= samples) break
    }
  } else return 0
  return seen === 0 ? 0 : acc / seen
}

/** Estimated heap bytes of a value of `type`, sampling up to `samples` elements of a collection (0: all). */
export function valueSize(type: number, value: unknown, samples: number): number {
  if (type === T.STRING) return valueBytes(value as StoredStr)
  const v = value as AnyCollection
  const n = collectionSize(v)
  const avg = averageElementBytes(type, v, n, samples)
  switch (type) {
    case T.LIST:
      return LIST_BASE + Math.round(n * (LIST_ELEMENT + avg))
    case T.SET:
      return SET_BASE + Math.round(n * (SET_ELEMENT + avg))
    case T.HASH:
      return HASH_BASE + Math.round(n * (HASH_ELEMENT + avg))
    case T.ZSET:
      return ZSET_BASE + Math.round(n * (ZSET_ELEMENT + avg))
    default:
      return STREAM_BASE + Math.round(n * (STREAM_ELEMENT + avg))
  }
}

/** Estimated heap bytes of one key: its entry, key string, TTL bookkeeping and value. */
export function entrySize(key: string, e: Entry, samples: number = SAMPLES_PER_WRITE): number {
  const base = ENTRY_OVERHEAD + stringBytes(key) + (e.expire !== 0 ? VOLATILE_OVERHEAD : 0)
  if (e.type === T.STRING) return base + valueBytes(e.value as StoredStr)
  return base + valueSize(e.type, e.value, samples)
}

/**
 * The running totals — estimated dataset bytes (`used`, the sum of every
 * key's accounted size), its peak, the number of keys — and the per-key
 * tables that eviction samples. Tracking starts when a limit or an LRU/LFU
 * policy is first set (one pass over the keys to initialize) and then follows
 * every add, write, removal and flush through the keyspace hooks. Until then
 * nothing on the hot path pays for it, and `usedBytes()` answers INFO from a
 * sample.
 *
 * The tables are each database's own (`Database.ents`, `access` and `sizes`,
 * in the order of its dense key array): for the key at position `i`,
 * `access[i]` is one number of access data (a time, an access counter or an
 * LFU word, as the eviction layer decides) and `sizes[i]` the bytes the key
 * is accounted for. Sampling a key and reading its access data touches one
 * typed array; evicting it reads its key and entry by position — no hash
 * lookup.
 */
export class Accounting {
  used = 0
  peak = 0
  keys = 0
  tracking = false
  /** Access data of a new entry (set by the eviction layer). */
  initAccess: (db: Database, at: number) => number = () => 0
  /** The entry added last if its value is a string, with that value and its TTL presence as accounted. */
  private fresh: Entry | undefined
  private freshValue: unknown
  private freshTtl = false

  constructor(readonly ks: Keyspace) {}

  /**
   * Starts incremental tracking (idempotent). `accessOf(e)` gives the access
   * data of each existing entry (from its `lru` field).
   */
  enable(accessOf: (e: Entry) => number): void {
    if (this.tracking) return
    this.tracking = true
    let used = 0
    let keys = 0
    for (const db of this.ks.dbs) {
      db.startTables()
      const ents = db.ents!
      for (let i = 0; i < ents.length; i++) {
        const e = ents[i]!
        const m = entrySize(db.keys[i]!, e)
        used += m
        db.access![i] = accessOf(e)
        db.sizes![i] = m
      }
      keys += ents.length
    }
    this.used = used
    this.keys = keys
    if (used > this.peak) this.peak = used
    const ks = this.ks
    ks.onKeyAdded = (db, key, e) => {
      const m = entrySize(key, e)
      this.keys++
      if ((this.used += m) > this.peak) this.peak = this.used
      db.access![e.idx] = this.initAccess(db, e.idx)
      db.sizes![e.idx] = m
      // A string value or a counter (both immutable): while the entry keeps it, and its TTL presence,
      // the size stands.
      const v = e.value
      this.fresh = e.type === T.STRING && (typeof v === 'string' || typeof v === 'number') ? e : undefined
      this.freshValue = v
      this.freshTtl = e.expire !== 0
    }
    ks.onKeyRemoved = (db, _key, i) => {
      this.used -= db.sizes![i]!
      this.keys--
    }
    ks.onKeyWritten = (db, key) => {
      // A write's signal usually follows its add at once, and the key added last is at the top
      // of the key array: found there, its entry needs no hash lookup.
      const keys = db.keys
      const top = keys.length - 1
      let e: Entry | undefined
      if (top >= 0 && keys[top] === key) {
        e = db.ents![top]!
        // A string written as it was just added (SET of a new key): accounted for already.
        if (e === this.fresh && e.value === this.freshValue && e.type === T.STRING && (e.expire !== 0) === this.freshTtl) return
      } else {
        e = db.map.get(key)
        if (e === undefined) return
      }
      // Accounted anew: whatever was remembered of the entry added last may be out of date.
      this.fresh = undefined
      const m = entrySize(key, e!)
      const sizes = db.sizes!
      const at = e!.idx
      if ((this.used += m - sizes[at]!) > this.peak) this.peak = this.used
      sizes[at] = m
    }
    ks.onFlush = (db) => {
      const sizes = db.sizes!
      let s = 0
      for (let i = 0; i < db.keys.length; i++) s += sizes[i]!
      this.used -= s
      this.keys -= db.keys.length
    }
  }

  /**
   * The database whose tables hold `e` (`hint` first), or undefined for an entry no longer in
   * one (a background snapshot may still visit it).
   */
  ownerOf(e: Entry, hint?: Database): Database | undefined {
    if (hint !== undefined && hint.ents?.[e.idx] === e) return hint
    for (const db of this.ks.dbs) if (db.ents?.[e.idx] === e) return db
    return undefined
  }

  /** Bytes a tracked entry is accounted for (0 for an entry no longer in a database). */
  sizeOf(e: Entry, db?: Database): number {
    const d = this.ownerOf(e, db)
    return d === undefined ? 0 : d.sizes![e.idx]!
  }

  /** Dataset bytes: the tracked total, or (before tracking starts) an estimate from up to 1024 sampled keys per database. */
  usedBytes(): number {
    if (this.tracking) return this.used
    let total = 0
    for (const db of this.ks.dbs) total += estimateDatabase(db, 1024)
    if (total > this.peak) this.peak = total
    return total
  }
}

/** Estimated bytes of a database: exact when it holds at most `limit` keys, else extrapolated from `limit` random keys. */
export function estimateDatabase(db: Database, limit: number): number {
  const n = db.keys.length
  if (n === 0) return 0
  let s = 0
  if (n <= limit) {
    for (const [k, e] of db.map) s += entrySize(k, e)
    return s
  }
  for (let i = 0; i < limit; i++) {
    const k = db.keys[Math.floor(Math.random() * n)]!
    const e = db.map.get(k)
    if (e !== undefined) s += entrySize(k, e)
  }
  return Math.round((s / limit) * n)
}
