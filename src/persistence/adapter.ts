/**
 * The persistence adapter interface and the part of the store that drives
 * adapters: loading at open, the effect of every write, snapshots (SAVE,
 * BGSAVE, save rules, shutdown), AOF rewrites, flush and close. Nothing here
 * touches the file system; `rdbFile` and `aofFile` (file.ts, aof.ts) are
 * adapters like any a user writes.
 *
 * ```ts
 * const store = new Store({ persistence: [aofFile({ dir: 'data' }), rdbFile({ path: 'data/dump.rdb' })] })
 * ```
 */
import { Buffer } from 'node:buffer'
import { keyOf } from '../core/bytes.js'
import { E, ReplyError } from '../core/errors.js'
import type { Reply } from '../core/reply.js'
import { Database, Entry } from '../keyspace/database.js'
import type { Effect, Keyspace } from '../keyspace/keyspace.js'
import type { Session } from '../session.js'
import type { StoreCore } from '../store-core.js'
import type { SaveRules } from '../commands/persistence.js'
import { scriptingOf } from '../commands/scripting.js'
import { RDB_OP, RDB_VERSION } from './rdb/constants.js'
import { RdbOutput } from './rdb/output.js'
import { decodeDumpPayload, RdbError, RdbInput, verifyDumpPayload, type LoadContext, type RdbContents } from './rdb/reader.js'
import { KeyspaceSnapshot, type SnapshotSink } from './snapshot.js'

export type { SnapshotSink } from './snapshot.js'
export type { Effect } from '../keyspace/keyspace.js'

/** What an adapter's `load` gets: ways to put data into the (still empty) store. */
export interface LoadTarget {
  readonly store: StoreCore
  /**
   * True when the adapter may load asynchronously (the store was opened with
   * `openStore()`); false inside `new Store()`, where `load` must finish
   * before returning.
   */
  readonly async: boolean
  /** Reports progress: `done` out of `total` (bytes or items, the adapter's choice). */
  progress(done: number, total: number): void
  /** Runs one command in database `db` (a replayed log); Redis's error replies come back as values. */
  execute(db: number, argv: ReadonlyArray<string | Buffer>): Reply
  /**
   * Creates `key` in database `db` from a DUMP payload, with an absolute
   * expire time in ms (0: none). Throws on a bad payload or an existing key.
   */
  restore(db: number, key: string | Buffer, payload: Buffer, expireAt?: number): void
}

/** A snapshot being taken: adapters add a sink to receive its keys. */
export interface Snapshot {
  /** When it was taken (ms, store clock). */
  readonly time: number
  /** True for BGSAVE / rewrites (the walk runs in slices while commands run), false for SAVE. */
  readonly background: boolean
  /** Number of keys at snapshot time. */
  readonly totalKeys: number
}

/** A snapshot sink that is told when the walk is over. */
export interface SaveSink extends SnapshotSink {
  /**
   * Every key was visited: make the result durable. For a synchronous
   * snapshot (SAVE) this must finish synchronously.
   */
  end(): void | Promise<void>
  /** The snapshot failed or was cancelled: discard partial output. */
  abort?(err: unknown): void
}

/** What an adapter can do with the store once it is open. */
export interface AdapterContext {
  readonly store: StoreCore
  /** Persistence state shared by all adapters (changes since the last save, last save time, ...). */
  readonly state: PersistenceState
  /** Starts a BGSAVE unless one is running (save rules use this). */
  bgsave(): void
  /** Starts an AOF rewrite unless one is running (automatic rewrites use this). */
  rewrite(): void
}

/**
 * A persistence adapter. Every method is optional: an adapter may only load,
 * only log effects, only snapshot, or all of these.
 */
export interface PersistenceAdapter {
  /** Shown in errors and INFO. */
  readonly name?: string
  /**
   * Loads persisted data into the empty store. Return true when there was
   * data: adapters are asked in order and the first that has data is the
   * only one that loads. May return a Promise only when `target.async`.
   */
  load?(target: LoadTarget): boolean | void | Promise<boolean | void>
  /** Called once loading is over, before any command runs. */
  open?(ctx: AdapterContext): void
  /** The effect of every write, in order (the deterministic command that reproduces it). */
  effect?(effect: Effect): void
  /** SAVE, BGSAVE, save rules, shutdown: return a sink to receive the snapshot, or nothing to take no part. */
  snapshot?(snapshot: Snapshot): SaveSink | undefined
  /** BGREWRITEAOF: return a sink for the new base, or nothing. Called at the snapshot moment. */
  rewrite?(snapshot: Snapshot): SaveSink | undefined
  /** Makes everything received so far durable. */
  flush?(): void | Promise<void>
  /**
   * The store is closing: take the final snapshot if the adapter does (see
   * `saveOnClose`), then release everything. Must finish synchronously.
   * `options.save` is false when no final snapshot may be taken (SHUTDOWN
   * NOSAVE, or SHUTDOWN already saved).
   */
  close?(options?: CloseOptions): void
  /**
   * True when `close()` takes a final snapshot (an RDB file with save rules,
   * as Redis saves at shutdown when save points are set). SHUTDOWN takes
   * that snapshot itself first, so that a failed save can be reported.
   */
  readonly saveOnClose?: boolean
  /** Extra INFO persistence fields. */
  info?(): Array<[string, string | number]>
  /**
   * Why the adapter's last write to its file failed, as strerror words it (`No space left on device`);
   * undefined while writes succeed. An AOF's write error makes Redis refuse write commands (MISCONF).
   */
  writeError?(): string | undefined
}

/** What an adapter's `close()` is told. */
export interface CloseOptions {
  /** False: take no final snapshot (the store is shut down with NOSAVE, or was just saved). */
  save?: boolean
}

/** Persistence state, as INFO persistence and LASTSAVE report it. */
export class PersistenceState {
  /** Writes since the last successful save. */
  dirty = 0
  /** Unix time (s) of the last successful save (the open time before any). */
  lastSave: number
  lastBgsaveOk = true
  lastBgsaveTry = 0
  lastBgsaveSeconds = -1
  bgsaveStartedAt = 0
  bgsaveRunning = false
  bgsaveScheduled = false
  rewriteRunning = false
  rewriteScheduled = false
  rewriteStartedAt = 0
  lastRewriteOk = true
  lastRewriteSeconds = -1
  rewrites = 0
  saves = 0
  loading = false
  loadingStartedAt = 0
  loadingTotal = 0
  loadingDone = 0
  /** Why the last SAVE failed (Redis answers a bare ERR and logs the reason). */
  lastSaveError: unknown = undefined
  constructor(now: number) {
    this.lastSave = Math.floor(now / 1000)
  }
}

/** Function libraries read from a file into a store without a scripting engine: kept to be saved again. */
const KEPT_FUNCTIONS = new WeakMap<StoreCore, Buffer[]>()

/**
 * The function libraries to save with a snapshot (FUNCTION2 records): the
 * scripting engine's (through its FUNCTION DUMP payload), or the ones a file
 * brought into a store that has no engine.
 */
export function functionsOf(store: StoreCore): Buffer[] {
  const engine = scriptingOf(store)
  if (engine === undefined) return KEPT_FUNCTIONS.get(store) ?? []
  const dump = engine.functionDump()
  const out: Buffer[] = []
  const inp = new RdbInput(dump, 0, dump.length - 10, 'FUNCTION DUMP')
  while (inp.pos < inp.end) {
    if (inp.u8() !== RDB_OP.FUNCTION2) inp.fail('unexpected record in a FUNCTION DUMP payload')
    inp.blob()
    out.push(Buffer.from(inp.sbuf.subarray(inp.ss, inp.se)))
  }
  return out
}

/** Loads function libraries read from a file (FUNCTION RESTORE ... APPEND), or keeps them when there is no engine. */
export function loadFunctions(store: StoreCore, sources: Buffer[]): void {
  if (sources.length === 0) return
  const engine = scriptingOf(store)
  if (engine === undefined) {
    KEPT_FUNCTIONS.set(store, [...(KEPT_FUNCTIONS.get(store) ?? []), ...sources])
    return
  }
  const o = new RdbOutput({ compression: false })
  for (const src of sources) {
    o.u8(RDB_OP.FUNCTION2)
    o.len(src.length)
    o.raw(src)
  }
  o.u8(RDB_VERSION & 0xff)
  o.u8(RDB_VERSION >> 8)
  o.writeChecksum()
  engine.functionRestore(o.finish(), 'APPEND')
}

const HOSTS = new WeakMap<StoreCore, PersistenceHost>()

/** The persistence host of a store, if it has adapters. */
export function hostOf(store: StoreCore): PersistenceHost | undefined {
  return HOSTS.get(store)
}

/** Options for loading. */
export interface LoadOptions {
  /** Load asynchronously (adapters may yield); the returned promise settles when done. */
  async?: boolean
  /** Progress while loading: done and total (bytes or items) as the loading adapter reports them. */
  onProgress?: (done: number, total: number, adapter: string) => void
}

/**
 * Attaches adapters to a store: loads (synchronously unless `opts.async`),
 * then opens them and starts sending effects. Called by the Store constructor
 * for `persistence` and by `openStore()`.
 */
export function attachPersistence(store: StoreCore, adapters: PersistenceAdapter | PersistenceAdapter[], opts: LoadOptions = {}): void | Promise<void> {
  const list = Array.isArray(adapters) ? adapters : [adapters]
  if (HOSTS.has(store)) throw new Error('persistence is already attached to this store')
  const host = new PersistenceHost(store, list)
  HOSTS.set(store, host)
  const failed = (e: unknown): never => {
    HOSTS.delete(store)
    throw e
  }
  let r: void | Promise<void>
  try {
    r = host.load(opts)
  } catch (e) {
    return failed(e)
  }
  if (r instanceof Promise) return r.then(() => host.open(), failed)
  host.open()
}

/** The store-side driver of the adapters. */
export class PersistenceHost {
  readonly state: PersistenceState
  private readonly ks: Keyspace
  private bgsaveRun: Promise<void> | null = null
  private rewriteRun: Promise<void> | null = null
  private runningSnapshot: KeyspaceSnapshot | null = null
  private unlisten: (() => void) | null = null
  private closed = false
  /** Sessions the load targets opened (closed once loading is over). */
  private readonly loadSessions: Session[] = []

  constructor(
    readonly store: StoreCore,
    readonly adapters: PersistenceAdapter[],
  ) {
    this.ks = store.ks
    this.state = new PersistenceState(store.ks.clock.now())
  }

  // ------------------------------------------------------------ loading

  /** Asks the adapters in order; the first with data loads. Anything half-loaded is flushed on failure. */
  load(opts: LoadOptions): void | Promise<void> {
    const st = this.state
    st.loading = true
    st.loadingStartedAt = Date.now()
    const tryFrom = (i: number): void | Promise<void> => {
      for (; i < this.adapters.length; i++) {
        const a = this.adapters[i]!
        if (a.load === undefined) continue
        const target = this.target(a, opts)
        let r: boolean | void | Promise<boolean | void>
        try {
          r = a.load(target)
        } catch (e) {
          this.failLoad()
          throw e
        }
        if (r instanceof Promise) {
          if (!opts.async) {
            r.catch(() => {})
            this.failLoad()
            throw new Error(`persistence adapter ${a.name ?? i} loads asynchronously: open the store with openStore()`)
          }
          const next = i + 1
          return r.then(
            (had) => (had ? this.loaded() : tryFrom(next)),
            (e) => {
              this.failLoad()
              throw e
            },
          )
        }
        if (r) return this.loaded()
      }
      return this.loaded()
    }
    return tryFrom(0)
  }

  private loaded(): void {
    const st = this.state
    for (const s of this.loadSessions.splice(0)) s.close()
    st.loading = false
    st.lastSave = Math.floor(this.ks.clock.now() / 1000)
  }

  private failLoad(): void {
    for (const s of this.loadSessions.splice(0)) s.close()
    this.state.loading = false
    for (const db of this.ks.dbs) if (db.map.size > 0) db.flush()
  }

  private target(a: PersistenceAdapter, opts: LoadOptions): LoadTarget {
    const store = this.store
    const st = this.state
    let s: Session | undefined
    const session = (): Session => {
      if (s === undefined) this.loadSessions.push((s = store.session()))
      return s
    }
    const dbAt = (db: number) => {
      const d = store.ks.dbs[db]
      if (d === undefined) throw new RangeError(`database ${db} does not exist (the store has ${store.ks.dbs.length})`)
      return d
    }
    const name = a.name ?? 'adapter'
    return {
      store,
      async: opts.async === true,
      progress(done, total) {
        st.loadingDone = done
        st.loadingTotal = total
        opts.onProgress?.(done, total, name)
      },
      execute(db, argv) {
        const ses = session()
        if (ses.db.id !== db) ses.select(dbAt(db).id)
        const r = ses.execute(argv as Array<string | Buffer>)
        if (r instanceof Promise) throw new Error('a blocking command cannot be replayed')
        return r
      },
      restore(db, key, payload, expireAt = 0) {
        const k = keyOf(key)
        const d = dbAt(db)
        if (d.map.has(k)) throw new Error(`duplicate key ${k}`)
        const bad = verifyDumpPayload(payload)
        if (bad !== undefined) throw new Error(bad)
        const v = decodeDumpPayload(payload, { cfg: store.ks.config, session: session() })
        const e = d.add(k, v.type, v.value)
        if (expireAt) d.setExpire(k, e, expireAt)
      },
    }
  }

  /** Starts the adapters and the effect feed. */
  open(): void {
    const ctx: AdapterContext = {
      store: this.store,
      state: this.state,
      bgsave: () => void this.bgsave(false),
      rewrite: () => void this.rewrite(false),
    }
    for (const a of this.adapters) a.open?.(ctx)
    this.store.diskGuard = () => this.diskError()
    const withEffects = this.adapters.filter((a) => a.effect !== undefined)
    const st = this.state
    this.unlisten = this.store.onEffect((e) => {
      st.dirty++
      for (let i = 0; i < withEffects.length; i++) withEffects[i]!.effect!(e)
    })
    this.store.closeHooks.push(() => this.close())
  }

  // ------------------------------------------------------------ snapshots

  /** SAVE: a synchronous snapshot through every adapter that takes part. Throws when a BGSAVE runs. */
  save(): void {
    const st = this.state
    if (st.bgsaveRunning) throw new ReplyError('ERR Background save already in progress')
    const snap = KeyspaceSnapshot.sync(this.ks)
    let sinks: SaveSink[] = []
    try {
      sinks = this.sinksFor(snap, 'snapshot')
      void snap.run()
      for (const s of sinks) {
        const r = s.end()
        if (r instanceof Promise) {
          r.catch(() => {})
          throw new Error('a persistence adapter cannot finish a synchronous save')
        }
      }
    } catch (e) {
      for (const s of sinks) s.abort?.(e)
      st.lastSaveError = e
      throw e
    }
    st.lastSaveError = undefined
    st.dirty = 0
    st.lastSave = Math.floor(this.ks.clock.now() / 1000)
    st.saves++
  }

  private sinksFor(snap: KeyspaceSnapshot, kind: 'snapshot' | 'rewrite'): SaveSink[] {
    const sinks: SaveSink[] = []
    try {
      for (const a of this.adapters) {
        const s = kind === 'snapshot' ? a.snapshot?.(snap) : a.rewrite?.(snap)
        if (s !== undefined) {
          sinks.push(s)
          snap.add(s)
        }
      }
    } catch (e) {
      snap.cancel()
      for (const s of sinks) s.abort?.(e)
      throw e
    }
    return sinks
  }

  /**
   * BGSAVE: starts a background snapshot. Returns 'started', 'running' (one
   * is in progress), 'busy' (a rewrite runs: nothing started unless
   * `schedule`, then 'scheduled').
   */
  bgsave(schedule: boolean): 'started' | 'running' | 'busy' | 'scheduled' {
    const st = this.state
    if (st.bgsaveRunning) return 'running'
    if (st.rewriteRunning) {
      if (!schedule) return 'busy'
      st.bgsaveScheduled = true
      return 'scheduled'
    }
    this.startBgsave()
    return 'started'
  }

  /**
   * Resolves once no BGSAVE (or rewrite) is running or scheduled; rejects
   * when the one that ran failed.
   */
  async settled(kind: 'bgsave' | 'rewrite'): Promise<void> {
    const st = this.state
    for (;;) {
      const running = kind === 'bgsave' ? this.bgsaveRun : this.rewriteRun
      if (running !== null && (kind === 'bgsave' ? st.bgsaveRunning : st.rewriteRunning)) {
        await running
        continue
      }
      if (!(kind === 'bgsave' ? st.bgsaveScheduled : st.rewriteScheduled) || this.closed) return
      // Scheduled behind the other kind: wait for it, then for the scheduled start.
      await (kind === 'bgsave' ? this.rewriteRun : this.bgsaveRun)?.catch(() => undefined)
      await new Promise((r) => setImmediate(r))
    }
  }

  private startBgsave(): void {
    const st = this.state
    const snap = KeyspaceSnapshot.background(this.ks)
    let sinks: SaveSink[]
    try {
      sinks = this.sinksFor(snap, 'snapshot')
    } catch (e) {
      st.lastBgsaveOk = false
      throw e
    }
    st.bgsaveRunning = true
    st.bgsaveScheduled = false
    st.bgsaveStartedAt = Date.now()
    st.lastBgsaveTry = st.bgsaveStartedAt
    const dirtyBefore = st.dirty
    this.runningSnapshot = snap
    this.bgsaveRun = (async () => {
      try {
        await writeSnapshot(snap, sinks)
        st.dirty -= dirtyBefore
        st.lastSave = Math.floor(this.ks.clock.now() / 1000)
        st.lastBgsaveOk = true
        st.saves++
      } catch (e) {
        st.lastBgsaveOk = false
        throw e
      } finally {
        st.bgsaveRunning = false
        st.lastBgsaveSeconds = Math.round((Date.now() - st.bgsaveStartedAt) / 1000)
        this.runningSnapshot = null
        if (st.rewriteScheduled && !this.closed) setImmediate(() => this.rewrite(false))
      }
    })()
    // A failed BGSAVE is reported through state (and `bgsaveDone`), never as an unhandled rejection.
    this.bgsaveRun.catch(() => {})
  }

  /**
   * BGREWRITEAOF: 'started', 'running', or 'scheduled' (after a BGSAVE, or
   * when asked from a transaction).
   */
  rewrite(schedule: boolean): 'started' | 'running' | 'scheduled' {
    const st = this.state
    if (st.rewriteRunning) return 'running'
    if (st.bgsaveRunning || schedule) {
      st.rewriteScheduled = true
      if (!st.bgsaveRunning) setImmediate(() => this.rewrite(false))
      return 'scheduled'
    }
    st.rewriteScheduled = false
    const snap = KeyspaceSnapshot.background(this.ks)
    const sinks = this.sinksFor(snap, 'rewrite')
    st.rewriteRunning = true
    st.rewriteStartedAt = Date.now()
    this.runningSnapshot = snap
    this.rewriteRun = (async () => {
      try {
        await writeSnapshot(snap, sinks)
        st.lastRewriteOk = true
        st.rewrites++
      } catch (e) {
        st.lastRewriteOk = false
        throw e
      } finally {
        st.rewriteRunning = false
        st.lastRewriteSeconds = Math.round((Date.now() - st.rewriteStartedAt) / 1000)
        this.runningSnapshot = null
        if (st.bgsaveScheduled && !this.closed) setImmediate(() => this.bgsave(false))
      }
    })()
    this.rewriteRun.catch(() => {})
    return 'started'
  }

  /** Flushes every adapter (AOF buffers to disk). */
  async flush(): Promise<void> {
    for (const a of this.adapters) await a.flush?.()
  }

  /** Set by `shutdown()`: the adapters' own final snapshots are skipped. */
  private noFinalSave = false

  /**
   * SHUTDOWN's save, before the store closes (Redis's finishShutdown): a
   * synchronous save through the adapters when `save` is true (SAVE), or
   * when it is undefined and an adapter saves on close (save rules); none
   * when false (NOSAVE). A running BGSAVE is given up first, as Redis kills
   * its child. A failed save throws unless `force`; otherwise the close that
   * follows takes no second snapshot.
   */
  shutdown(save: boolean | undefined, force: boolean): void {
    const want = save ?? this.adapters.some((a) => a.saveOnClose === true)
    if (want) {
      const st = this.state
      if (st.bgsaveRunning) {
        this.runningSnapshot?.cancel()
        st.bgsaveRunning = false
      }
      try {
        this.save()
      } catch (e) {
        if (!force) throw e
      }
    }
    this.noFinalSave = true
  }

  /**
   * Redis's writeCommandsDeniedByDiskError, as the MISCONF error to refuse a write with: an
   * append-only file that failed its last write, or (with stop-writes-on-bgsave-error and save
   * rules set) a failed last background save. Undefined when writes may go on.
   */
  diskError(): string | undefined {
    for (const a of this.adapters) {
      const why = a.writeError?.()
      if (why !== undefined) return `-MISCONF Errors writing to the AOF file: ${why}`
    }
    const config = this.ks.config
    if (this.state.lastBgsaveOk || !config.get<boolean>('stop-writes-on-bgsave-error') || config.get<SaveRules>('save').length === 0) return undefined
    return E.MISCONF
  }

  /** Stops everything: a running snapshot is cancelled, effects stop, adapters close. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.store.diskGuard = undefined
    this.runningSnapshot?.cancel()
    this.unlisten?.()
    let err: unknown
    const opts: CloseOptions | undefined = this.noFinalSave ? { save: false } : undefined
    for (const a of this.adapters) {
      try {
        a.close?.(opts)
      } catch (e) {
        err ??= e
      }
    }
    if (err !== undefined) throw err
  }

  /** INFO persistence fields. */
  info(): Array<[string, string | number]> {
    const st = this.state
    const now = Date.now()
    const out: Array<[string, string | number]> = [
      ['loading', st.loading ? 1 : 0],
      ['async_loading', 0],
      ['rdb_changes_since_last_save', st.dirty],
      ['rdb_bgsave_in_progress', st.bgsaveRunning ? 1 : 0],
      ['rdb_last_save_time', st.lastSave],
      ['rdb_last_bgsave_status', st.lastBgsaveOk ? 'ok' : 'err'],
      ['rdb_last_bgsave_time_sec', st.lastBgsaveSeconds],
      ['rdb_current_bgsave_time_sec', st.bgsaveRunning ? Math.round((now - st.bgsaveStartedAt) / 1000) : -1],
      ['rdb_saves', st.saves],
      ['aof_rewrite_in_progress', st.rewriteRunning ? 1 : 0],
      ['aof_rewrite_scheduled', st.rewriteScheduled ? 1 : 0],
      ['aof_last_rewrite_time_sec', st.lastRewriteSeconds],
      ['aof_current_rewrite_time_sec', st.rewriteRunning ? Math.round((now - st.rewriteStartedAt) / 1000) : -1],
      ['aof_last_bgrewrite_status', st.lastRewriteOk ? 'ok' : 'err'],
      ['aof_rewrites', st.rewrites],
    ]
    // INFO orders these as Redis does and fills in the fields nobody reports (aof_enabled:0 without an AOF).
    for (const a of this.adapters) {
      const extra = a.info?.()
      if (extra !== undefined) out.push(...extra)
    }
    return out
  }
}

/** Installs parsed RDB databases into the store (empty databases), then function libraries. */
export function installRdb(store: StoreCore, contents: RdbContents): void {
  const ks = store.ks
  for (const [id, ldb] of contents.dbs) {
    const db = ks.dbs[id]!
    if (ldb.map.size === 0) continue
    if (db.map.size === 0 && ks.onKeyAdded === undefined && db.blocked === undefined) {
      // Take the loaded structures as they are.
      const tmp = new Database(ks, id)
      tmp.map = ldb.map
      tmp.keys = ldb.keys
      tmp.volatile = ldb.volatile
      db.swapWith(tmp)
      continue
    }
    for (const [k, e] of ldb.map) {
      if (db.map.has(k)) db.delete(k)
      const ne = db.add(k, e.type, e.value)
      if (e.expire !== 0) db.setExpire(k, ne, e.expire)
      // IDLE / FREQ records: in the access tracking the eviction layer keeps.
      const freq = ldb.freqs?.get(k)
      if (freq !== undefined) store.memory.setFrequency(ne, freq, db)
      else if (e.lru < ks.lruClock) store.memory.setIdleTime(ne, ks.lruClock - e.lru, db)
    }
  }
  loadFunctions(store, contents.functions)
}

/** A load context for RDB readers from a store. */
export function loadContext(store: StoreCore): LoadContext {
  return { cfg: store.ks.config, session: store.s }
}

/** Re-exported so adapters can recognise format errors. */
export { RdbError, Entry }

/** Walks a background snapshot into its sinks (BGSAVE, BGREWRITEAOF); on failure the walk is cancelled and every sink aborted. */
async function writeSnapshot(snap: KeyspaceSnapshot, sinks: SaveSink[]): Promise<void> {
  try {
    await snap.run()
    for (const s of sinks) await s.end()
  } catch (e) {
    snap.cancel()
    for (const s of sinks) s.abort?.(e)
    throw e
  }
}
