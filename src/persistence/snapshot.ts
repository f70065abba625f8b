/**
 * Point-in-time views of the keyspace for SAVE, BGSAVE and AOF rewrites.
 *
 * A synchronous snapshot simply walks every database. A background snapshot
 * lets commands run while it walks: at the moment it is taken it copies each
 * database's key order and hooks the database's key map, so that the first
 * time any command reaches a key the walk has not visited yet (every read,
 * write, delete or expiry goes through the map's get/set/delete), the key is
 * visited right then, before the command can change it. Each key is thus
 * visited exactly once with the value it had when the snapshot was taken —
 * Redis's fork-and-copy-on-write, done per key. Keys created after the
 * snapshot are skipped; an emptied (FLUSHDB) or swapped (SWAPDB) database
 * keeps its old map, which is what the walk reads.
 */
import { performance } from 'node:perf_hooks'
import type { Entry } from '../keyspace/database.js'
import type { Keyspace } from '../keyspace/keyspace.js'

/** Receives the keys of a snapshot. */
export interface SnapshotSink {
  /** A database's walk starts (in index order); `size` and `expires` are counts at snapshot time. */
  beginDb?(db: number, size: number, expires: number): void
  /**
   * One key with its value as of the snapshot. May come from inside another
   * command (a key reached before the walk), so it must consume the entry at
   * once and change nothing. `db` can differ from the database being walked.
   */
  visit(db: number, key: string, e: Entry): void
  /** Asked between slices of a background walk: resolve when ready for more (backpressure). */
  drain?(): Promise<void> | void
}

interface DbWalk {
  id: number
  map: Map<string, Entry>
  order: string[]
  i: number
  size: number
  expires: number
  /** Keys visited ahead of the walk. */
  early: Set<string>
}

const proto = Map.prototype

/** What a background snapshot needs to yield to the event loop. */
const nextTick = (): Promise<void> => new Promise((r) => setImmediate(r))

/**
 * A snapshot of every database. `time` is when it was taken; keys already
 * expired then are left out.
 */
export class KeyspaceSnapshot {
  readonly time: number
  private readonly sinks: SnapshotSink[] = []
  private readonly walks: DbWalk[] = []
  /** Entries created after the snapshot (never visited). */
  private readonly added = new WeakSet<Entry>()
  private started = false
  private finished = false
  private cancelled = false

  private constructor(
    readonly ks: Keyspace,
    readonly background: boolean,
  ) {
    this.time = ks.now()
    for (const db of ks.dbs) {
      if (db.map.size === 0) continue
      // The key order is needed only by a walk that runs alongside commands.
      const order = background ? db.keys.slice() : []
      this.walks.push({ id: db.id, map: db.map, order, i: 0, size: db.map.size, expires: db.volatile.size, early: new Set() })
    }
  }

  /** A snapshot walked synchronously by `run()` (nothing else runs meanwhile). */
  static sync(ks: Keyspace): KeyspaceSnapshot {
    return new KeyspaceSnapshot(ks, false)
  }

  /** A snapshot taken now and walked in slices while commands keep running. */
  static background(ks: Keyspace): KeyspaceSnapshot {
    const s = new KeyspaceSnapshot(ks, true)
    for (const w of s.walks) s.hook(w)
    return s
  }

  /** Number of keys at snapshot time (expired ones included). */
  get totalKeys(): number {
    let n = 0
    for (const w of this.walks) n += w.size
    return n
  }

  /** Registers a sink; all sinks must be added before `run()`. */
  add(sink: SnapshotSink): void {
    if (this.started) throw new Error('snapshot already running')
    this.sinks.push(sink)
  }

  /** Walks every key through the sinks. Synchronous snapshots finish before returning. */
  run(sliceMs = 8): Promise<void> {
    this.started = true
    if (!this.background) {
      // Nothing else runs meanwhile: the maps can be read directly, in their own order.
      const sinks = this.sinks
      const time = this.time
      for (const w of this.walks) {
        this.begin(w)
        const db = w.id
        for (const [k, e] of w.map) {
          if (e.expire !== 0 && e.expire <= time) continue
          for (let i = 0; i < sinks.length; i++) sinks[i]!.visit(db, k, e)
        }
        w.i = w.order.length
      }
      this.finished = true
      return Promise.resolve()
    }
    return this.runBackground(sliceMs)
  }

  private async runBackground(sliceMs: number): Promise<void> {
    try {
      for (const w of this.walks) {
        this.begin(w)
        for (;;) {
          if (this.cancelled) throw new Error('snapshot cancelled')
          const deadline = performance.now() + sliceMs
          if (this.walk(w, 512, deadline)) break
          for (const s of this.sinks) if (s.drain) await s.drain()
          await nextTick()
        }
        this.unhook(w)
      }
      for (const s of this.sinks) if (s.drain) await s.drain()
      this.finished = true
    } finally {
      for (const w of this.walks) this.unhook(w)
    }
  }

  /** Stops a background walk (its `run()` rejects) and removes the hooks. */
  cancel(): void {
    this.cancelled = true
    for (const w of this.walks) this.unhook(w)
  }

  get done(): boolean {
    return this.finished
  }

  private begin(w: DbWalk): void {
    for (const s of this.sinks) s.beginDb?.(w.id, w.size, w.expires)
  }

  /** Visits keys of `w` in order, `batch` at a time until `deadline`. Returns true when the database is done. */
  private walk(w: DbWalk, batch: number, deadline: number): boolean {
    const { order, map, early } = w
    const n = order.length
    for (;;) {
      const stop = Math.min(n, w.i + batch)
      while (w.i < stop) {
        const k = order[w.i]!
        w.i++
        if (early.size !== 0 && early.delete(k)) continue
        const e = proto.get.call(map, k) as Entry | undefined
        if (e === undefined || this.added.has(e)) continue
        this.emit(w.id, k, e)
      }
      if (w.i >= n) return true
      if (performance.now() >= deadline) return false
    }
  }

  private emit(db: number, k: string, e: Entry): void {
    if (e.expire !== 0 && e.expire <= this.time) return
    for (const s of this.sinks) s.visit(db, k, e)
  }

  /** A command reached `k`: visit it now if the walk has not yet. */
  private touch(w: DbWalk, k: string, e: Entry): void {
    // Before `run()`, only the sinks' own set-up runs (reads such as memory estimates): nothing changes yet.
    if (!this.started || w.i >= w.order.length || this.added.has(e)) return
    // An entry's idx only moves down (into a hole left by a deletion), and the move is
    // itself preceded by a lookup of that entry; so at the first touch it is still the
    // key's position in `order`.
    if (e.idx < w.i || w.early.has(k)) return
    w.early.add(k)
    this.emit(w.id, k, e)
  }

  private hook(w: DbWalk): void {
    const map = w.map as unknown as Record<'get' | 'set' | 'delete' | 'clear', unknown>
    const self = this
    map.get = function (this: Map<string, Entry>, k: string): Entry | undefined {
      const e = proto.get.call(this, k) as Entry | undefined
      if (e !== undefined) self.touch(w, k, e)
      return e
    }
    map.delete = function (this: Map<string, Entry>, k: string): boolean {
      const e = proto.get.call(this, k) as Entry | undefined
      if (e !== undefined) self.touch(w, k, e)
      return proto.delete.call(this, k)
    }
    map.set = function (this: Map<string, Entry>, k: string, v: Entry): Map<string, Entry> {
      const old = proto.get.call(this, k) as Entry | undefined
      if (old !== v) {
        if (old !== undefined) self.touch(w, k, old)
        self.added.add(v)
      }
      return proto.set.call(this, k, v) as Map<string, Entry>
    }
    map.clear = function (this: Map<string, Entry>): void {
      // Everything left is visited before it goes.
      self.walk(w, Infinity, Infinity)
      proto.clear.call(this)
    }
  }

  private unhook(w: DbWalk): void {
    const map = w.map as unknown as Record<string, unknown>
    delete map.get
    delete map.delete
    delete map.set
    delete map.clear
  }
}

