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
import type { StrValue } from '../core/bytes.js'
import { T, type Database, type Entry } from './database.js'
import type { Keyspace } from './keyspace.js'

// Calibrated against process.memoryUsage().heapUsed on Node 20/22, x64 (see docs/caching.md).
/** A key's share of the database `Map`, its `Entry` object, its dense-array slot and its eviction slot. */
export const ENTRY_OVERHEAD = 144
/** Extra cost of a TTL: the `volatile` set's slot and the boxed expire time. */
export const VOLATILE_OVERHEAD = 40
/** A Buffer value's JS objects; its bytes (often off the V8 heap) are counted by length on top. */
export const BUFFER_OVERHEAD = 104
/** Fixed and per-element costs of each collection type, beyond the elements' own bytes. */
export const LIST_BASE = 120
export const LIST_ELEMENT = 11
export const SET_BASE = 200
export const SET_ELEMENT = 47
export const HASH_BASE = 240
export const HASH_ELEMENT = 75
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

/** Heap bytes of a string or Buffer value. */
export function valueBytes(v: StrValue): number {
  return typeof v === 'string' ? stringBytes(v) : BUFFER_OVERHEAD + v.length
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
  if (type === T.STRING) return valueBytes(value as StrValue)
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
  if (e.type === T.STRING) {
    const v = e.value as StrValue
    return base + (typeof v === 'string' ? stringBytes(v) : BUFFER_OVERHEAD + v.length)
  }
  return base + valueSize(e.type, e.value, samples)
}

/**
 * The running totals — estimated dataset bytes (`used`, the sum of every
 * key's accounted size), its peak, the number of keys — and the slot table that
 * eviction samples. Tracking starts when a limit or an LRU/LFU policy is
 * first set (one pass over the keys to initialize) and then follows every
 * add, write, removal and flush through the keyspace hooks. Until then
 * nothing on the hot path pays for it, and `usedBytes()` answers INFO from a
 * sample.
 *
 * The slot table: while tracking, every entry has a slot (`Entry.lru` holds
 * its index, from 1; slots are kept dense by moving the last one into a hole).
 * `slots[3s]` is the entry, `slots[3s+1]` its key and `slots[3s+2]` the key
 * array of its database (arrays move with SWAPDB, so this finds the
 * database); `size[s]` is the bytes the key is accounted for, and
 * `access[s]` one number of access data (a time, an access counter or an LFU
 * word, as the eviction layer decides). Sampling keys and
 * reading their access data touches one typed array; evicting one reads one
 * slot — no entry object.
 */
export class Accounting {
  used = 0
  peak = 0
  keys = 0
  tracking = false
  /** Slots 1..n are in use; slot 0 is scratch (a new entry is touched before it gets its slot). */
  n = 0
  slots: unknown[] = [undefined, undefined, undefined]
  access = new Float64Array(1024)
  size = new Float64Array(1024)
  /** Access data of a new entry (set by the eviction layer). */
  initAccess: () => number = () => 0

  constructor(readonly ks: Keyspace) {}

  /**
   * Starts incremental tracking (idempotent). `accessOf(e)` gives the access
   * data of each existing entry (from its `lru` field, which then becomes its slot).
   */
  enable(accessOf: (e: Entry) => number): void {
    if (this.tracking) return
    this.tracking = true
    let used = 0
    let keys = 0
    for (const db of this.ks.dbs) {
      for (let i = 0; i < db.keys.length; i++) {
        const k = db.keys[i]!
        const e = db.map.get(k)!
        const m = entrySize(k, e)
        used += m
        this.addSlot(e, k, db.keys, accessOf(e), m)
      }
      keys += db.map.size
    }
    this.used = used
    this.keys = keys
    if (used > this.peak) this.peak = used
    const ks = this.ks
    ks.onKeyAdded = (db, key, e) => {
      const m = entrySize(key, e)
      this.keys++
      if ((this.used += m) > this.peak) this.peak = this.used
      this.addSlot(e, key, db.keys, this.initAccess(), m)
    }
    ks.onKeyRemoved = (_db, _key, e) => {
      this.used -= this.size[e.lru]!
      this.keys--
      this.removeSlot(e.lru)
    }
    ks.onKeyWritten = (db, key) => {
      // A write's signal usually follows its add at once, and the key added last holds the
      // top slot: found there, its entry needs no hash lookup.
      const t = this.slots
      const top = 3 * this.n
      let e: Entry | undefined
      if (t[top + 1] === key && t[top + 2] === db.keys) e = t[top] as Entry
      else {
        e = db.map.get(key)
        if (e === undefined) return
      }
      const m = entrySize(key, e)
      const sz = this.size
      if ((this.used += m - sz[e.lru]!) > this.peak) this.peak = this.used
      sz[e.lru] = m
    }
    ks.onFlush = (db) => {
      let s = 0
      const before = this.n
      for (const e of db.map.values()) {
        s += this.size[e.lru]!
        this.removeSlot(e.lru)
      }
      this.used -= s
      this.keys -= db.map.size
      // Free slots keep their last key array: drop those, so the flushed array is not kept alive.
      const t = this.slots
      for (let i = this.n + 1; i <= before; i++) t[3 * i + 2] = undefined
    }
  }

  private addSlot(e: Entry, key: string, keys: string[], access: number, size: number): void {
    const s = ++this.n
    if (s >= this.access.length) {
      const a = new Float64Array(this.access.length * 2)
      a.set(this.access)
      this.access = a
      const z = new Float64Array(a.length)
      z.set(this.size)
      this.size = z
    }
    this.size[s] = size
    const t = this.slots
    t[3 * s] = e
    t[3 * s + 1] = key
    if (t[3 * s + 2] !== keys) t[3 * s + 2] = keys
    this.access[s] = access
    e.lru = s
  }

  private removeSlot(s: number): void {
    const last = this.n--
    const t = this.slots
    const j = 3 * last
    if (s !== last) {
      const i = 3 * s
      const moved = t[j] as Entry
      t[i] = moved
      t[i + 1] = t[j + 1]
      // With one database in use this is nearly always the same array: skip the store (and its write barrier).
      if (t[i + 2] !== t[j + 2]) t[i + 2] = t[j + 2]
      this.access[s] = this.access[last]!
      this.size[s] = this.size[last]!
      moved.lru = s
    }
    // Drop the references so deleted keys are not kept alive. The key array reference stays: it is
    // its database's own, replaced only by a flush, which clears such references itself.
    t[j] = t[j + 1] = undefined
  }

  /** Bytes a tracked entry is accounted for. */
  sizeOf(e: Entry): number {
    return this.size[e.lru]!
  }

  /** The entry in slot `s`. */
  entryAt(s: number): Entry {
    return this.slots[3 * s] as Entry
  }

  /** The database holding the key in slot `s` (found by its key array, which moves with SWAPDB). */
  locate(s: number, dbs: readonly Database[]): Database | undefined {
    const keys = this.slots[3 * s + 2]
    for (let i = 0; i < dbs.length; i++) if (dbs[i]!.keys === keys) return dbs[i]
    return undefined
  }

  keyAt(s: number): string {
    return this.slots[3 * s + 1] as string
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
