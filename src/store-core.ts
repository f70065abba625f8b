import { Buffer } from 'node:buffer'
import { performance } from 'node:perf_hooks'
import { asArg, keyBytes, keyOf } from './core/bytes.js'
import { systemClock, type Clock } from './core/clock.js'
import { fail, replyError, ReplyError } from './core/errors.js'
import { BigNumber, Bool, Double, MapReply, NULL_ARRAY, Push, Replies, type Reply, SetReply, Status, Verbatim } from './core/reply.js'
import { formatDouble, numberText } from './core/numbers.js'
import { CF, lower, resolveCommand, TABLE, type Arg, type Command } from './commands/table.js'
import type { Database, Entry } from './keyspace/database.js'
import { Keyspace, type Effect } from './keyspace/keyspace.js'
import { MemoryLayer, type EvictionPolicy } from './keyspace/eviction.js'
import { serveReady } from './keyspace/blocking.js'
import { PubSub } from './keyspace/pubsub.js'
import { TF, type Tracking } from './keyspace/tracking.js'
import { monitorRefuses, type Monitors } from './keyspace/monitor.js'
import { G, Session, type QueuedCommand } from './session.js'
import { commandKeysAndFlags, recordSlow } from './commands/admin.js'
import { COMMAND_GROUPS } from './commands/all.js'
import { scriptCommandFlags, type ScriptingHook } from './commands/scripting.js'
import { attachPersistence, type PersistenceAdapter } from './persistence/adapter.js'

/** Options for a new Store. */
export interface StoreOptions {
  /** Number of databases (SELECT 0..n-1). Default 16. */
  databases?: number
  /** Where time comes from. Default: `Date.now()` (so fake timers work); pass a `ManualClock` to drive it by hand. */
  clock?: Clock
  /**
   * Start the active expiry cycle (a timer, unref'd, `hz` times a second) that
   * deletes expired keys nobody reads. Default true. Expired keys are never
   * visible either way: every access checks the TTL.
   */
  activeExpiry?: boolean
  /** Initial configuration, as CONFIG SET would take it (`{ 'notify-keyspace-events': 'KEA' }`). */
  config?: Record<string, string | number>
  /** A scripting engine for EVAL/FCALL: `lua()` from 'embedis/lua'. Without one, scripting commands answer an error. */
  scripting?: ScriptingHook
  /**
   * Memory limit: bytes, or a string with a unit as CONFIG SET takes it
   * (`'64mb'`). Writes over the limit evict keys by `maxmemoryPolicy`.
   * Default 0 (no limit). See docs/caching.md.
   */
  maxmemory?: number | string
  /** Which keys to evict at the limit (Redis's eight policies). Default `'noeviction'`: writes are refused with Redis's OOM error. */
  maxmemoryPolicy?: EvictionPolicy
  /** embedis extension: at most this many keys (all databases together), evicted by `maxmemoryPolicy`. Default 0 (no limit). */
  maxkeys?: number
  /** Persistence adapters (`rdbFile`, `aofFile` from 'embedis/persistence', or your own): data is loaded when the store is created. See docs/persistence.md. */
  persistence?: PersistenceAdapter | PersistenceAdapter[]
}

/** A value that `store.call()` accepts as an argument. */
export type CallArg = string | Uint8Array | number | bigint

/** What `store.call()` returns: bulk → string, integer → number (bigint past 2^53), nil → null, arrays as arrays, status → string. */
export type CallReply = string | number | bigint | null | CallReply[]
/** What `store.callBuffer()` returns: as `CallReply` with bulk strings as Buffers. */
export type CallBufferReply = Buffer | string | number | bigint | null | CallBufferReply[]

/**
 * The part of the Store every door shares: the keyspace, sessions and the
 * command dispatcher. The typed command methods are mixed into `Store`.
 */
export class StoreCore {
  /** @internal The dataset. */
  readonly ks: Keyspace
  /** @internal The session typed methods and `call()` run in. */
  readonly s: Session
  /** @internal Every open session. */
  readonly sessions = new Set<Session>()
  private closed = false

  constructor(options: StoreOptions = {}) {
    if (COMMAND_GROUPS.length === 0) throw new Error('no command groups loaded')
    const databases = options.databases ?? 16
    if (!Number.isInteger(databases) || databases < 1) throw new RangeError('databases must be a positive integer')
    this.ks = new Keyspace(options.clock ?? systemClock, databases)
    this.slowlogThreshold = this.ks.config.get<number>('slowlog-log-slower-than')
    this.ks.config.watch('slowlog-log-slower-than', (v) => (this.slowlogThreshold = v as number))
    this.memory = new MemoryLayer(this.ks, options)
    if (options.config) {
      this.ks.config.setMany(Object.entries(options.config).map(([k, v]) => [k.toLowerCase(), String(v)]))
    }
    this.s = this.session()
    if (options.activeExpiry !== false) this.ks.startActiveExpire()
    options.scripting?.install(this)
    if (options.persistence !== undefined) attachPersistence(this, options.persistence)
  }

  /** Opens a new Session: a connection-like context with its own selected db, transaction and subscriptions. */
  session(): Session {
    const s = new Session(this)
    this.sessions.add(s)
    return s
  }

  /**
   * @internal Runs a resolved command for a session, as Redis's processCommand
   * does: the session's state (AUTH, RESP2 subscribed mode, MULTI) and a
   * client pause are looked at only when the session's gate says so.
   */
  dispatch(s: Session, cmd: Command, argv: Arg[], argStart: number, args?: Arg[]): Reply | Promise<Reply> {
    if (s.gate !== 0 || this.pausedUntil !== 0) return this.gated(s, cmd, argv, argStart)
    const flags = cmd.flags & CF.SCRIPT ? scriptCommandFlags(this, cmd, argv) : cmd.flags
    if (flags & CF.DENYOOM || this.diskGuard !== undefined) {
      const err = this.refusal(s, cmd, flags, (flags & CF.DENYOOM) !== 0)
      if (err !== undefined) return this.reject(s, cmd, err)
    }
    const r = this.runCommand(s, cmd, argv, argStart, args)
    // Clients blocked on keys this command filled are served right after it.
    serveReady(this, s)
    return r
  }

  /**
   * @internal Runs a command now (statistics, then parse + run). EXEC runs its queue through here.
   * `args`, when given, is `argv.slice(argStart)` already made.
   */
  runCommand(s: Session, cmd: Command, argv: Arg[], argStart: number, args?: Arg[]): Reply | Promise<Reply> {
    const ks = this.ks
    ks.stats.commandsProcessed++
    s.lastInteraction = ks.lruClock
    s.lastCommand = cmd.name
    s.argv = argv
    // Timing costs two clock reads per command, which in-process calls would feel: commands are
    // timed (for SLOWLOG and INFO commandstats) on connections, or everywhere when every command
    // is to be logged (slowlog-log-slower-than 0).
    const slow = this.slowlogThreshold
    const timed = slow === 0 || (slow > 0 && s.connected)
    const t0 = timed ? performance.now() : 0
    // MONITOR (src/keyspace/monitor.ts): undefined unless something monitors.
    const mon = this.monitors
    if (mon !== undefined) mon.before(s, cmd, argv)
    const t = ks.tracking
    let reply = t === undefined ? s.invoke(cmd, argv, argStart, args) : this.trackedInvoke(t, s, cmd, argv, argStart)
    if (mon !== undefined) mon.after(s, cmd, argv)
    const usec = timed ? (performance.now() - t0) * 1000 : 0
    // A RESP2 subscriber's PING answers as a message-like array (Redis's pingCommand).
    if (s.gate & G.SUBSCRIBED && s.resp === 2 && cmd.name === 'ping' && !(reply instanceof ReplyError)) {
      reply = ['pong', reply instanceof Status ? '' : (reply as Reply)]
    }
    const st = ks.commandStat(cmd)
    st.calls++
    if (reply instanceof ReplyError) {
      st.failed++
      if (!reply.counted) ks.countError(reply.message)
    }
    if (timed && !(reply instanceof Promise)) {
      st.usec += Math.round(usec)
      recordSlow(this, s, argv, usec)
    }
    return reply
  }

  /**
   * `invoke` while client tracking exists (src/keyspace/tracking.ts): the
   * outermost command's session is tracking's `current` (the one whose reads
   * a script's or EXEC's commands are, and whose writes default-mode NOLOOP
   * skips), every command's session its `running`, the table is kept within
   * tracking-table-max-keys before it runs, and the key arguments of a
   * read-only command are remembered after it ran (even when it failed, as
   * Redis does). CLIENT CACHING's one-command flag ends with the command.
   */
  private trackedInvoke(t: Tracking, s: Session, cmd: Command, argv: Arg[], argStart: number): Reply | Promise<Reply> {
    if (t.depth++ === 0) {
      t.current = s
      if (t.clients.size !== 0) t.limit()
    }
    const running = t.running
    t.running = s
    try {
      const reply = s.invoke(cmd, argv, argStart)
      const c = t.current!
      if (c.tracking & TF.ON && cmd.flags & CF.READONLY) rememberKeys(t, c, cmd, argv)
      return reply
    } finally {
      t.running = running
      if (--t.depth === 0) {
        t.current = null
        // CACHING holds for the next command; MULTI's queue and other CLIENT subcommands keep it.
        if (s.tracking & TF.CACHING && s.multi === null && cmd.parent?.name !== 'client') s.tracking &= ~TF.CACHING
      }
    }
  }

  /** The slow path of dispatch, in Redis's order of checks. */
  private gated(s: Session, cmd: Command, argv: Arg[], argStart: number): Reply | Promise<Reply> {
    if (s.closed) return replyError('connection closed')
    const g = s.gate
    if (g & G.NOAUTH && !(cmd.flags & CF.NO_AUTH)) {
      if (this.requirePass() !== '') return this.reject(s, cmd, replyError('-NOAUTH Authentication required.'))
    }
    const inMulti = (g & G.MULTI) !== 0
    const name = cmd.name
    const flags = cmd.flags & CF.SCRIPT ? scriptCommandFlags(this, cmd, argv) : cmd.flags
    // Under the memory limit, a transaction queues nothing but its own control commands (Redis's rule).
    const oomCheck = (flags & CF.DENYOOM) !== 0 || (inMulti && !TX_CONTROL.has(name)) || (name === 'exec' && (s.multiFlags & CF.DENYOOM) !== 0)
    const refused = this.refusal(s, cmd, flags, oomCheck)
    if (refused !== undefined) return this.reject(s, cmd, refused)
    if (g & G.SUBSCRIBED && s.resp === 2 && !SUBSCRIBED_OK.has(name)) {
      return this.reject(
        s,
        cmd,
        replyError(`Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`),
      )
    }
    if (g & G.MONITOR && monitorRefuses(s, cmd, flags)) return this.reject(s, cmd, replyError("Replica can't interact with the keyspace"))
    if (inMulti && cmd.flags & CF.NO_MULTI) return this.reject(s, cmd, replyError('Command not allowed inside a transaction'))
    if (this.pausedUntil !== 0 && this.isPaused(s, cmd, flags)) {
      return this.pauseEnded().then(() => this.dispatch(s, cmd, argv, argStart))
    }
    if (inMulti && !TX_CONTROL.has(name)) {
      s.multi!.push({ cmd, argv, argStart })
      s.multiFlags |= flags
      return QUEUED_REPLY
    }
    const r = this.runCommand(s, cmd, argv, argStart)
    serveReady(this, s)
    return r
  }

  /**
   * Redis's rejectCommand: a refused command flags an open transaction (EXEC
   * will answer EXECABORT); a refused EXEC discards the transaction itself.
   */
  private reject(s: Session, cmd: Command | undefined, err: ReplyError): Reply {
    if (s.multi !== null) s.execAbort = true
    if (cmd !== undefined) {
      this.ks.commandStat(cmd).rejected++
      if (cmd.name === 'exec') {
        s.discardMulti()
        const m = err.message
        err = new ReplyError('EXECABORT Transaction discarded because of: ' + (m.startsWith('ERR ') ? m.slice(4) : m))
      }
    }
    this.ks.countError(err.message)
    return err
  }

  /** @internal A command refused before it ran (unknown, wrong arity). */
  rejected(s: Session, argv: Arg[], err: ReplyError): Reply {
    const top = TABLE.get(lower(argv[0]!))
    const cmd = top !== undefined && top.subcommands !== undefined && argv.length > 1 ? (top.subcommands.get(lower(argv[1]!)) ?? top) : top
    return this.reject(s, cmd, err)
  }

  /**
   * @internal Runs EXEC's queue: time frozen, blocking commands answering at
   * once, each command's reply (or error) in the result array.
   */
  execQueue(s: Session, queue: QueuedCommand[]): Reply[] {
    const ks = this.ks
    const frozen = ks.frozenNow
    if (frozen === 0) ks.frozenNow = ks.clock.now()
    const noBlock = s.noBlock
    s.noBlock = true
    const out: Reply[] = []
    ks.beginBatch()
    try {
      for (const q of queue) {
        const r = this.runCommand(s, q.cmd, q.argv, q.argStart)
        if (r instanceof Promise) {
          // A blocking command must answer at once inside EXEC (noBlock); never wait here.
          r.catch(() => {})
          out.push(replyError(`'${q.cmd.name}' cannot block inside a transaction`))
        } else if ((r as unknown) instanceof Replies) {
          // One item however many replies it holds: EXEC's array counts queued commands.
          const list = (r as unknown as Replies).list
          out.push((list.length === 1 ? snapshot(list[0]!) : new Replies(list.map((x) => snapshot(x)))) as unknown as Reply)
        } else out.push(snapshot(r))
      }
    } finally {
      ks.endBatch()
      ks.frozenNow = frozen
      s.noBlock = noBlock
    }
    return out
  }

  /** @internal The `requirepass` in effect ('' when none). */
  requirePass(): string {
    return this.ks.config.has('requirepass') ? this.ks.config.get<string>('requirepass') : ''
  }

  /**
   * @internal A session for a connection (RESP server, ioredis drop-in): it
   * must AUTH when `requirepass` is set, can be paused, and counts as a client.
   */
  connect(): Session {
    const s = this.session()
    s.connected = true
    this.ks.stats.connectionsReceived++
    if (this.requirePass() !== '') {
      s.authenticated = false
      s.gate |= G.NOAUTH
    }
    return s
  }

  /** @internal Sessions in MONITOR mode and `monitor()` listeners; undefined while there are none. */
  monitors: Monitors | undefined = undefined

  private hub: PubSub | undefined

  /** @internal The pub/sub registry; created on first use, when it also starts receiving keyspace events. */
  get pubsub(): PubSub {
    let h = this.hub
    if (h === undefined) {
      h = this.hub = new PubSub()
      const hub = h
      this.ks.publish = (channel, message) => hub.publish(channel, message)
    }
    return h
  }

  /** @internal Drops every subscription of a session (disconnect, RESET). */
  unsubscribeAll(s: Session): void {
    const h = this.hub
    if (h === undefined) return
    if (s.channels !== null) for (const c of s.channels) h.unsubscribe(s, c)
    if (s.patterns !== null) for (const p of s.patterns) h.punsubscribe(s, p)
    if (s.shardChannels !== null) for (const c of s.shardChannels) h.sunsubscribe(s, c)
    s.channels = s.patterns = s.shardChannels = null
    s.updateSubscribed()
  }

  /** @internal CLIENT PAUSE: end time (ms, 0 when not paused) and mode. */
  pausedUntil = 0
  pauseAll = false
  private pauseTimer: ReturnType<typeof setTimeout> | undefined
  private pauseWaiters: Array<() => void> = []

  /** @internal Starts (or extends) a client pause, as CLIENT PAUSE does. */
  pauseClients(ms: number, all: boolean): void {
    const until = Date.now() + ms
    // A new pause never shortens a running one, and ALL wins over WRITE while both last.
    if (this.pausedUntil !== 0) {
      this.pauseAll = this.pauseAll || all
      if (until <= this.pausedUntil) return
    } else this.pauseAll = all
    this.pausedUntil = until
    if (this.pauseTimer !== undefined) clearTimeout(this.pauseTimer)
    this.pauseTimer = setTimeout(() => this.unpauseClients(), Math.max(0, ms))
    if (typeof this.pauseTimer === 'object' && 'unref' in this.pauseTimer) this.pauseTimer.unref()
  }

  /** @internal Ends a client pause (CLIENT UNPAUSE or its timeout); postponed commands run in order. */
  unpauseClients(): void {
    if (this.pauseTimer !== undefined) clearTimeout(this.pauseTimer)
    this.pauseTimer = undefined
    this.pausedUntil = 0
    this.pauseAll = false
    const waiters = this.pauseWaiters
    this.pauseWaiters = []
    for (const w of waiters) w()
  }

  /** `flags`: the command's as dispatch checks them (a script that declares `no-writes` neither writes nor may replicate). */
  private isPaused(s: Session, cmd: Command, flags: number): boolean {
    if (!s.connected) return false
    if (this.pauseAll) return true
    if (flags & (CF.WRITE | CF.MAY_REPLICATE)) return true
    return cmd.name === 'exec' && (s.multiFlags & (CF.WRITE | CF.MAY_REPLICATE)) !== 0
  }

  private pauseEnded(): Promise<void> {
    return new Promise((resolve) => this.pauseWaiters.push(resolve))
  }

  /**
   * Runs any command by name with string, Buffer or number arguments, in the
   * store's own session (database 0 unless SELECTed through `call`).
   * Replies: bulk string → string (UTF-8), integer → number (bigint past
   * 2^53), nil → null, array → array, status → string; an error is thrown as
   * `ReplyError` with Redis's exact message. Blocking commands return a Promise.
   *
   * ```ts
   * store.call('SET', 'k', 'v', 'EX', 10) // 'OK'
   * store.call('ZRANGE', 'z', 0, -1)       // ['a', 'b']
   * ```
   */
  call(command: string, ...args: CallArg[]): CallReply {
    return this.callIn(this.s, command, args, false) as CallReply
  }

  /** Like `call()`, with bulk strings returned as Buffers (exact bytes). */
  callBuffer(command: string, ...args: CallArg[]): CallBufferReply {
    return this.callIn(this.s, command, args, true) as CallBufferReply
  }

  /** @internal `args` (the caller's own rest array) is converted in place and handed to the command's parser. */
  callIn(s: Session, command: string, args: CallArg[], buffers: boolean): unknown {
    const argv: Arg[] = new Array(args.length + 1)
    argv[0] = command
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!
      if (typeof a === 'string' || Buffer.isBuffer(a)) argv[i + 1] = a
      else args[i] = argv[i + 1] = typeof a === 'number' ? numberText(a) : a instanceof Uint8Array ? asArg(a) : String(a)
    }
    // `args` (our own rest array, now all strings and Buffers) doubles as the parsed arguments: no slice.
    const reply = s.execute(argv, args as Arg[])
    if (reply instanceof Promise) return reply.then((r) => fromReply(r, buffers, s.resp))
    return fromReply(reply, buffers, s.resp)
  }

  /**
   * @internal Called by typed write methods before they run: the memory limits (as dispatch checks
   * denyoom commands), then the disk (MISCONF, as dispatch checks write commands).
   */
  beforeWrite(): void {
    this.memoryCheck()
    const err = this.diskError()
    if (err !== undefined) throw err
  }

  /**
   * processCommand's OOM check (when `oomCheck`) and its writeCommandsDeniedByDiskError check (for a
   * write, by its `flags` as dispatch sees them, or PING): the error to refuse `cmd` with, or undefined.
   * A script's own commands are checked by the script (its start's memory state, its first write).
   */
  private refusal(s: Session, cmd: Command, flags: number, oomCheck: boolean): ReplyError | undefined {
    if (s.inScript) return undefined
    if (oomCheck) {
      const oom = this.oomError()
      if (oom !== undefined) return oom
    }
    if (this.diskGuard === undefined || !(flags & CF.WRITE || cmd.name === 'ping' || (cmd.name === 'exec' && s.multiFlags & CF.WRITE))) return undefined
    return this.diskError()
  }

  /** The MISCONF error writes are refused with while the disk refuses them (see `diskGuard`), else undefined. */
  private diskError(): ReplyError | undefined {
    const err = this.diskGuard?.()
    return err === undefined ? undefined : replyError(err)
  }

  /** Evicts down to the limits, or throws Redis's OOM error (dispatch's check of denyoom commands). */
  memoryCheck(): void {
    const m = this.memory
    if (m.limited && m.over()) m.enforce()
  }

  /** `memoryCheck` with its OOM error returned instead of thrown (undefined: within the limits). */
  oomError(): ReplyError | undefined {
    try {
      this.memoryCheck()
    } catch (e) {
      if (e instanceof ReplyError) return e
      throw e
    }
    return undefined
  }

  /**
   * @internal Set while persistence is attached: the MISCONF error writes are refused with, when
   * the disk refuses them (src/persistence/adapter.ts), else undefined.
   */
  diskGuard: (() => string | undefined) | undefined = undefined

  /**
   * @internal Runs a typed method that reads the time more than once as one command does: its
   * first clock read holds until it returns (Redis's command time snapshot, as `Session.invokeNow`).
   */
  atOneTime<T>(fn: () => T): T {
    const ks = this.ks
    const own = ks.beginSnapshot()
    try {
      return fn()
    } finally {
      if (own) ks.endSnapshot()
    }
  }

  /** @internal Memory accounting, limits and eviction (src/keyspace/eviction.ts). */
  readonly memory: MemoryLayer

  /** @internal slowlog-log-slower-than, cached for the dispatcher (-1 = off). */
  slowlogThreshold = 10000

  /** @internal The Redis version INFO, HELLO and scripts report. */
  redisVersion = '7.2.4'
  /** @internal A random 40-hex-digit id, as INFO's run_id. */
  readonly runId = randomHex(40)
  /** @internal The TCP port INFO reports (set by the server). */
  port = 0

  /** @internal Whether small integers count as shared objects (OBJECT REFCOUNT); not under LRU/LFU eviction. */
  sharedIntegers(): boolean {
    const m = this.memory
    if (m.maxmemory === 0) return true
    return !(m.policy.includes('lru') || m.policy.includes('lfu'))
  }

  /** @internal OBJECT IDLETIME: seconds since the entry was last accessed (an error under LFU policies). */
  idleTime(e: Entry, db?: Database): number {
    return this.memory.idleTime(e, db)
  }

  /** @internal OBJECT FREQ: the entry's LFU counter (an error unless an LFU policy is set). */
  frequency(e: Entry, db?: Database): number {
    return this.memory.frequency(e, db)
  }

  /** @internal After SWAPDB: blocked clients may now find data. */
  afterSwapDb(_a: Database, _b: Database): void {}

  /** @internal Sessions that count as connected clients (every session but the store's own). */
  connectedClients(): number {
    return this.sessions.size - (this.sessions.has(this.s) ? 1 : 0)
  }

  /** @internal Clients blocked in BLPOP and friends. */
  blockedClients(): number {
    return 0
  }

  /** @internal [channels, patterns] with subscribers. */
  pubsubCounts(): [number, number] {
    const h = this.hub
    return h === undefined ? [0, 0] : [h.channels.size, h.patterns.size]
  }

  /** @internal Estimated heap bytes used by the dataset (src/keyspace/memory.ts). */
  usedMemory(): number {
    return this.memory.usedMemory()
  }

  /** @internal Peak of `usedMemory()`. */
  peakMemory(): number {
    return this.memory.peakMemory()
  }

  /** Registers a listener for the effect of every write (the deterministic command that reproduces it). Returns a function that removes it. */
  onEffect(listener: (effect: Effect) => void): () => void {
    return this.ks.onEffect(listener)
  }

  /** Stops the store's timers. The data stays readable; call it when done with a Store. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.ks.stopActiveExpire()
    for (const fn of this.closeHooks) fn()
  }

  /** @internal Cleanup run by close() (blocked clients, servers, persistence). */
  readonly closeHooks: Array<() => void> = []

  /** True once `close()` was called. */
  get isClosed(): boolean {
    return this.closed
  }
}

/** Commands that MULTI runs at once instead of queueing. */
const TX_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset'])
/** Commands a RESP2 client may send while subscribed. */
const SUBSCRIBED_OK = new Set(['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset'])
const QUEUED_REPLY = new Status('QUEUED')

/** Read-only scripts: only the commands they run are tracked, not their KEYS. */
const UNTRACKED_READS = new Set(['eval_ro', 'evalsha_ro', 'fcall_ro'])

/** trackingRememberKeys: the key arguments of a read-only command a tracking session ran. */
function rememberKeys(t: Tracking, c: Session, cmd: Command, argv: Arg[]): void {
  const f = c.tracking
  if (f & TF.BCAST) return
  // OPTIN tracks only after CLIENT CACHING YES, OPTOUT all but after CLIENT CACHING NO.
  if (f & TF.OPTIN ? !(f & TF.CACHING) : f & TF.OPTOUT && f & TF.CACHING) return
  // Shard channels count as keys for cluster routing, but are no data to cache.
  if (cmd.flags & CF.PUBSUB || UNTRACKED_READS.has(cmd.name)) return
  const id = c.id
  if (cmd.getKeys === undefined && !(cmd.flags & CF.MOVABLEKEYS)) {
    const [first, last, step] = cmd.meta.keys
    if (first === 0) return
    const end = last < 0 ? argv.length + last : last
    for (let i = first; i <= end && i < argv.length; i += step || 1) t.remember(id, keyOf(argv[i]!))
    return
  }
  let positions: number[]
  if (cmd.getKeys !== undefined) positions = cmd.getKeys(argv)
  else {
    try {
      positions = commandKeysAndFlags(argv).map((k) => k.pos)
    } catch {
      return
    }
  }
  for (const i of positions) if (i < argv.length) t.remember(id, keyOf(argv[i]!))
}

function randomHex(n: number): string {
  let s = ''
  while (s.length < n) s += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0')
  return s.slice(0, n)
}

/**
 * A reply as it stands now: EXEC sends its replies once the whole queue has run, and a later queued
 * SETBIT, SETRANGE, APPEND or PFADD changes a stored Buffer in place, so Buffers are copied.
 */
function snapshot(r: Reply, depth = 0): Reply {
  if (r === null || typeof r !== 'object') return r
  if (Buffer.isBuffer(r)) return Buffer.from(r)
  if (depth >= DEEP) return walkDeep(r, dataKids, (x) => snapshot(x), snapshotNode)
  if (Array.isArray(r)) {
    for (let i = 0; i < r.length; i++) {
      const x = r[i]!
      if (x !== null && typeof x === 'object') r[i] = snapshot(x, depth + 1)
    }
    return r
  }
  if (r instanceof MapReply) return new MapReply(r.entries.map((x) => snapshot(x, depth + 1)))
  if (r instanceof SetReply) return new SetReply(r.items.map((x) => snapshot(x, depth + 1)))
  return r
}

/** `snapshot` of an aggregate whose elements are done. */
function snapshotNode(r: Reply, items: Reply[]): Reply {
  if (Array.isArray(r)) {
    for (let i = 0; i < items.length; i++) r[i] = items[i]!
    return r
  }
  return r instanceof MapReply ? new MapReply(items) : new SetReply(items)
}

/** Nesting past which replies are walked by a loop instead of recursion (a script reply can nest ~8,000 deep). */
const DEEP = 256

/** The elements of an array, map or set reply (what `snapshot` copies through), else undefined. */
function dataKids(r: Reply): readonly Reply[] | undefined {
  if (Array.isArray(r)) return r
  if (r instanceof MapReply) return r.entries
  if (r instanceof SetReply) return r.items
  return undefined
}

/** The elements of any aggregate reply (what `toJs` converts through), else undefined. */
function replyKids(r: Reply): readonly Reply[] | undefined {
  const k = dataKids(r)
  if (k !== undefined) return k
  if (r instanceof Push) return r.items
  if ((r as unknown) instanceof Replies) return (r as unknown as Replies).list
  return undefined
}

/**
 * Rebuilds a deeply nested reply bottom-up with a stack of its own: `leaf` for what `kids` says
 * has no elements, `node` for an aggregate once its elements are done.
 */
function walkDeep<T>(root: Reply, kids: (r: Reply) => readonly Reply[] | undefined, leaf: (r: Reply) => T, node: (r: Reply, items: T[]) => T): T {
  const top = kids(root)
  if (top === undefined) return leaf(root)
  const stack: Array<{ r: Reply; items: readonly Reply[]; out: T[] }> = [{ r: root, items: top, out: [] }]
  for (;;) {
    const f = stack[stack.length - 1]!
    if (f.out.length === f.items.length) {
      stack.pop()
      const v = node(f.r, f.out)
      if (stack.length === 0) return v
      stack[stack.length - 1]!.out.push(v)
      continue
    }
    const x = f.items[f.out.length]!
    const k = kids(x)
    if (k === undefined) f.out.push(leaf(x))
    else stack.push({ r: x, items: k, out: [] })
  }
}

function fromReply(r: Reply, buffers: boolean, resp: 2 | 3): unknown {
  // The commonest replies first: plain text, integers, nil.
  if (typeof r === 'string' && !buffers && r.charCodeAt(0) !== 0xdc00) return r
  if (typeof r === 'number' || r === null) return r
  if (r instanceof ReplyError) throw r
  return toJs(r, buffers, resp)
}

/** A RESP3 map's converted entries (key, value, key, value…) as a Map. */
function mapOf(items: unknown[]): Map<unknown, unknown> {
  const m = new Map<unknown, unknown>()
  for (let i = 0; i < items.length; i += 2) m.set(items[i], items[i + 1])
  return m
}

/** Converts an internal reply to the documented `call()` shape (RESP2 conventions unless the session speaks RESP3). */
export function toJs(r: Reply, buffers: boolean, resp: 2 | 3 = 2, depth = 0): unknown {
  if (r === null) return null
  switch (typeof r) {
    case 'string':
      if (r.charCodeAt(0) === 0xdc00) return buffers ? keyBytes(r) : keyBytes(r).toString('utf8')
      return buffers ? Buffer.from(r, 'utf8') : r
    case 'number':
    case 'bigint':
      return typeof r === 'bigint' && r >= -9007199254740991n && r <= 9007199254740991n ? Number(r) : r
    case 'symbol':
      return null
  }
  // A copy: a stored value must not change under the caller (SETBIT, APPEND… write in place), nor the caller's writes reach the store.
  if (Buffer.isBuffer(r)) return buffers ? Buffer.from(r) : r.toString('utf8')
  if (depth >= DEEP) {
    const pairs = (x: Reply, items: unknown[]): unknown => (x instanceof MapReply && resp === 3 ? mapOf(items) : items)
    return walkDeep(r, replyKids, (x) => toJs(x, buffers, resp), pairs)
  }
  const d = depth + 1
  if (Array.isArray(r)) return r.map((x) => toJs(x, buffers, resp, d))
  if (r instanceof ReplyError) return r // inside an array (EXEC): kept as a value
  if (r instanceof Status) return r.value
  if (r instanceof Double) return resp === 3 ? r.value : buffers ? Buffer.from(r.text ?? formatDouble(r.value)) : (r.text ?? formatDouble(r.value))
  if (r instanceof MapReply) {
    const items = r.entries.map((x) => toJs(x, buffers, resp, d))
    return resp === 2 ? items : mapOf(items)
  }
  if (r instanceof SetReply) return r.items.map((x) => toJs(x, buffers, resp, d))
  if (r instanceof Verbatim || r instanceof BigNumber) return buffers ? Buffer.from(r.value) : r.value
  if (r instanceof Bool) return resp === 3 ? r.value : r.value ? 1 : 0
  if (r instanceof Push) return r.items.map((x) => toJs(x, buffers, resp, d))
  // SUBSCRIBE a b queued in MULTI: its confirmations are one item of EXEC's array.
  if ((r as unknown) instanceof Replies) return (r as unknown as Replies).list.map((x) => toJs(x, buffers, resp, d))
  if (r === NULL_ARRAY) return null
  return r
}
