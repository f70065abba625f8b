import { keyOf } from '../core/bytes.js'
import type { Keyspace } from './keyspace.js'
import { N } from './notifications.js'

/** Redis's type codes, as RDB and OBJECT use them. */
export const T = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  STREAM: 6,
} as const
export type TypeCode = (typeof T)[keyof typeof T]

export const TYPE_NAMES: Record<number, string> = {
  [T.STRING]: 'string',
  [T.LIST]: 'list',
  [T.SET]: 'set',
  [T.ZSET]: 'zset',
  [T.HASH]: 'hash',
  [T.STREAM]: 'stream',
}

/** Entry flag: a string value that Redis would hold RAW-encoded (after APPEND, SETRANGE, SETBIT...). */
export const F_RAW = 1
/** Entry flag: a string Redis holds as a string object though it reads as an integer (INCRBYFLOAT's result). */
export const F_NOINT = 2
/** Entry flag: an integer string in an object of its own, not Redis's shared one (a COPY's copy). */
export const F_NOSHARE = 4

/**
 * One key's value and metadata. `expire` is an absolute time in ms (0 = none);
 * `idx` is the key's slot in the database's dense key array (for O(1) random
 * keys and a safe SCAN cursor).
 */
export class Entry {
  type: number
  value: any
  expire: number
  idx: number
  flags: number
  /**
   * Last access (LRU clock, seconds) until memory accounting starts tracking keys; from then on
   * access data live in the database's `access` table at `idx` (src/keyspace/memory.ts).
   */
  lru: number
  constructor(type: number, value: unknown) {
    this.type = type
    this.value = value
    this.expire = 0
    this.idx = 0
    this.flags = 0
    this.lru = 0
  }
}

const MAP_GET = Map.prototype.get

/** Something that watches keys (a session with WATCH). */
export interface Watcher {
  /** Called when a watched key is modified. */
  dirtyWatch(): void
  /** SWAPDB is about to give the watched key's database the contents of `incoming` (and the key exists in one of them). */
  swapWatch?(incoming: Database): void
}

/**
 * One numbered database: the key → entry map, the dense key array, the set of
 * keys with a TTL, and the registries of watchers and blocked clients.
 */
export class Database {
  map = new Map<string, Entry>()
  keys: string[] = []
  /**
   * While memory accounting tracks keys (src/keyspace/memory.ts), in `keys` order: the entries,
   * their access data and the bytes each is accounted for. Eviction samples keys by position
   * (reading only the compact `access` array), with no hash lookup; the tables move with `keys`
   * when a deletion fills a hole.
   */
  ents: Entry[] | undefined
  access: Float64Array | undefined
  sizes: Float64Array | undefined
  /** Keys with a TTL (Redis's `expires` dict), iterated by the active expiry cycle. */
  volatile = new Set<string>()
  private volatileIter: Iterator<string> | undefined
  /** WATCHed keys → sessions watching them. */
  watched: Map<string, Set<Watcher>> | undefined
  /** Keys with blocked clients waiting on them; managed by the blocking layer. */
  blocked: Map<string, unknown> | undefined

  constructor(
    readonly ks: Keyspace,
    readonly id: number,
  ) {}

  get size(): number {
    return this.map.size
  }

  /**
   * Finds a live entry (expiring it lazily), without touching statistics.
   * Every command's key lookup goes through here or `read`.
   */
  lookup(key: string): Entry | undefined {
    const e = this.map.get(key)
    if (e === undefined) return e
    if (e.expire !== 0 && e.expire <= this.ks.now()) {
      this.expire(key, e)
      return undefined
    }
    const touch = this.ks.touch
    if (touch === undefined) e.lru = this.ks.lruClock
    else touch(this, e)
    return e
  }

  /** A lookup that does not count as an access (OBJECT, TYPE-like introspection). */
  peek(key: string): Entry | undefined {
    const e = this.map.get(key)
    if (e === undefined || e.expire === 0) return e
    if (e.expire > this.ks.now()) return e
    this.expire(key, e)
    return undefined
  }

  /** A lookup for a read command: counts keyspace hits and misses. */
  read(key: string): Entry | undefined {
    const e = this.lookup(key)
    // A raw ill-formed string from `readKey`: its canonical form may be present.
    if (e === undefined && !key.isWellFormed() && key.charCodeAt(0) !== 0xdc00) return this.read(keyOf(key))
    return this.counted(key, e, true)
  }

  /**
   * A read that counts keyspace hits and misses but leaves the key's access data alone (Redis's
   * LOOKUP_NOTOUCH): EXISTS, TYPE, the TTL family and OBJECT, which passes `notify` false (no
   * `keymiss` event, as LOOKUP_NONOTIFY).
   */
  readNoTouch(key: string, notify = true): Entry | undefined {
    return this.counted(key, this.peek(key), notify)
  }

  private counted(key: string, e: Entry | undefined, notify: boolean): Entry | undefined {
    const ks = this.ks
    if (e === undefined) {
      ks.stats.keyspaceMisses++
      if (notify && ks.notifyFlags & N.KEY_MISS) ks.notify(N.KEY_MISS, 'keymiss', key, this.id)
    } else ks.stats.keyspaceHits++
    return e
  }

  /** True when the key exists and has not expired. */
  has(key: string): boolean {
    return this.lookup(key) !== undefined
  }

  /**
   * An evicted key's entry, kept for the next `add`: under eviction every insert
   * follows an eviction, and reusing the object spares the allocation and the
   * garbage collector's work on a short-lived old-generation object.
   */
  spare: Entry | undefined
  /**
   * The entry of the key at the top of `keys` when `add` put it there reusing `spare` (else
   * undefined): under eviction `unlink` moves that key into the evicted key's hole, and it is
   * nearly always the key added last, so its entry is known without a hash lookup.
   */
  private topEntry: Entry | undefined

  /** Adds a key known to be absent. Signals blocked clients when it creates a list, sorted set or stream. */
  add(key: string, type: number, value: unknown): Entry {
    let e = this.spare
    if (e === undefined) {
      e = new Entry(type, value)
      // Only a recycled entry is remembered as the top's: storing a new (young) entry into this
      // long-lived object would cost a write barrier's slow path on every add.
      this.topEntry = undefined
    } else {
      this.spare = undefined
      e.type = type
      e.value = value
      e.expire = 0
      e.flags = 0
      this.topEntry = e
    }
    const i = this.keys.length
    e.idx = i
    this.keys.push(key)
    const ents = this.ents
    if (ents === undefined) e.lru = this.ks.lruClock
    else {
      // Tracked: the accounting hook below fills the key's access data and size.
      ents.push(e)
      if (i === this.access!.length) this.growTables()
    }
    this.map.set(key, e)
    if (this.blocked !== undefined && this.blocked.has(key)) this.ks.signalReady(this, key)
    if (this.ks.notifyFlags & N.NEW) this.ks.notify(N.NEW, 'new', key, this.id)
    if (this.ks.onKeyAdded !== undefined) this.ks.onKeyAdded(this, key, e)
    return e
  }

  /**
   * SET semantics: replaces whatever is at `key` with a new value of `type`,
   * dropping its TTL unless `keepTtl`. Returns the entry.
   */
  set(key: string, type: number, value: unknown, keepTtl = false): Entry {
    const e = this.map.get(key)
    if (e === undefined) return this.add(key, type, value)
    if (e.expire !== 0 && !keepTtl) {
      e.expire = 0
      this.volatile.delete(key)
    }
    e.type = type
    e.value = value
    e.flags = 0
    return e
  }

  /** Removes a key. Returns whether it was there (expired keys count as absent only if checked first). */
  delete(key: string): boolean {
    const e = this.map.get(key)
    if (e === undefined) return false
    this.unlink(key, e)
    return true
  }

  /** Doubles the accounting tables' room. */
  private growTables(): void {
    const a = new Float64Array(this.access!.length * 2)
    a.set(this.access!)
    this.access = a
    const z = new Float64Array(a.length)
    z.set(this.sizes!)
    this.sizes = z
  }

  /** Starts the per-key tables of memory accounting; the caller fills `access` and `sizes`. */
  startTables(): void {
    const map = this.map
    this.ents = this.keys.map((k) => map.get(k)!)
    const room = Math.max(64, 2 * this.keys.length)
    this.access = new Float64Array(room)
    this.sizes = new Float64Array(room)
  }

  /**
   * Removes a key whose current entry the caller already holds (saves the hash lookup of `delete`).
   * The last key of `keys` moves into its place. A caller that knows the key's position passes it
   * as `i`: reading it off a cold entry would hold up the whole removal.
   */
  unlink(key: string, e: Entry, i: number = e.idx): void {
    const map = this.map
    map.delete(key)
    // The accounting hook reads the key's size before another key's moves over it.
    if (this.ks.onKeyRemoved !== undefined) this.ks.onKeyRemoved(this, key, i)
    const keys = this.keys
    const last = keys.pop()!
    const n = keys.length
    const ents = this.ents
    if (ents !== undefined) {
      const moved = ents.pop()!
      if (i !== n) {
        // A background snapshot hooks `map.get` and must see the moved entry before its idx changes.
        if (map.get !== MAP_GET) map.get(last)
        keys[i] = last
        ents[i] = moved
        moved.idx = i
        const t = (this.access![i] = this.access![n]!)
        this.sizes![i] = this.sizes![n]!
        if (this.ks.onKeyMoved !== undefined) this.ks.onKeyMoved(this, n, i, t)
      }
    } else if (i !== n) {
      keys[i] = last
      let moved = this.topEntry
      // The cached top entry is used only while it is still the top's (same slot); see above for `map.get`.
      if (moved === undefined || moved.idx !== n || map.get !== MAP_GET) moved = map.get(last)!
      moved.idx = i
    }
    this.topEntry = undefined
    if (e.expire !== 0) this.volatile.delete(key)
  }

  /** Sets an absolute expiry time (ms) on an existing entry. */
  setExpire(key: string, e: Entry, when: number): void {
    if (e.expire === 0) this.volatile.add(key)
    e.expire = when
  }

  /** Removes a TTL. Returns whether there was one. */
  persist(key: string, e: Entry): boolean {
    if (e.expire === 0) return false
    e.expire = 0
    this.volatile.delete(key)
    return true
  }

  /** Deletes an expired key the way Redis does: stats, `expired` event, WATCH, and a DEL effect. */
  expire(key: string, e: Entry): void {
    const ks = this.ks
    this.unlink(key, e)
    ks.stats.expiredKeys++
    ks.keyChanged(this, key)
    ks.notify(N.EXPIRED, 'expired', key, this.id)
    if (ks.fx) ks.emit(this.id, ['DEL', key])
  }

  /** A uniformly random live key, or undefined when the database is empty. */
  randomKey(): string | undefined {
    // Bounded retries: if every key sampled keeps turning out expired, they get deleted as we go.
    for (;;) {
      const n = this.keys.length
      if (n === 0) return undefined
      const key = this.keys[Math.floor(Math.random() * n)]!
      // Not an access of the key (Redis's dbRandomKey only expires it if due).
      if (this.peek(key) !== undefined) return key
    }
  }

  /**
   * One SCAN step: visits up to `count` slots of the dense key array from the
   * top down, calling `fn` for each live key. The cursor is the number of slots
   * still to visit (0 on the first call means "from the top"); returns the next
   * cursor, 0 when done. A key moves only from the top slot into a hole, so a
   * key present during the whole iteration is never missed.
   */
  scan(cursor: number, count: number, fn: (key: string, e: Entry) => void): number {
    let i = cursor === 0 ? this.keys.length : Math.min(cursor, this.keys.length)
    const now = this.ks.now()
    while (i > 0 && count > 0) {
      i--
      count--
      const key = this.keys[i]!
      const e = this.map.get(key)!
      if (e.expire !== 0 && e.expire <= now) {
        this.expire(key, e)
        continue
      }
      fn(key, e)
    }
    return i
  }

  /**
   * Active expiry: tests up to `limit` keys with a TTL, continuing where the
   * previous call stopped, and deletes the expired ones. Returns [tested, expired].
   */
  expireCycle(limit: number, now: number): [number, number] {
    let tested = 0
    let expired = 0
    if (this.volatile.size === 0) return [0, 0]
    let it = this.volatileIter ?? (this.volatileIter = this.volatile.values())
    while (tested < limit) {
      let r = it.next()
      if (r.done) {
        it = this.volatileIter = this.volatile.values()
        r = it.next()
        if (r.done) break
      }
      tested++
      const key = r.value
      const e = this.map.get(key)
      if (e !== undefined && e.expire !== 0 && e.expire <= now) {
        this.expire(key, e)
        expired++
      }
    }
    return [tested, expired]
  }

  /** Empties the database (FLUSHDB). Watched keys that existed are touched. */
  flush(): number {
    const n = this.map.size
    if (this.watched !== undefined) for (const key of this.watched.keys()) if (this.map.has(key)) this.ks.keyChanged(this, key)
    if (this.ks.onFlush !== undefined) this.ks.onFlush(this)
    if (this.ks.tracking !== undefined) this.ks.tracking.flushed()
    this.map = new Map()
    this.keys = []
    if (this.ents !== undefined) {
      this.ents = []
      this.access = new Float64Array(64)
      this.sizes = new Float64Array(64)
    }
    this.volatile = new Set()
    this.volatileIter = undefined
    this.topEntry = undefined
    return n
  }

  /** Exchanges the contents of two databases (SWAPDB); watchers and blocked clients stay with the index. */
  swapWith(other: Database): void {
    const { map, keys, volatile, ents, access, sizes } = this
    this.map = other.map
    this.keys = other.keys
    this.volatile = other.volatile
    this.ents = other.ents
    this.access = other.access
    this.sizes = other.sizes
    other.map = map
    other.keys = keys
    other.volatile = volatile
    other.ents = ents
    other.access = access
    other.sizes = sizes
    this.volatileIter = other.volatileIter = undefined
    this.topEntry = other.topEntry = undefined
    if (this.ks.onSwapped !== undefined) this.ks.onSwapped()
  }

  /**
   * Before SWAPDB gives this database `incoming`'s contents: Redis's touchAllWatchedKeysInDb, which
   * concerns only watched keys that exist here or there (the watchers decide about expired ones).
   */
  touchAllWatched(incoming: Database): void {
    const w = this.watched
    if (w === undefined) return
    for (const [key, set] of w) {
      if (!this.map.has(key) && !incoming.map.has(key)) continue
      for (const s of set) if (s.swapWatch !== undefined) s.swapWatch(incoming)
      else s.dirtyWatch()
    }
  }
}
