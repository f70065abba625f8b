import { performance } from 'node:perf_hooks'
import type { Clock } from '../core/clock.js'
import { string2ll } from '../core/numbers.js'
import { Config, CONFIG_PARAMS, LLONG_MAX, parseMemoryExact } from './config.js'
import { Database, type Entry } from './database.js'
import { N, keyeventChannel, keyspaceChannel, parseNotifyFlags, formatNotifyFlags } from './notifications.js'
import type { Tracking } from './tracking.js'

/**
 * maxmemory-clients: a memory value, or a percentage of maxmemory (kept as Redis keeps it, negative).
 * A memory value past 2^63 - 1 reads as a negative number in Redis's signed config, so as a percentage too.
 */
function parseMemoryOrPercent(text: string): number {
  const pct = text.length > 1 && text.endsWith('%') ? string2ll(text.slice(0, -1)) : undefined
  let v: bigint
  if (pct !== undefined && pct >= 0) v = -BigInt(pct)
  else {
    const n = parseMemoryExact(text)
    if (n === undefined) throw new Error('argument must be a memory or percent value')
    v = n > LLONG_MAX ? n - (1n << 64n) : n
  }
  if (v < -100n) throw new Error('percentage argument must be less or equal to 100')
  return Number(v)
}

/** `Keyspace.touch` while a CLIENT NO-TOUCH session's command runs: lookups leave access data alone. */
export const NO_TOUCH = (_db: Database, _e: Entry): void => {}

/** A write's effect: the deterministic command that reproduces it, and the database it ran in. */
export interface Effect {
  db: number
  argv: Array<string | Buffer>
}

/** Statistics INFO reports. */
export interface Stats {
  keyspaceHits: number
  keyspaceMisses: number
  expiredKeys: number
  evictedKeys: number
  commandsProcessed: number
  connectionsReceived: number
  startTime: number
  expireCycleCpuMs: number
  /** Per command (full lower-case name): calls, usec, rejected and failed calls. */
  commands: Map<string, CommandStat>
  /** The same records by command id, for the dispatcher's hot path. */
  byId: Array<CommandStat | undefined>
  /** Error replies sent (INFO total_error_replies), and per error prefix (INFO errorstats). */
  errorReplies: number
  errors: Map<string, number>
  /** Bytes read from and written to connections, and the reads and writes (INFO total_net_*, total_*_processed). */
  netInputBytes: number
  netOutputBytes: number
  readsProcessed: number
  writesProcessed: number
}

/** Distinct error prefixes INFO errorstats tracks, as Redis caps them (further ones count only in the total). */
const ERRORSTATS_LIMIT = 128

/** INFO commandstats figures of one command. */
export interface CommandStat {
  calls: number
  usec: number
  rejected: number
  failed: number
}

/**
 * The whole dataset: the numbered databases, configuration, statistics, the
 * clock, and the hooks through which writes are reported (effects for
 * persistence, keyspace notifications, WATCH, blocked clients).
 */
export class Keyspace {
  readonly dbs: Database[]
  readonly config = new Config()
  readonly stats: Stats
  /** Seconds clock for access times (Redis's LRU clock), refreshed by the cron timer and by clock changes. */
  lruClock = 0
  /**
   * Set while a script or a transaction runs, and from its first clock read while a command runs:
   * Redis freezes time for their duration (its command time snapshot).
   */
  frozenNow = 0
  /** True while a command runs outside a frozen scope: its first clock read freezes time until it ends. */
  snapshot = false
  /** Effect listeners; `fx` is true when there is at least one, so commands can skip building argv. */
  private readonly effectListeners: Array<(e: Effect) => void> = []
  fx = false
  /** Keyspace-notification classes enabled (notify-keyspace-events). */
  notifyFlags = 0
  /** Publishes a message to a channel (installed by the pub/sub layer); returns receivers. */
  publish: ((channel: string, message: string) => number) | undefined
  /** Hooks for layers above (blocking clients, eviction, memory accounting). */
  onReady: ((db: Database, key: string) => void) | undefined
  onKeyAdded: ((db: Database, key: string, e: Entry) => void) | undefined
  onKeyRemoved: ((db: Database, key: string, at: number) => void) | undefined
  onFlush: ((db: Database) => void) | undefined
  /** A deletion moved the key at position `from` of `db` to `to`; `t` is its access data. */
  onKeyMoved: ((db: Database, from: number, to: number, t: number) => void) | undefined
  /** SWAPDB exchanged two databases' contents. */
  onSwapped: (() => void) | undefined
  /** Client-side caching (src/keyspace/tracking.ts), from the first CLIENT TRACKING ON on. */
  tracking: Tracking | undefined
  /** Memory accounting: a key's value was modified in place (called from `keyChanged`). */
  onKeyWritten: ((db: Database, key: string) => void) | undefined
  /**
   * Access tracking installed by the eviction layer for LRU/LFU policies
   * (`Database.lookup` calls it instead of storing `lruClock` in `e.lru`).
   */
  touch: ((db: Database, e: Entry) => void) | undefined
  /** The access tracking `touch` held before a CLIENT NO-TOUCH command replaced it with {@link NO_TOUCH}. */
  mutedTouch: ((db: Database, e: Entry) => void) | undefined
  private expireTimer: ReturnType<typeof setInterval> | undefined

  constructor(
    readonly clock: Clock,
    databases: number,
  ) {
    this.lruClock = Math.floor(clock.now() / 1000)
    const c0 = clock as { onChange?: (fn: () => void) => () => void }
    if (typeof c0.onChange === 'function') c0.onChange(() => this.refreshClock())
    this.dbs = Array.from({ length: databases }, (_, i) => new Database(this, i))
    this.stats = {
      keyspaceHits: 0,
      keyspaceMisses: 0,
      expiredKeys: 0,
      evictedKeys: 0,
      commandsProcessed: 0,
      connectionsReceived: 0,
      startTime: clock.now(),
      expireCycleCpuMs: 0,
      commands: new Map(),
      byId: [],
      errorReplies: 0,
      errors: new Map(),
      netInputBytes: 0,
      netOutputBytes: 0,
      readsProcessed: 0,
      writesProcessed: 0,
    }
    const c = this.config
    for (const def of CONFIG_PARAMS) c.define(def)
    c.define({ name: 'databases', kind: { type: 'int', min: 1, max: 1 << 30 }, default: databases, immutable: true })
    c.define({
      name: 'notify-keyspace-events',
      kind: {
        type: 'custom',
        parse: (t) => {
          const f = parseNotifyFlags(t)
          if (f === undefined) throw new Error("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
          return f
        },
        format: (v) => formatNotifyFlags(v as number),
      },
      default: 0,
    })
    c.watch('notify-keyspace-events', (v) => (this.notifyFlags = v as number))
    // Redis keeps hz within 1..500 whatever is set (CONFIG GET shows the adjusted value).
    c.define({ name: 'hz', kind: { type: 'int', min: 0, max: 2147483647 }, default: 10, adjust: (v) => Math.min(500, Math.max(1, v as number)) })
    c.watch('hz', () => this.restartActiveExpire())
    c.define({ name: 'active-expire-effort', kind: { type: 'int', min: 1, max: 10 }, default: 1 })
    // Memory limits: enforced by the eviction layer; defined here so CONFIG answers them from the start.
    c.define({ name: 'maxmemory', kind: { type: 'memory' }, default: 0 })
    c.define({
      name: 'maxmemory-policy',
      kind: {
        type: 'enum',
        values: ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'],
      },
      default: 'noeviction',
    })
    c.define({ name: 'maxmemory-samples', kind: { type: 'int', min: 1, max: 64 }, default: 5 })
    c.define({ name: 'maxmemory-eviction-tenacity', kind: { type: 'int', min: 0, max: 100 }, default: 10 })
    // Client eviction is not done here (connections' buffers are not accounted): accepted, kept and reported.
    c.define({
      name: 'maxmemory-clients',
      kind: { type: 'custom', parse: parseMemoryOrPercent, format: (v) => ((v as number) < 0 ? `${-(v as number)}%` : String(v)) },
      default: 0,
    })
    c.define({ name: 'lfu-log-factor', kind: { type: 'int', min: 0, max: 2147483647 }, default: 10 })
    c.define({ name: 'lfu-decay-time', kind: { type: 'int', min: 0, max: 2147483647 }, default: 1 })
    c.define({ name: 'proto-max-bulk-len', kind: { type: 'memory', min: 1024 * 1024, max: LLONG_MAX }, default: 512 * 1024 * 1024 })
  }

  /** The statistics record of a command, created on first use. */
  commandStat(cmd: { id: number; name: string }): CommandStat {
    let st = this.stats.byId[cmd.id]
    if (st === undefined) {
      st = { calls: 0, usec: 0, rejected: 0, failed: 0 }
      this.stats.byId[cmd.id] = st
      this.stats.commands.set(cmd.name, st)
    }
    return st
  }

  /** Counts an error reply by its prefix (`ERR`, `WRONGTYPE`…), as Redis's afterErrorReply does. */
  countError(message: string): void {
    const st = this.stats
    st.errorReplies++
    const sp = message.indexOf(' ')
    const prefix = sp === -1 ? message : message.slice(0, sp)
    const n = st.errors.get(prefix)
    if (n !== undefined) st.errors.set(prefix, n + 1)
    else if (st.errors.size < ERRORSTATS_LIMIT) st.errors.set(prefix, 1)
  }

  /** Re-reads the clock for the cached LRU clock. */
  refreshClock(): void {
    this.lruClock = Math.floor(this.clock.now() / 1000)
  }

  /**
   * Starts a command's time snapshot, unless a script, transaction or enclosing command already
   * holds one. Returns whether this call owns it (then `endSnapshot()` once the command is done).
   */
  beginSnapshot(): boolean {
    if (this.snapshot || this.frozenNow !== 0) return false
    this.snapshot = true
    return true
  }

  /** Ends the snapshot an owning `beginSnapshot()` started: time moves again. */
  endSnapshot(): void {
    this.snapshot = false
    this.frozenNow = 0
  }

  /** The current time in ms (one time per command, script and transaction, as in Redis). */
  now(): number {
    const f = this.frozenNow
    if (f !== 0) return f
    const t = this.clock.now()
    if (this.snapshot) this.frozenNow = t
    return t
  }

  /** Registers an effect listener; returns a function that removes it. */
  onEffect(fn: (e: Effect) => void): () => void {
    this.effectListeners.push(fn)
    this.fx = true
    return () => {
      const i = this.effectListeners.indexOf(fn)
      if (i >= 0) this.effectListeners.splice(i, 1)
      this.fx = this.effectListeners.length > 0
    }
  }

  /** Reports one write's effect. Callers check `fx` first so no argv is built when nobody listens. */
  emit(db: number, argv: Array<string | Buffer>): void {
    const e: Effect = { db, argv }
    if (this.batch !== undefined) {
      if (this.dropEffects === 0) this.batch.push(e)
      return
    }
    for (const fn of this.effectListeners) fn(e)
  }

  /** Effects held back while a transaction or script runs (Redis propagates them at its end). */
  private batch: Effect[] | undefined
  private batchDepth = 0
  /** While non-zero, effects are not kept (a script's `redis.set_repl(redis.REPL_NONE)`). */
  dropEffects = 0

  /** Starts an atomic unit (EXEC, a script): its effects are held until the matching `endBatch()`. Nests. */
  beginBatch(): void {
    if (this.batchDepth++ === 0 && this.fx) this.batch = []
  }

  /** Ends an atomic unit: its effects go out together, wrapped in MULTI/EXEC when there are several. */
  endBatch(): void {
    if (--this.batchDepth !== 0) return
    const list = this.batch
    this.batch = undefined
    if (list === undefined || list.length === 0) return
    if (list.length === 1) return this.emit(list[0]!.db, list[0]!.argv)
    this.emit(list[0]!.db, ['MULTI'])
    for (const e of list) this.emit(e.db, e.argv)
    this.emit(list[list.length - 1]!.db, ['EXEC'])
  }

  /**
   * Whether a write in `db` would be seen by nothing but the data: no memory accounting or access
   * tracking, no client-side caching, no WATCH (nor blocked XREADGROUP), no keyspace notifications
   * and no effect listeners (persistence). Hot paths may then skip the signals.
   */
  unobserved(db: Database): boolean {
    return this.onKeyWritten === undefined && this.touch === undefined && this.quiet(db)
  }

  /**
   * Whether a write in `db` would be seen by nothing but the memory layer: no client-side caching,
   * no WATCH (nor blocked XREADGROUP), no keyspace notifications and no effect listeners.
   */
  quiet(db: Database): boolean {
    return this.tracking === undefined && db.watched === undefined && this.notifyFlags === 0 && !this.fx
  }

  /**
   * Redis's signalModifiedKey: a key's value changed (or it was deleted).
   * Invalidates WATCHes on it and client-side caches (CLIENT TRACKING).
   */
  keyChanged(db: Database, key: string): void {
    if (this.onKeyWritten !== undefined) this.onKeyWritten(db, key)
    if (this.tracking !== undefined) this.tracking.changed(key)
    const w = db.watched
    if (w === undefined) return
    const set = w.get(key)
    if (set !== undefined) for (const s of set) s.dirtyWatch()
  }

  /** Redis's signalKeyAsReady: a list, sorted set or stream that clients block on got data. */
  signalReady(db: Database, key: string): void {
    if (this.onReady !== undefined) this.onReady(db, key)
  }

  /**
   * Redis's notifyKeyspaceEvent: publishes `event` for `key` on the keyspace
   * and keyevent channels when `cls` is enabled by notify-keyspace-events.
   */
  notify(cls: number, event: string, key: string, db: number): void {
    const flags = this.notifyFlags
    if ((flags & cls) === 0 || this.publish === undefined) return
    if (flags & N.KEYSPACE) this.publish(keyspaceChannel(db, key), event)
    if (flags & N.KEYEVENT) this.publish(keyeventChannel(db, event), key)
  }

  /** One run of the active expiry cycle over every database, within a time budget. */
  activeExpireCycle(): void {
    const start = performance.now()
    this.refreshClock()
    const effort = this.config.get<number>('active-expire-effort')
    const perLoop = 20 + 5 * (effort - 1)
    // Redis spends at most 25% of CPU on this per second: budget = 250ms / hz.
    const hz = Math.max(1, this.config.get<number>('hz'))
    const budget = (250 * (1 + (effort - 1) * 0.1)) / hz
    const now = this.clock.now()
    for (const db of this.dbs) {
      if (db.volatile.size === 0) continue
      // Repeat while more than 10% of the sampled keys were expired, as Redis does.
      for (;;) {
        const [tested, expired] = db.expireCycle(perLoop, now)
        if (tested === 0 || expired * 10 <= tested) break
        if (performance.now() - start > budget) break
      }
      if (performance.now() - start > budget) break
    }
    this.stats.expireCycleCpuMs += performance.now() - start
  }

  /** Starts the active expiry timer (hz times a second, unref'd so it never keeps the process alive). */
  startActiveExpire(): void {
    this.stopActiveExpire()
    const hz = this.config.get<number>('hz')
    if (hz <= 0) return
    this.expireTimer = setInterval(() => this.activeExpireCycle(), Math.max(1, Math.round(1000 / Math.min(hz, 500))))
    if (typeof this.expireTimer === 'object' && this.expireTimer && 'unref' in this.expireTimer) this.expireTimer.unref()
  }

  stopActiveExpire(): void {
    if (this.expireTimer !== undefined) clearInterval(this.expireTimer)
    this.expireTimer = undefined
  }

  private restartActiveExpire(): void {
    if (this.expireTimer !== undefined) this.startActiveExpire()
  }
}
