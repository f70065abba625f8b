/**
 * maxmemory, maxkeys and Redis's eight eviction policies.
 *
 * - Limits are checked before a write (`StoreCore.beforeWrite`, which the
 *   dispatcher calls for `denyoom` commands and typed write methods call
 *   themselves): over a limit, keys are evicted until the store is back under
 *   it, or — with `noeviction`, or when nothing can be evicted — the write is
 *   refused with Redis's OOM error. Reads never evict.
 * - allkeys-lru evicts in exact LRU order, kept by src/keyspace/recency.ts.
 * - Other policies choose victims as Redis does: `maxmemory-samples` keys are
 *   sampled into a pool of the 16 best candidates kept across evictions, and
 *   the best candidate still valid is evicted. Sampling is uniform over every
 *   key of every database and reads only the per-key tables of the accounting
 *   layer (src/keyspace/memory.ts), so it costs a few array reads per sample.
 * - Access data depend on the policy, as in Redis: LFU policies keep Redis's
 *   24-bit word (16-bit minutes, 8-bit logarithmic counter with
 *   `lfu-log-factor` and `lfu-decay-time`); LRU policies keep an access
 *   counter — a clock that moves with every access rather than every second,
 *   so recency stays exact at in-process speeds — mapped back to seconds for
 *   OBJECT IDLETIME; other policies keep the keyspace's seconds clock.
 *   Changing between these modes converts every key's data once.
 *
 * @module
 */
import { E, replyError, ReplyError } from '../core/errors.js'
import { parseMemory } from './config.js'
import type { Database, Entry } from './database.js'
import { EvictionPool } from './eviction-pool.js'
import type { Keyspace } from './keyspace.js'
import { Accounting } from './memory.js'
import { N } from './notifications.js'
import { RecencyQueue } from './recency.js'

/** The eight maxmemory policies. */
export type EvictionPolicy =
  | 'noeviction'
  | 'allkeys-lru'
  | 'volatile-lru'
  | 'allkeys-lfu'
  | 'volatile-lfu'
  | 'allkeys-random'
  | 'volatile-random'
  | 'volatile-ttl'

/** Memory-related Store options. */
export interface MemoryOptions {
  /** Memory limit in bytes, or with a unit as CONFIG SET takes it (`'64mb'`). 0: no limit. */
  maxmemory?: number | string
  /** What to do when a limit is reached. Default `noeviction` (writes are refused). */
  maxmemoryPolicy?: EvictionPolicy
  /** embedis extension: a limit on the number of keys (all databases), enforced by the same policy. 0: no limit. */
  maxkeys?: number
}

// Policy bits.
const P_LRU = 1
const P_LFU = 2
const P_TTL = 4
const P_RANDOM = 8
const P_ALLKEYS = 16
const POLICY_BITS: Record<EvictionPolicy, number> = {
  noeviction: 0,
  'allkeys-lru': P_LRU | P_ALLKEYS,
  'volatile-lru': P_LRU,
  'allkeys-lfu': P_LFU | P_ALLKEYS,
  'volatile-lfu': P_LFU,
  'allkeys-random': P_RANDOM | P_ALLKEYS,
  'volatile-random': P_RANDOM,
  'volatile-ttl': P_TTL,
}

/** What the access data of a key are. */
const MODE_SECONDS = 0
const MODE_TICKS = 1
const MODE_LFU = 2

/** Redis's initial LFU counter of a new key. */
export const LFU_INIT_VAL = 5
/** Checkpoints (access counter → second) kept for OBJECT IDLETIME before older ones are thinned out. */
const MAX_CHECKPOINTS = 4096

const LFU_ERROR =
  'An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.'
const NOT_LFU_ERROR =
  'An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.'

/**
 * The memory layer of a Store: accounting, limits, access tracking and
 * eviction. One per Keyspace.
 *
 * Until a limit or an LRU/LFU policy is set, it installs nothing: `Entry.lru`
 * holds the keyspace's seconds clock (written by `Database.lookup`) and no
 * hook runs. From then on the accounting layer tracks every key and this
 * layer's `touch` keeps each key's access data.
 */
export class MemoryLayer {
  readonly acct: Accounting
  /** Limits (0 = none) and whether any is set. */
  maxmemory = 0
  maxkeys = 0
  limited = false
  policy: EvictionPolicy = 'noeviction'
  private bits = 0
  private samples = 5
  private lfuLogFactor = 10
  private lfuDecayTime = 1
  private mode = MODE_SECONDS
  /** Under allkeys-lru (only): every key in exact access order (src/keyspace/recency.ts). */
  private order: RecencyQueue | undefined

  // ---- access counter (LRU policies)
  /** The access counter; data ≤ 0 are seconds relative to `baseSec` (accesses before the counter started). */
  private tick = 0
  private baseSec = 0
  private cpTick: number[] = [0]
  private cpSec: number[] = [0]
  private lastSec = -1

  // ---- LFU clock: the minutes of the keyspace's seconds clock, as of `lfuSec`
  private lfuSec = -1
  private lfuMin = 0

  /** Candidates kept across evictions, as Redis's eviction pool. */
  private readonly pool = new EvictionPool()
  private nextDb = 0
  /** State of `random()` (never 0). */
  private seed = (Math.random() * 0xffffffff) | 1
  /** Persistent iterators over each database's keys with a TTL. */
  private readonly volatileIters = new Map<Database, { set: Set<string>; it: Iterator<string> }>()

  /** Time (ms) spent over a limit with writes refused (INFO's total_eviction_exceeded_time), and since when (0 = not over). */
  exceededMs = 0
  exceededSince = 0

  constructor(
    readonly ks: Keyspace,
    options: MemoryOptions = {},
  ) {
    this.acct = new Accounting(ks)
    this.acct.initAccess = (db, at) => this.initAccess(db, at)
    const c = ks.config
    c.define({ name: 'maxkeys', kind: { type: 'int', min: 0, max: Number.MAX_SAFE_INTEGER }, default: 0 })
    const reconfigure = () => this.configure()
    for (const name of ['maxmemory', 'maxkeys', 'maxmemory-policy', 'maxmemory-samples', 'lfu-log-factor', 'lfu-decay-time']) {
      c.watch(name, reconfigure)
    }
    if (options.maxmemoryPolicy !== undefined) {
      if (!Object.hasOwn(POLICY_BITS, options.maxmemoryPolicy)) throw new RangeError(`unknown maxmemoryPolicy '${options.maxmemoryPolicy}'`)
      c.put('maxmemory-policy', options.maxmemoryPolicy)
    }
    if (options.maxkeys !== undefined) {
      if (!Number.isSafeInteger(options.maxkeys) || options.maxkeys < 0) throw new RangeError('maxkeys must be a non-negative integer')
      c.put('maxkeys', options.maxkeys)
    }
    if (options.maxmemory !== undefined) {
      const m = typeof options.maxmemory === 'number' ? options.maxmemory : parseMemory(options.maxmemory)
      if (m === undefined || !Number.isFinite(m) || m < 0) throw new RangeError(`invalid maxmemory '${options.maxmemory}'`)
      c.put('maxmemory', Math.floor(m))
    }
    this.configure()
  }

  /** Re-reads the configuration: limits, policy, tracking; evicts down to a lowered limit. */
  private configure(): void {
    const c = this.ks.config
    this.maxmemory = c.get<number>('maxmemory')
    this.maxkeys = c.get<number>('maxkeys')
    this.samples = c.get<number>('maxmemory-samples')
    this.lfuLogFactor = c.get<number>('lfu-log-factor')
    this.lfuDecayTime = c.get<number>('lfu-decay-time')
    const policy = c.get<EvictionPolicy>('maxmemory-policy')
    if (policy !== this.policy) this.clearPool()
    this.policy = policy
    this.bits = POLICY_BITS[policy]
    this.limited = this.maxmemory !== 0 || this.maxkeys !== 0
    const mode = this.bits & P_LFU ? MODE_LFU : this.bits & P_LRU ? MODE_TICKS : MODE_SECONDS
    if (!this.acct.tracking && (this.limited || mode !== MODE_SECONDS)) {
      // Before tracking, every entry's `lru` is the seconds clock.
      this.mode = MODE_SECONDS
      this.acct.enable((e) => e.lru)
    }
    if (this.acct.tracking) {
      this.setMode(mode)
      this.setExact(mode === MODE_TICKS && (this.bits & P_ALLKEYS) !== 0)
    }
    // CONFIG SET of a lower limit evicts down to it at once (a refusal waits for the next write).
    if (this.limited && this.bits !== 0 && this.over()) {
      try {
        this.enforce()
      } catch (e) {
        if (!(e instanceof ReplyError)) throw e
      }
    }
  }

  /** True when a limit is exceeded (memory above maxmemory, or no room for a new key under maxkeys). */
  over(): boolean {
    return (this.maxmemory !== 0 && this.acct.used > this.maxmemory) || (this.maxkeys !== 0 && this.acct.keys >= this.maxkeys)
  }

  /**
   * Evicts until under the limits; throws Redis's OOM error when the policy
   * is `noeviction` or nothing is left to evict. Callers (`StoreCore.memoryCheck`,
   * a lowered limit) call it when `limited && over()`: one check follows each eviction.
   */
  enforce(): void {
    let over = true
    if (this.bits !== 0) while (over && this.evictOne()) over = this.over()
    if (over) {
      if (this.exceededSince === 0) this.exceededSince = this.ks.clock.now()
      throw replyError(E.OOM)
    }
    if (this.exceededSince !== 0) {
      this.exceededMs += this.ks.clock.now() - this.exceededSince
      this.exceededSince = 0
    }
  }

  /** Evicts one key chosen by the policy. Returns false when there is no candidate. */
  evictOne(): boolean {
    const bits = this.bits
    if (this.acct.keys === 0) return false
    if (this.order !== undefined && this.evictOldest()) return true
    if (bits & P_RANDOM) {
      if (bits & P_ALLKEYS) this.pick()
      else if (!this.randomVolatile()) return false
      const db = this.picked!
      const i = this.pickedAt
      this.evict(db, db.keys[i]!, db.ents![i]!, i)
      return true
    }
    const dbs = this.ks.dbs
    for (;;) {
      if (!this.populate()) return false
      // Best candidate first; those no longer what was sampled are dropped on the way.
      const pool = this.pool
      while (pool.size > 0) {
        const k = pool.popBest()
        const db = dbs[pool.db[k]!]!
        const i = pool.slot[k]!
        if (i >= db.keys.length) continue
        // A candidate whose position now holds data other than when it was sampled (accessed since,
        // deleted, or another key moved in) is dropped. An access counter is unique per access;
        // an LFU word or TTL that happens to match belongs to an equally good candidate.
        if (!(bits & P_TTL) && db.access![i] !== pool.stamp[k]) continue
        const e = db.ents![i]!
        if (bits & P_TTL ? e.expire !== pool.stamp[k] : !(bits & P_ALLKEYS) && e.expire === 0) continue
        this.evict(db, db.keys[i]!, e, i)
        return true
      }
    }
  }

  /** allkeys-lru: evicts the least recently used key of all databases. False when none is recorded. */
  private evictOldest(): boolean {
    const q = this.order!
    if (!q.oldest()) return false
    const db = this.ks.dbs[q.foundDb]!
    const at = q.foundAt
    this.evict(db, db.keys[at]!, db.ents![at]!, at)
    return true
  }

  /** The key `pick()` or `randomVolatile()` chose: its database and position there. */
  private picked: Database | undefined
  private pickedAt = 0

  /** Picks a key uniformly over every database (there is at least one). */
  private pick(): void {
    let r = Math.floor(this.random() * this.acct.keys)
    const dbs = this.ks.dbs
    // Keys are mostly in one database: the walk usually stops at the first non-empty one.
    for (let d = 0; ; d++) {
      const db = dbs[d]!
      const n = db.keys.length
      if (r < n || d === dbs.length - 1) {
        this.picked = db
        this.pickedAt = Math.min(r, n - 1)
        return
      }
      r -= n
    }
  }

  /**
   * A uniform number in [0, 1) from xorshift32: sampling and the LFU counter draw run per
   * eviction and per read of a hot key, where Math.random costs several times as much.
   */
  private random(): number {
    let x = this.seed
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.seed = x
    return (x >>> 0) / 4294967296
  }

  /**
   * Deletes a key as an eviction: statistics, WATCH, the `evicted` event and a DEL effect, as Redis does.
   * `e` is the key's entry and `at` its position, which the database's tables hold: no lookup needed,
   * and nothing waits on loading the entry to learn where the key is.
   */
  evict(db: Database, key: string, e: Entry, at: number): void {
    const ks = this.ks
    db.unlink(key, e, at)
    ks.stats.evictedKeys++
    // keyChanged for WATCH and client tracking (its accounting hook has nothing to do for a deleted key).
    if (db.watched !== undefined || ks.tracking !== undefined) ks.keyChanged(db, key)
    if (ks.notifyFlags & N.EVICTED) ks.notify(N.EVICTED, 'evicted', key, db.id)
    if (ks.fx) ks.emit(db.id, ['DEL', key])
    // Nothing holds an evicted entry (the victim was chosen here, not looked up by a command): recycle it.
    e.value = undefined
    db.spare = e
  }

  // ---------------------------------------------------------------- sampling

  /** One round of samples (maxmemory-samples is at most 64): database, position, access data. */
  private readonly sampleDb = new Int32Array(64)
  private readonly samplePos = new Int32Array(64)
  private readonly sampleVal = new Float64Array(64)

  /** Samples `maxmemory-samples` keys into the pool. Returns whether there was any candidate. */
  private populate(): boolean {
    const samples = this.samples
    if (this.bits & P_ALLKEYS) {
      // Uniform over all keys: key order follows insertion order, so a run of neighbouring keys
      // would be a biased sample (measured: worse victims, for no clear gain in speed). Only the
      // compact access array is read: positions and access data first, then the pool, so the
      // loads overlap instead of each waiting on the branches of the one before.
      const dbs = this.ks.dbs
      const db0 = dbs[0]!
      // Every key in database 0 (the common case): pick()'s walk over the databases ends there.
      const one = db0.keys.length === this.acct.keys
      const sdb = this.sampleDb
      const pos = this.samplePos
      const val = this.sampleVal
      for (let i = 0; i < samples; i++) {
        let db = db0
        let at: number
        if (one) at = Math.floor(this.random() * db0.keys.length)
        else {
          this.pick()
          db = this.picked!
          at = this.pickedAt
        }
        sdb[i] = db.id
        pos[i] = at
        val[i] = db.access![at]!
      }
      for (let i = 0; i < samples; i++) this.consider(dbs[sdb[i]!]!, pos[i]!, val[i]!)
      return true
    }
    let v = 0
    const dbs = this.ks.dbs
    for (let i = 0; i < dbs.length; i++) v += dbs[i]!.volatile.size
    if (v === 0) return false
    // Dense enough: rejection-sample all keys (uniform); otherwise walk the TTL sets.
    if (v * 8 >= this.acct.keys) {
      let got = 0
      for (let tries = 0; got < samples && tries < samples * 16; tries++) {
        this.pick()
        const db = this.picked!
        const at = this.pickedAt
        if (db.ents![at]!.expire === 0) continue
        this.consider(db, at, db.access![at]!)
        got++
      }
      if (got > 0) return true
    }
    for (let i = 0; i < samples; i++) {
      if (!this.nextVolatile()) break
      const db = this.picked!
      const at = this.pickedAt
      this.consider(db, at, db.access![at]!)
    }
    return true
  }

  /**
   * Redis's evictionPoolPopulate step for the key at position `at` of `db`:
   * keep it if it beats the pool's worst. The entry itself is read only under
   * volatile-ttl (for its TTL).
   */
  private consider(db: Database, at: number, access: number): void {
    let stamp = access
    let idle: number
    if (this.bits & (P_LRU | P_LFU)) idle = this.idleOf(access)
    else {
      stamp = db.ents![at]!.expire
      idle = Number.MAX_SAFE_INTEGER - stamp
    }
    if (this.pool.admits(idle)) this.pool.insert(db.id, at, idle, stamp)
  }

  /**
   * The idle score of access data under an LRU or LFU policy (higher: a better victim). The access
   * counter orders accesses by itself: scored without "now", candidates sampled at different
   * evictions compare as they should (an older sample's idle time would have grown since).
   */
  private idleOf(access: number): number {
    if (this.bits & P_LRU) return this.mode === MODE_TICKS ? -access : this.ks.lruClock - access
    return 255 - this.lfuDecr(access)
  }

  private clearPool(): void {
    this.pool.clear()
  }

  /** Picks a random key with a TTL (uniform when such keys are not rare); false when there is none. */
  private randomVolatile(): boolean {
    let v = 0
    const dbs = this.ks.dbs
    for (let i = 0; i < dbs.length; i++) v += dbs[i]!.volatile.size
    if (v === 0) return false
    if (v * 8 >= this.acct.keys) {
      for (let tries = 0; tries < 64; tries++) {
        this.pick()
        if (this.picked!.ents![this.pickedAt]!.expire !== 0) return true
      }
    }
    return this.nextVolatile()
  }

  /**
   * Picks the next key with a TTL, round-robin over the databases, from
   * iterators kept across calls (restarted at the end, or when a flush or swap
   * replaced the set). False when there is none.
   */
  private nextVolatile(): boolean {
    const dbs = this.ks.dbs
    for (let tries = 0; tries < dbs.length; tries++) {
      const db = dbs[this.nextDb]!
      if (db.volatile.size > 0) {
        let st = this.volatileIters.get(db)
        if (st === undefined || st.set !== db.volatile) {
          st = { set: db.volatile, it: db.volatile.values() }
          this.volatileIters.set(db, st)
        }
        let r = st.it.next()
        if (r.done) {
          st.it = st.set.values()
          r = st.it.next()
        }
        if (!r.done) {
          const e = db.map.get(r.value)
          if (e !== undefined) {
            this.picked = db
            this.pickedAt = e.idx
            return true
          }
        }
      }
      this.nextDb = (this.nextDb + 1) % dbs.length
    }
    return false
  }

  // ---------------------------------------------------------------- access data

  /** Whether `ks.touch` is this layer's (from the first setMode on; a NO-TOUCH command may swap it briefly). */
  private touchInstalled = false

  /** Switches what the access data are, converting every key's data once so idle times and counters stay meaningful. */
  private setMode(mode: number): void {
    const old = this.mode
    if (mode === old && this.touchInstalled) return
    const ks = this.ks
    const nowSec = ks.lruClock
    const minutes = lfuMinutes(nowSec)
    if (mode !== old) {
      for (const db of ks.dbs) {
        const a = db.access!
        for (let s = 0; s < db.keys.length; s++) {
          if (mode === MODE_LFU) a[s] = (minutes << 8) | LFU_INIT_VAL
          else {
            const sec = old === MODE_TICKS ? this.secondsOf(a[s]!) : old === MODE_SECONDS ? a[s]! : nowSec
            // Into the counter: the past as seconds relative to now (≤ 0), older than any counted access.
            a[s] = mode === MODE_TICKS ? Math.min(0, sec - nowSec) : sec
          }
        }
      }
    }
    this.mode = mode
    if (mode === MODE_TICKS && old !== MODE_TICKS) {
      this.baseSec = nowSec
      this.tick = 0
      this.cpTick = [0]
      this.cpSec = [nowSec]
      this.lastSec = nowSec
    }
    ks.touch = mode === MODE_TICKS ? this.touchTick : mode === MODE_LFU ? this.touchLfu : this.touchSeconds
    this.touchInstalled = true
  }

  /**
   * Starts or stops keeping the exact access order. Starting queues every key by its access data
   * (once, O(n log n)); from then on every access queues its key.
   */
  private setExact(on: boolean): void {
    if (on === (this.order !== undefined)) return
    const ks = this.ks
    if (on) {
      this.startOrder()
      ks.onKeyMoved = (db, from, to, t) => this.order!.moved(db, from, to, t)
      // SWAPDB: the recorded database indexes now name the other's keys; every key is recorded anew (O(n log n)).
      ks.onSwapped = () => this.startOrder()
    } else {
      this.order = ks.onKeyMoved = ks.onSwapped = undefined
    }
  }

  private startOrder(): void {
    this.order = new RecencyQueue(this.ks.dbs, this.tick)
  }

  /** Access data of a new key, at position `at` of `db`. */
  private initAccess(db: Database, at: number): number {
    if (this.mode === MODE_TICKS) {
      const t = ++this.tick
      if (this.ks.lruClock !== this.lastSec) this.checkpoint()
      if (this.order !== undefined) this.order.push(db.id, at, t)
      return t
    }
    if (this.mode === MODE_LFU) return (lfuMinutes(this.ks.lruClock) << 8) | LFU_INIT_VAL
    return this.ks.lruClock
  }

  // Every 1024 accesses the keyspace's seconds clock is re-read, so access times stay
  // right even when no timer refreshes it (activeExpiry off).
  private touches = 0

  private readonly touchSeconds = (db: Database, e: Entry): void => {
    if ((++this.touches & 1023) === 0) this.ks.refreshClock()
    db.access![e.idx] = this.ks.lruClock
  }

  private readonly touchTick = (db: Database, e: Entry): void => {
    const t = ++this.tick
    const at = e.idx
    db.access![at] = t
    if (this.order !== undefined) this.order.push(db.id, at, t)
    if ((t & 1023) === 0) this.ks.refreshClock()
    if (this.ks.lruClock !== this.lastSec) this.checkpoint()
  }

  /** Redis's updateLFU: decay, then logarithmic increment. */
  private readonly touchLfu = (db: Database, e: Entry): void => {
    if ((++this.touches & 1023) === 0) this.ks.refreshClock()
    const a = db.access!
    const s = e.idx
    const now = this.lfuNow()
    const word = a[s]!
    // Touched within the same minute (the common case for a hot key): no decay to compute.
    let counter = word >>> 8 === now ? word & 255 : this.lfuDecr(word)
    if (counter < 255) {
      const base = counter - LFU_INIT_VAL
      if (base <= 0 || this.random() < 1 / (base * this.lfuLogFactor + 1)) counter++
    }
    a[s] = (now << 8) | counter
  }

  /** The LFU clock (minutes, 16 bits) of the keyspace's seconds clock, recomputed only when that clock moves. */
  private lfuNow(): number {
    const sec = this.ks.lruClock
    if (sec !== this.lfuSec) {
      this.lfuSec = sec
      this.lfuMin = lfuMinutes(sec)
    }
    return this.lfuMin
  }

  /** Redis's LFUDecrAndReturn: the counter after decay (one step per `lfu-decay-time` minutes idle). */
  private lfuDecr(word: number): number {
    const counter = word & 255
    if (this.lfuDecayTime === 0) return counter
    const ldt = word >>> 8
    const now = this.lfuNow()
    const elapsed = now >= ldt ? now - ldt : 65535 - ldt + now
    const periods = Math.floor(elapsed / this.lfuDecayTime)
    return periods > counter ? 0 : counter - periods
  }

  /** Records that from the current tick on, accesses happen in the current second. */
  private checkpoint(): void {
    const sec = this.ks.lruClock
    this.lastSec = sec
    const ct = this.cpTick
    const cs = this.cpSec
    if (ct[ct.length - 1] === this.tick) {
      cs[cs.length - 1] = sec
      return
    }
    ct.push(this.tick)
    cs.push(sec)
    if (ct.length > MAX_CHECKPOINTS) {
      // Thin the older half: idle times of long-idle keys get coarser, recent ones stay exact.
      const half = ct.length >> 1
      let w = 1
      for (let r = 1; r < ct.length; r++) {
        if (r < half && r % 2 === 0) continue
        ct[w] = ct[r]!
        cs[w] = cs[r]!
        w++
      }
      ct.length = cs.length = w
    }
  }

  /** The second (keyspace LRU clock) of an access with counter value `t`. */
  private secondsOf(t: number): number {
    if (t <= 0) return this.baseSec + t
    return this.cpSec[lastAtOrBefore(this.cpTick, t)]!
  }

  /**
   * Where a tracked entry's access data are (`db` is where to look first): its database's access
   * table and the index there, or undefined for an entry no longer in a database.
   */
  private accessAt(e: Entry, db?: Database): { db: Database; access: Float64Array; at: number } | undefined {
    const d = this.acct.ownerOf(e, db)
    return d === undefined ? undefined : { db: d, access: d.access!, at: e.idx }
  }

  /** OBJECT IDLETIME: seconds since the entry (of `db`) was last accessed (an error under LFU policies). */
  idleTime(e: Entry, db?: Database): number {
    if (this.mode === MODE_LFU) throw replyError(LFU_ERROR)
    const now = Math.floor(this.ks.clock.now() / 1000)
    let sec = e.lru
    if (this.acct.tracking) {
      const where = this.accessAt(e, db)
      if (where === undefined) return 0
      const a = where.access[where.at]!
      sec = this.mode === MODE_TICKS ? this.secondsOf(a) : a
    }
    return Math.max(0, now - sec)
  }

  /** OBJECT FREQ: the LFU counter after decay (an error unless an LFU policy is set). */
  frequency(e: Entry, db?: Database): number {
    if (this.mode !== MODE_LFU) throw replyError(NOT_LFU_ERROR)
    const where = this.accessAt(e, db)
    return where === undefined ? LFU_INIT_VAL : this.lfuDecr(where.access[where.at]!)
  }

  /** Sets an entry's idle time (RESTORE ... IDLETIME). Ignored under LFU policies, as in Redis. */
  setIdleTime(e: Entry, seconds: number, db?: Database): void {
    const sec = this.ks.lruClock - Math.max(0, seconds)
    if (!this.acct.tracking) {
      e.lru = sec
      return
    }
    const where = this.accessAt(e, db)
    if (where === undefined) return
    if (this.mode === MODE_SECONDS) where.access[where.at] = sec
    else if (this.mode === MODE_TICKS) {
      const t = (where.access[where.at] = this.tickAt(sec))
      if (this.order !== undefined) this.order.place(where.db, where.at, t)
    }
  }

  /** The access counter value of the last checkpoint at or before second `sec` (seconds before the counter started: ≤ 0). */
  private tickAt(sec: number): number {
    const cs = this.cpSec
    if (sec < cs[0]!) return sec - this.baseSec
    return this.cpTick[lastAtOrBefore(cs, sec)]!
  }

  /** Sets an entry's LFU counter (RESTORE ... FREQ). Ignored unless an LFU policy is set, as in Redis. */
  setFrequency(e: Entry, freq: number, db?: Database): void {
    if (this.mode !== MODE_LFU) return
    const where = this.accessAt(e, db)
    if (where !== undefined) where.access[where.at] = (lfuMinutes(this.ks.lruClock) << 8) | Math.max(0, Math.min(255, freq))
  }

  /** Dataset bytes (the tracked total, or an estimate before tracking starts). */
  usedMemory(): number {
    return this.acct.usedBytes()
  }

  peakMemory(): number {
    return Math.max(this.acct.peak, this.acct.tracking ? this.acct.used : 0)
  }

  /** INFO's current_eviction_exceeded_time (ms). */
  currentExceededMs(): number {
    return this.exceededSince === 0 ? 0 : this.ks.clock.now() - this.exceededSince
  }
}

function lfuMinutes(sec: number): number {
  return Math.floor(sec / 60) & 65535
}

/** Index of the last element of ascending `a` that is ≤ `v` (0 when there is none). */
function lastAtOrBefore(a: number[], v: number): number {
  let lo = 0
  let hi = a.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (a[mid]! <= v) lo = mid
    else hi = mid - 1
  }
  return lo
}
