/**
 * Blocked clients (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK...), as Redis 7.2's
 * blocked.c does it:
 *
 * - A command that finds nothing registers a waiter on its keys (first come,
 *   first served per key) and hands back a Promise of its reply.
 * - Creating a list, sorted set or stream at a key someone waits on marks the
 *   key ready (`Database.add` → `Keyspace.onReady`).
 * - After the writing command (or the whole MULTI/EXEC or script) completes,
 *   {@link serveReady} runs: for each ready key, in signal order, each waiter
 *   of the matching type is unblocked and its command re-run in full; one that
 *   still finds nothing blocks again at the back of the queues. Keys made ready
 *   while serving (BLMOVE pushing into a list someone else waits on) are served
 *   in the same round.
 * - Timeouts reply the command's nil; an AbortSignal, CLIENT UNBLOCK and
 *   `store.close()` end a wait early.
 * - XREADGROUP waiters (`unblockOnNoKey`) are also re-run when the stream they
 *   wait on goes away or is replaced: deleted in any way (DEL, expiry,
 *   eviction, FLUSHDB, SWAPDB, MOVE, RENAME), overwritten by another value
 *   (SET, RENAME/COPY/RESTORE onto it), and on XGROUP DESTROY. The re-run
 *   answers NOGROUP or WRONGTYPE, or serves a stream that took its place
 *   (Redis 7.2's signalDeletedKeyAsReady + scanDatabaseForDeletedKeys). Only
 *   keys with such waiters are watched, through the WATCH registry, which
 *   every write, deletion and flush already reports to.
 *
 * The state lives in a {@link Blocking} per Store, installed on first use by
 * {@link installBlocking}.
 */
import { ReplyError, replyError } from '../core/errors.js'
import type { Reply } from '../core/reply.js'
import type { Session } from '../session.js'
import type { StoreCore } from '../store-core.js'
import { T, type Database, type Watcher } from './database.js'

/**
 * Re-runs a blocked command's non-blocking path in the waiter's session (with
 * the database it blocked in selected). Returns the reply, or undefined when
 * there is still nothing to serve and the client keeps waiting. May throw a
 * ReplyError (WRONGTYPE...), which becomes the client's reply.
 */
export type Retry = (s: Session) => Reply | undefined

/** How a blocking command waits. */
export interface WaitSpec {
  /** Keys to wait on (duplicates are fine). */
  keys: readonly string[]
  /** The type whose creation at a key wakes this waiter: T.LIST, T.ZSET or T.STREAM. */
  type: number
  /** Relative timeout in ms; 0 waits forever. */
  timeoutMs: number
  /** The reply on timeout (NULL_ARRAY for the list and sorted-set commands). */
  timeoutReply: Reply
  retry: Retry
  /** Ends the wait early: the Promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined
  /**
   * Also re-run when a key is deleted or replaced by another value, whatever
   * the new type (XREADGROUP: its consumer group went with the old stream).
   */
  unblockOnNoKey?: boolean | undefined
}

/** The message of the Error pending waits reject with when their Store is closed. */
export const STORE_CLOSED = 'the store was closed while a blocking command was waiting'

class Waiter {
  timer: ReturnType<typeof setTimeout> | undefined = undefined
  onAbort: (() => void) | undefined = undefined
  settled = false
  constructor(
    readonly s: Session,
    readonly db: Database,
    readonly keys: readonly string[],
    readonly spec: WaitSpec,
    readonly deadline: number,
    readonly resolve: (r: Reply) => void,
    readonly reject: (e: unknown) => void,
  ) {}
}

type WaitMap = Map<string, Set<Waiter>>

/** Ready-key reasons: data arrived (signalKeyAsReady), or the key was written and may be gone. */
const READY = 1
const SUSPECT = 2

/**
 * Watches one key that `unblockOnNoKey` waiters block on. Registered in the
 * database's WATCH registry, so every change of the key reaches it (commands,
 * lazy and active expiry, eviction, FLUSHDB/FLUSHALL, SWAPDB); at the next
 * serve the key counts as deleted when it no longer holds the value it held
 * when the waiters blocked.
 */
class KeyGuard implements Watcher {
  /** Waiters on the key that unblock on deletion. */
  n = 0
  constructor(
    readonly b: Blocking,
    readonly db: Database,
    readonly key: string,
    /** The value at the key when last checked. */
    public value: unknown,
  ) {}
  dirtyWatch(): void {
    this.b.suspect(this.db, this.key)
  }
}

/** Ready keys queued over all stores: lets {@link serveReady} return at once in the common case. */
let queued = 0

const INSTANCES = new WeakMap<StoreCore, Blocking>()

/** The blocking state of one Store. */
export class Blocking {
  private readonly waiters = new Set<Waiter>()
  /** Ready keys in signal order, as (db, key) pairs flattened. */
  private ready: Array<Database | string> = []
  /** Per database: the queued keys and why (READY | SUSPECT bits). */
  private readonly readySets = new Map<Database, Map<string, number>>()
  /** Per database: guards of the keys `unblockOnNoKey` waiters block on. */
  private readonly guards = new Map<Database, Map<string, KeyGuard>>()
  private serving = false
  private flushScheduled = false
  private closed = false
  /** True when the clock moves only when told to (ManualClock): timeouts follow it instead of timers. */
  private readonly manualClock: boolean

  constructor(readonly store: StoreCore) {
    const ks = store.ks
    // Hooks are chained, so anything installed before keeps running.
    const prevReady = ks.onReady
    ks.onReady = (db, key) => {
      if (prevReady !== undefined) prevReady(db, key)
      this.signal(db, key)
    }
    store.blockedClients = () => this.waiters.size
    const prevSwap = store.afterSwapDb.bind(store)
    store.afterSwapDb = (a, b) => {
      prevSwap(a, b)
      this.rescan(a)
      this.rescan(b)
    }
    store.closeHooks.push(() => this.close())
    const clock = ks.clock as { onChange?: (fn: () => void) => () => void }
    this.manualClock = typeof clock.onChange === 'function'
    if (this.manualClock) clock.onChange!(() => this.checkTimeouts())
  }

  /** Number of waiting commands (INFO's blocked_clients). */
  get blockedCount(): number {
    return this.waiters.size
  }

  /** Whether a session has a command waiting (CLIENT LIST's `b` flag). */
  isBlocked(s: Session): boolean {
    for (const w of this.waiters) if (w.s === s) return true
    return false
  }

  /** Number of distinct keys waited on, over all databases (INFO's total_blocking_keys). */
  blockingKeys(): number {
    let n = 0
    for (const db of this.store.ks.dbs) if (db.blocked !== undefined) n += db.blocked.size
    return n
  }

  /** Registers a waiter for `s` and returns the Promise of its eventual reply. */
  wait(s: Session, spec: WaitSpec): Promise<Reply> {
    if (this.closed || this.store.isClosed) return Promise.reject(new Error(STORE_CLOSED))
    const signal = spec.signal
    if (signal !== undefined && signal.aborted) return Promise.reject(abortReason(signal))
    return new Promise<Reply>((resolve, reject) => {
      const deadline = spec.timeoutMs > 0 ? this.store.ks.now() + spec.timeoutMs : 0
      const w = new Waiter(s, s.db, spec.keys, spec, deadline, resolve, reject)
      this.waiters.add(w)
      this.attach(w)
      this.arm(w)
      if (signal !== undefined) {
        w.onAbort = () => {
          if (w.settled) return
          this.detach(w)
          this.settle(w)
          reject(abortReason(signal))
        }
        signal.addEventListener('abort', w.onAbort, { once: true })
      }
    })
  }

  /**
   * Ends the waits of one session early (CLIENT UNBLOCK, a closed connection):
   * `timeout` replies the timeout reply, `error` the UNBLOCKED error, `cancel`
   * rejects the Promise. Returns whether the session was waiting.
   */
  unblockSession(s: Session, mode: 'timeout' | 'error' | 'cancel'): boolean {
    let any = false
    for (const w of this.waiters) {
      if (w.s !== s) continue
      any = true
      this.detach(w)
      this.settle(w)
      if (mode === 'timeout') w.resolve(w.spec.timeoutReply)
      else if (mode === 'error') w.resolve(replyError('-UNBLOCKED client unblocked via CLIENT UNBLOCK'))
      else w.reject(new Error('the session was closed while a blocking command was waiting'))
    }
    return any
  }

  /** Keyspace.onReady: a list/zset/stream was created at a key with waiters. */
  signal(db: Database, key: string): void {
    const e = db.map.get(key)
    if (e === undefined || (e.type !== T.LIST && e.type !== T.ZSET && e.type !== T.STREAM)) return
    this.enqueue(db, key, READY)
  }

  /** A key guarded for `unblockOnNoKey` waiters was written: checked at the next serve. */
  suspect(db: Database, key: string): void {
    this.enqueue(db, key, SUSPECT)
  }

  /** Queues a key for {@link serve} (once: a key already queued keeps its place and gains the reason). */
  private enqueue(db: Database, key: string, why: number): void {
    let set = this.readySets.get(db)
    if (set === undefined) this.readySets.set(db, (set = new Map()))
    const had = set.get(key)
    if (had !== undefined) {
      set.set(key, had | why)
      return
    }
    set.set(key, why)
    this.ready.push(db, key)
    queued++
    if (!this.flushScheduled) {
      // A fallback for writes made by code paths that do not call serveReady.
      this.flushScheduled = true
      queueMicrotask(() => {
        this.flushScheduled = false
        this.serve()
      })
    }
  }

  /** True when keys are waiting to be served. */
  get hasReady(): boolean {
    return this.ready.length !== 0
  }

  /** handleClientsBlockedOnKeys: serves every ready key, including keys made ready meanwhile. */
  serve(): void {
    if (this.serving) return
    this.serving = true
    try {
      while (this.ready.length !== 0) {
        const list = this.ready
        this.ready = []
        for (let i = 0; i < list.length; i += 2) {
          const db = list[i] as Database
          const key = list[i + 1] as string
          queued--
          const set = this.readySets.get(db)!
          const why = set.get(key)!
          set.delete(key)
          this.serveKey(db, key, why)
        }
      }
    } finally {
      this.serving = false
    }
  }

  /** handleClientsBlockedOnKey: the waiters on one key, oldest first. */
  private serveKey(db: Database, key: string, why: number): void {
    const set = (db.blocked as WaitMap | undefined)?.get(key)
    if (set === undefined) return
    let gone = false
    if ((why & SUSPECT) !== 0) {
      const g = this.guards.get(db)?.get(key)
      if (g !== undefined) {
        const v = db.peek(key)?.value
        // Deleted, or replaced by another value (of any type) since the waiters blocked.
        if (v !== g.value) {
          gone = true
          g.value = v
        }
      }
      if (!gone && (why & READY) === 0) return
    }
    // Only the waiters there now: one that blocks again goes to the back and is not retried in this pass.
    let count = set.size
    for (const w of set) {
      if (count-- <= 0) break
      const e = db.peek(key)
      if ((e === undefined || e.type !== w.spec.type) && !(gone && w.spec.unblockOnNoKey === true)) continue
      this.detach(w)
      let r: Reply | undefined
      const s = w.s
      const saved = s.db
      s.db = w.db
      s.served = true
      try {
        r = w.spec.retry(s)
      } catch (err) {
        if (!(err instanceof ReplyError)) {
          this.settle(w)
          w.reject(err)
          continue
        }
        r = err
      } finally {
        s.db = saved
      }
      if (r === undefined) {
        s.served = false
        this.attach(w)
      } else {
        this.settle(w)
        w.resolve(r)
      }
    }
  }

  /** After SWAPDB: keys waited on that now hold a value are ready (scanDatabaseForReadyKeys). */
  private rescan(db: Database): void {
    const blocked = db.blocked as WaitMap | undefined
    if (blocked === undefined) return
    for (const key of blocked.keys()) if (db.map.has(key)) this.signal(db, key)
  }

  /** Adds a waiter at the back of the queue of each of its keys. */
  private attach(w: Waiter): void {
    const db = w.db
    let map = db.blocked as WaitMap | undefined
    if (map === undefined) db.blocked = map = new Map()
    const guarded = w.spec.unblockOnNoKey === true
    for (const k of w.keys) {
      let set = map.get(k)
      if (set === undefined) map.set(k, (set = new Set()))
      else if (guarded && set.has(w)) continue // a key named twice
      set.add(w)
      if (guarded) this.guard(db, k)
    }
  }

  /** Removes a waiter from the queues of its keys. */
  private detach(w: Waiter): void {
    const db = w.db
    const map = db.blocked as WaitMap | undefined
    if (map === undefined) return
    const guarded = w.spec.unblockOnNoKey === true
    for (const k of w.keys) {
      const set = map.get(k)
      if (set === undefined || !set.delete(w)) continue
      if (set.size === 0) map.delete(k)
      if (guarded) this.unguard(db, k)
    }
    if (map.size === 0) db.blocked = undefined
  }

  /** Counts one more `unblockOnNoKey` waiter on a key, watching it from the first. */
  private guard(db: Database, key: string): void {
    let gm = this.guards.get(db)
    if (gm === undefined) this.guards.set(db, (gm = new Map()))
    let g = gm.get(key)
    if (g === undefined) {
      gm.set(key, (g = new KeyGuard(this, db, key, db.map.get(key)?.value)))
      let watched = db.watched
      if (watched === undefined) db.watched = watched = new Map()
      let ws = watched.get(key)
      if (ws === undefined) watched.set(key, (ws = new Set()))
      ws.add(g)
    }
    g.n++
  }

  /** Counts one `unblockOnNoKey` waiter less on a key, unwatching it after the last. */
  private unguard(db: Database, key: string): void {
    const gm = this.guards.get(db)
    const g = gm?.get(key)
    if (g === undefined || --g.n > 0) return
    gm!.delete(key)
    if (gm!.size === 0) this.guards.delete(db)
    const watched = db.watched
    const ws = watched?.get(key)
    if (ws === undefined) return
    ws.delete(g)
    if (ws.size === 0) {
      watched!.delete(key)
      if (watched!.size === 0) db.watched = undefined
    }
  }

  /** Marks a waiter done: no more timer, abort listener or count. */
  private settle(w: Waiter): void {
    w.settled = true
    w.s.served = true
    this.waiters.delete(w)
    if (w.timer !== undefined) clearTimeout(w.timer)
    w.timer = undefined
    if (w.onAbort !== undefined) w.spec.signal!.removeEventListener('abort', w.onAbort)
  }

  /** Starts the timeout timer of a waiter (unref'd: a blocked command never keeps the process alive). */
  private arm(w: Waiter): void {
    if (w.deadline === 0 || this.manualClock) return
    const delay = w.deadline - this.store.ks.clock.now()
    // setTimeout's longest delay is 2^31-1 ms; longer waits re-arm when it fires.
    w.timer = setTimeout(() => this.onTimer(w), Math.min(Math.max(delay, 1), 2147483647))
    const t = w.timer as { unref?: () => void }
    if (typeof t.unref === 'function') t.unref()
  }

  private onTimer(w: Waiter): void {
    w.timer = undefined
    if (w.settled) return
    if (this.store.ks.clock.now() < w.deadline) this.arm(w)
    else this.expire(w)
  }

  private expire(w: Waiter): void {
    this.detach(w)
    this.settle(w)
    w.resolve(w.spec.timeoutReply)
  }

  /** With a manual clock: time out every waiter whose deadline has passed. */
  private checkTimeouts(): void {
    if (this.waiters.size === 0) return
    const now = this.store.ks.clock.now()
    for (const w of this.waiters) if (w.deadline !== 0 && w.deadline <= now) this.expire(w)
  }

  /** store.close(): every pending wait rejects. */
  private close(): void {
    this.closed = true
    for (const w of this.waiters) {
      this.detach(w)
      this.settle(w)
      w.reject(new Error(STORE_CLOSED))
    }
  }
}

function abortReason(signal: AbortSignal): unknown {
  if (signal.reason !== undefined) return signal.reason
  const e = new Error('The operation was aborted')
  e.name = 'AbortError'
  return e
}

/**
 * The blocking state of a Store, installing it on first use: sets
 * `ks.onReady`, overrides `store.blockedClients` and `store.afterSwapDb`, and
 * adds a close hook. Idempotent.
 */
export function installBlocking(store: StoreCore): Blocking {
  let b = INSTANCES.get(store)
  if (b === undefined) INSTANCES.set(store, (b = new Blocking(store)))
  return b
}

/** The Store's blocking state if it was ever installed. */
export function blockingOf(store: StoreCore): Blocking | undefined {
  return INSTANCES.get(store)
}

/**
 * Blocks session `s` on `spec.keys` and returns the Promise of the reply:
 * served after a later write creates one of the keys, or the timeout reply.
 */
export function blockOn(s: Session, spec: WaitSpec): Promise<Reply> {
  return installBlocking(s.store).wait(s, spec)
}

/**
 * Serves clients blocked on keys that became ready. Call it after each
 * top-level command: the dispatcher does for every session command (passing
 * the session, so nothing is served in the middle of a MULTI/EXEC or script,
 * whose session has `noBlock` set), and typed write methods do after their
 * `run`. Cheap when nothing is ready.
 */
export function serveReady(store: StoreCore, s?: Session): void {
  if (queued === 0) return
  if (s !== undefined && s.noBlock) return
  const b = INSTANCES.get(store)
  if (b !== undefined && b.hasReady) b.serve()
}
