/**
 * Exact recency order for allkeys-lru, over every database: a timeline of accesses indexed by the
 * access counter.
 *
 * Under an LRU policy every access takes the next value of the access counter (src/keyspace/
 * eviction.ts). Here the key accessed at counter value `t` is recorded in slot `t & mask` of a
 * ring: its database and position. So an access costs two sequential writes, where a linked list
 * would touch two cold neighbours, and nothing is ever searched for.
 *
 * - **The least recently used key** is at the first slot, from the front on, still current: the key
 *   at that position still holds that counter value in its database's `access` table. A later
 *   access gave it a new value, and a key deleted or moved left its position to another key with
 *   another value, so older slots are told apart by one read of that compact table (never of the
 *   entry), and skipped.
 * - **A key that moves** into a deleted key's position (the database keeps its keys dense) has its
 *   slot rewritten in place: O(1), and the order stays exact.
 * - **Keys outside the window** of the ring go into a binary min-heap beside it, in order of their
 *   counter values: those present when the order starts to be kept, those whose slot the ring
 *   needs again while they are still current (then the ring grows, so that this stays rare), and
 *   those given an access time in the past (RESTORE ... IDLETIME), whose counter values are not
 *   unique. The older of the ring's front and the heap's top is the least recently used key.
 *
 * @module
 */
import type { Database } from './database.js'

export class RecencyQueue {
  /** Slot `t & mask`: the database index and position of the key accessed at counter value `t`. */
  private db: Int32Array
  private pos: Int32Array
  private mask: number
  /** The front: counter values below it are in the heap or no longer current. */
  private front: number
  /** The last counter value recorded in the ring. */
  private back: number
  /** Current keys that left the ring since it last grew. */
  private spilled = 0
  /** Keys outside the ring, as a binary min-heap on the counter value. */
  private hDb: number[] = []
  private hPos: number[] = []
  private hTicks: number[] = []

  /** The database and position `oldest` found, and its counter value. */
  foundDb = 0
  foundAt = 0
  foundTick = 0

  /** An order that starts after counter value `tick`, with every key now present in the heap. */
  constructor(
    private readonly dbs: Database[],
    tick: number,
  ) {
    let keys = 0
    for (const d of dbs) keys += d.keys.length
    let cap = 1024
    while (cap < 4 * keys) cap *= 2
    this.db = new Int32Array(cap)
    this.pos = new Int32Array(cap)
    this.mask = cap - 1
    this.front = tick + 1
    this.back = tick
    for (const d of dbs) {
      const a = d.access!
      for (let i = 0; i < d.keys.length; i++) this.heapPush(d.id, i, a[i]!)
    }
  }

  /** Records an access of the key at position `at` of database `db` with counter value `t`, the next one. */
  push(db: number, at: number, t: number): void {
    if (t - this.front > this.mask) this.makeRoom(t)
    const s = t & this.mask
    this.db[s] = db
    this.pos[s] = at
    this.back = t
  }

  /** The key with counter value `t` moved from position `from` to `to` of `db`. */
  moved(db: Database, from: number, to: number, t: number): void {
    const s = t & this.mask
    if (t >= this.front && t <= this.back && this.pos[s] === from && this.db[s] === db.id) this.pos[s] = to
    else this.place(db, to, t)
  }

  /** Records the key at position `at` of `db` with counter value `t`, older than the ring's accesses. */
  place(db: Database, at: number, t: number): void {
    // Entries no longer current leave only from the top: rebuilt when they are most of the heap.
    if (this.hPos.length >= 2 * this.keyCount() + 64) this.rebuildHeap()
    this.heapPush(db.id, at, t)
  }

  /**
   * Finds the least recently used key, left in place (`foundDb`, `foundAt`, `foundTick`). False
   * when no key is recorded. Entries no longer current are dropped on the way.
   */
  oldest(): boolean {
    const dbs = this.dbs
    const ring = this.pos
    const rdb = this.db
    const mask = this.mask
    let t = this.front
    let found = false
    for (; t <= this.back; t++) {
      const s = t & mask
      const d = dbs[rdb[s]!]!
      const p = ring[s]!
      if (isCurrent(d, p, t)) {
        this.foundDb = d.id
        this.foundAt = p
        this.foundTick = t
        found = true
        break
      }
    }
    this.front = t
    const hp = this.hPos
    while (hp.length > 0) {
      const d = dbs[this.hDb[0]!]!
      const p = hp[0]!
      const ht = this.hTicks[0]!
      if (isCurrent(d, p, ht)) {
        if (!found || ht < this.foundTick) {
          this.foundDb = d.id
          this.foundAt = p
          this.foundTick = ht
          found = true
        }
        break
      }
      this.popHeap()
    }
    return found
  }

  private keyCount(): number {
    let n = 0
    for (const d of this.dbs) n += d.keys.length
    return n
  }

  /** Frees the slot of counter value `t`: current keys in front of the window go to the heap; the ring grows when that is frequent. */
  private makeRoom(t: number): void {
    const dbs = this.dbs
    const cap = this.mask + 1
    if (this.spilled * 8 > cap && cap < 16 * this.keyCount()) {
      // Grow: the window moves into a ring twice the size.
      const grown = cap * 2
      const db = new Int32Array(grown)
      const pos = new Int32Array(grown)
      for (let u = this.front; u <= this.back; u++) {
        db[u & (grown - 1)] = this.db[u & this.mask]!
        pos[u & (grown - 1)] = this.pos[u & this.mask]!
      }
      this.db = db
      this.pos = pos
      this.mask = grown - 1
      this.spilled = 0
      if (t - this.front <= this.mask) return
    }
    const end = t - this.mask
    for (let u = this.front; u < end; u++) {
      const s = u & this.mask
      const d = dbs[this.db[s]!]!
      const p = this.pos[s]!
      if (isCurrent(d, p, u)) {
        this.heapPush(d.id, p, u)
        this.spilled++
      }
    }
    this.front = end
  }

  private heapPush(db: number, at: number, t: number): void {
    const hd = this.hDb
    const hp = this.hPos
    const ht = this.hTicks
    let i = hp.length
    hd.push(db)
    hp.push(at)
    ht.push(t)
    while (i > 0) {
      const p = (i - 1) >> 1
      if (ht[p]! <= t) break
      this.heapSet(i, hd[p]!, hp[p]!, ht[p]!)
      i = p
    }
    this.heapSet(i, db, at, t)
  }

  /** Puts a key (database, position, counter value) at index `i` of the heap. */
  private heapSet(i: number, db: number, at: number, t: number): void {
    this.hDb[i] = db
    this.hPos[i] = at
    this.hTicks[i] = t
  }

  private rebuildHeap(): void {
    const dbs = this.dbs
    const { hDb, hPos, hTicks } = this
    this.hDb = []
    this.hPos = []
    this.hTicks = []
    for (let i = 0; i < hPos.length; i++) {
      const d = dbs[hDb[i]!]!
      const p = hPos[i]!
      if (isCurrent(d, p, hTicks[i]!)) this.heapPush(d.id, p, hTicks[i]!)
    }
  }

  private popHeap(): void {
    const hd = this.hDb
    const hp = this.hPos
    const ht = this.hTicks
    const d = hd.pop()!
    const p = hp.pop()!
    const t = ht.pop()!
    const n = hp.length
    if (n === 0) return
    let i = 0
    for (;;) {
      let c = 2 * i + 1
      if (c >= n) break
      if (c + 1 < n && ht[c + 1]! < ht[c]!) c++
      if (ht[c]! >= t) break
      this.heapSet(i, hd[c]!, hp[c]!, ht[c]!)
      i = c
    }
    this.heapSet(i, d, p, t)
  }
}

/** Whether position `p` of `d` still holds the key that had counter value `t` there. */
function isCurrent(d: Database, p: number, t: number): boolean {
  return p < d.keys.length && d.access![p] === t
}
