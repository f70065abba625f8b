import { isBinaryKey, keyBytes } from './core/bytes.js'
import { ReplyError } from './core/errors.js'
import { Push, type Reply } from './core/reply.js'
import { bySpelling, resolveCommand, type Arg, type Command } from './commands/table.js'
import type { Database, Watcher } from './keyspace/database.js'
import { NO_TOUCH, type Keyspace } from './keyspace/keyspace.js'
import { blockingOf } from './keyspace/blocking.js'
import { MESSAGE, PMESSAGE, type Message, type Subscriber } from './keyspace/pubsub.js'
import type { StoreCore } from './store-core.js'

let nextId = 1

/** A command queued by MULTI: resolved at queue time, parsed and run by EXEC. */
export interface QueuedCommand {
  cmd: Command
  argv: Arg[]
  argStart: number
}

/** Session gate bits: any of them set sends dispatch down its slow path. */
export const G = {
  MULTI: 1,
  NOAUTH: 2,
  SUBSCRIBED: 4,
  /** In MONITOR mode (src/keyspace/monitor.ts): commands that touch the keyspace are refused. */
  MONITOR: 8,
} as const

/** CLIENT REPLY modes: SKIP_NEXT is set by CLIENT REPLY SKIP itself, SKIP while the next command runs. */
export const REPLY_ON = 0
export const REPLY_OFF = 1
export const REPLY_SKIP_NEXT = 2
export const REPLY_SKIP = 3

/**
 * One WATCHed key: registered in the database's `watched` map so that
 * `keyChanged` reaches it. `expired` records that the key was already
 * logically expired when it was watched: its deletion is then no change.
 */
export class WatchedKey implements Watcher {
  constructor(
    readonly session: Session,
    readonly db: Database,
    readonly key: string,
    public expired: boolean,
  ) {}

  dirtyWatch(): void {
    if (this.expired) {
      const e = this.db.map.get(this.key)
      if (e === undefined || (e.expire !== 0 && e.expire <= this.db.ks.now())) {
        this.expired = false
        return
      }
    }
    this.session.casDirty = true
    // Redis unwatches everything once dirty: nothing can undo it before EXEC.
    this.session.unwatchAll()
  }

  /** SWAPDB replaces the contents (Redis's touchAllWatchedKeysInDb): an expired key stays a non-change. */
  swapWatch(incoming: Database): void {
    const e = incoming.map.get(this.key)
    const incomingExpired = e !== undefined && e.expire !== 0 && e.expire <= this.db.ks.now()
    if (this.expired) {
      // The expired key goes away (no logical change), or is replaced by another expired one.
      if (e === undefined) this.expired = false
      if (e === undefined || incomingExpired) return
    } else if (incomingExpired && !this.db.map.has(this.key)) {
      // A missing key replaced by an expired one: still missing.
      this.expired = true
      return
    }
    this.session.casDirty = true
    this.session.unwatchAll()
  }
}

/**
 * What a connection is in Redis: the selected database, the protocol version,
 * the client's id and name, the MULTI queue, WATCHed keys, subscriptions and
 * AUTH state. Every way in — the typed Store, `store.call()`, the RESP server,
 * the ioredis drop-in, scripts — runs commands through a Session.
 */
export class Session implements Subscriber {
  readonly id = nextId++
  readonly ks: Keyspace
  /** The selected database. */
  db: Database
  /** RESP protocol version of this session (HELLO 3 switches it). */
  resp: 2 | 3 = 2
  /** CLIENT SETNAME. */
  name: string | null = null
  /** CLIENT SETINFO lib-name / lib-ver. */
  libName = ''
  libVer = ''
  /** Creation time (ms), for CLIENT LIST age. */
  readonly createdAt: number
  /**
   * Last command time, for CLIENT LIST idle: in seconds of the store's cached
   * clock (Redis also uses its cached unixtime), so no clock read per command.
   */
  lastInteraction: number
  lastCommand = 'NULL'
  /** Remote address for CLIENT LIST (the server sets it). */
  addr = ''
  laddr = ''
  /** File descriptor-like number CLIENT LIST prints (-1 for in-process sessions). */
  fd = -1
  /** The arguments of the command running (or last run) through the dispatcher. */
  argv: Arg[] | null = null
  /** True while this session's commands run inside a script or EXEC (blocking commands don't block). */
  noBlock = false
  /** True for the session scripts run their `redis.call`s in. */
  inScript = false

  /** Nonzero when dispatch has to look at this session's state first (see `G`). */
  gate = 0
  /** The MULTI queue; null outside a transaction. */
  multi: QueuedCommand[] | null = null
  /** Flags of every queued command OR-ed together (EXEC inherits `denyoom`/`write`). */
  multiFlags = 0
  /** Length of the queue EXEC is running (-1 outside EXEC). */
  execLength = -1
  /** A command was refused while queueing: EXEC answers EXECABORT. */
  execAbort = false
  /** A watched key changed: EXEC answers nil. */
  casDirty = false
  /** WATCHed keys (null when none). */
  watching: WatchedKey[] | null = null
  /** Subscribed channels, patterns and shard channels (canonical strings); null when none. */
  channels: Set<string> | null = null
  patterns: Set<string> | null = null
  shardChannels: Set<string> | null = null
  /** Authenticated (AUTH / HELLO AUTH, or created while no password was required). */
  authenticated = true
  /** CLIENT REPLY ON / OFF / SKIP. */
  replyMode = REPLY_ON
  /** CLIENT NO-EVICT / NO-TOUCH. */
  noEvict = false
  noTouch = false
  /**
   * Where out-of-band replies go: pub/sub messages and keyspace notifications.
   * A door (server connection, ioredis connector) installs it; without one,
   * such messages are dropped.
   */
  out: ((reply: Reply) => void) | null = null
  /** Closes the door's connection (CLIENT KILL, QUIT); set by the door. */
  kill: (() => void) | null = null
  /** A door sets this while the session's reply is a pending Promise (a blocked command): CLIENT LIST's `b`. */
  waiting = false
  /**
   * The session's blocked command has been served (or timed out, or was unblocked) and the door has not yet
   * sent its reply. Redis writes that reply as it serves, so pushes for the session (the notifications of
   * the serve itself, messages from commands after it) wait behind it; the door clears this when it replies.
   */
  served = false
  /** QUIT / CLIENT KILL of itself: the door closes the connection once this reply is written. */
  closeAfterReply = false
  /** Closed sessions run no more commands and hold no subscriptions or watches. */
  closed = false
  /** True for sessions that belong to a connection (pausable, listed by CLIENT LIST with an address). */
  connected = false
  /** CLIENT TRACKING: `TF` bits from src/keyspace/tracking.ts (0 when off). */
  tracking = 0
  /** CLIENT TRACKING REDIRECT: the session invalidations go to (null: this one). */
  trackRedirect: Session | null = null
  /** CLIENT TRACKING BCAST prefixes (canonical strings); null when none. */
  trackPrefixes: Set<string> | null = null

  constructor(readonly store: StoreCore) {
    this.ks = store.ks
    this.db = this.ks.dbs[0]!
    this.createdAt = this.ks.clock.now()
    this.lastInteraction = Math.floor(this.createdAt / 1000)
  }

  /** The index of the selected database. */
  get dbIndex(): number {
    return this.db.id
  }

  /** Selects a database by index (bounds checked by the caller). */
  select(index: number): void {
    this.db = this.ks.dbs[index]!
  }

  /**
   * Runs one command given as raw arguments. Errors come back as `ReplyError`
   * values, never thrown; blocking commands may return a Promise.
   */
  execute(argv: Arg[], /** @internal `argv.slice(1)`, when the caller has it */ args?: Arg[]): Reply | Promise<Reply> {
    // Fast path: a lower-case name of a command without subcommands, with a fitting arity.
    const name = argv[0]
    if (typeof name === 'string') {
      const cmd = bySpelling(name)
      if (cmd !== undefined && cmd.subcommands === undefined) {
        const a = cmd.arity
        const n = argv.length
        if (a > 0 ? n === a : n >= -a) return this.store.dispatch(this, cmd, argv, 1, args)
      }
    }
    const r = resolveCommand(argv)
    if (r instanceof ReplyError) return this.store.rejected(this, argv, r)
    return this.store.dispatch(this, r.cmd, argv, r.argStart)
  }

  /**
   * A key of the selected database was written: invalidates WATCHes on it and
   * publishes the keyspace event `event` of class `cls` (Redis's
   * signalModifiedKey + notifyKeyspaceEvent, which every write pairs).
   */
  signal(key: string, cls: number, event: string): void {
    const ks = this.ks
    ks.keyChanged(this.db, key)
    if (ks.notifyFlags & cls) ks.notify(cls, event, key, this.db.id)
  }

  /** Reports a write's effect in the selected database. Callers check `ks.fx` first. */
  effect(...argv: Arg[]): void {
    this.ks.emit(this.db.id, argv)
  }

  /** Runs a resolved command: parse then run, errors returned as values. */
  invoke(cmd: Command, argv: Arg[], argStart: number, args?: Arg[]): Reply | Promise<Reply> {
    if (this.noTouch) return this.invokeNoTouch(cmd, argv, argStart)
    return this.invokeNow(cmd, argv, argStart, args)
  }

  /**
   * CLIENT NO-TOUCH: the keys this command (and the scripts and transaction it runs) reads keep
   * their LRU/LFU data, except for TOUCH, which touches (Redis's lookupKey). The keyspace's
   * access hook is swapped for the command's duration, so other lookups pay nothing for it.
   */
  private invokeNoTouch(cmd: Command, argv: Arg[], argStart: number): Reply | Promise<Reply> {
    const ks = this.ks
    const prev = ks.touch
    const mute = cmd.name !== 'touch'
    if (mute === (prev === NO_TOUCH)) return this.invokeNow(cmd, argv, argStart)
    if (mute) ks.mutedTouch = prev
    const set = mute ? NO_TOUCH : ks.mutedTouch
    ks.touch = set
    try {
      return this.invokeNow(cmd, argv, argStart)
    } finally {
      // Unless the command installed another hook itself (CONFIG SET maxmemory-policy).
      if (ks.touch === set) ks.touch = prev
    }
  }

  private invokeNow(cmd: Command, argv: Arg[], argStart: number, args?: Arg[]): Reply | Promise<Reply> {
    const ks = this.ks
    // The command sees one time (read lazily: a command that needs none reads no clock); inside a
    // script or transaction, or a command run by another, the enclosing one's holds.
    const own = ks.beginSnapshot()
    try {
      const a = cmd.parse(args ?? (argStart === argv.length ? EMPTY : argv.slice(argStart)), this)
      return cmd.run(this, a)
    } catch (e) {
      if (e instanceof ReplyError) return e
      throw e
    } finally {
      if (own) ks.endSnapshot()
    }
  }

  // ------------------------------------------------------------ transactions

  /** Enters MULTI. */
  beginMulti(): void {
    this.multi = []
    this.multiFlags = 0
    this.execAbort = false
    this.gate |= G.MULTI
  }

  /** Leaves MULTI, dropping the queue and every WATCH (DISCARD, EXEC, RESET). */
  discardMulti(): void {
    this.multi = null
    this.multiFlags = 0
    this.execAbort = false
    this.gate &= ~G.MULTI
    this.unwatchAll()
    this.casDirty = false
  }

  /** WATCHes a key of the selected database. */
  watch(key: string): void {
    const db = this.db
    let map = db.watched
    if (map === undefined) map = db.watched = new Map()
    let set = map.get(key)
    if (set === undefined) map.set(key, (set = new Set()))
    else for (const w of set) if ((w as WatchedKey).session === this) return
    const e = db.map.get(key)
    const wk = new WatchedKey(this, db, key, e !== undefined && e.expire !== 0 && e.expire <= this.ks.now())
    set.add(wk)
    ;(this.watching ??= []).push(wk)
  }

  /** Forgets every WATCHed key (the dirty flag is kept until EXEC/DISCARD/UNWATCH clear it). */
  unwatchAll(): void {
    const list = this.watching
    if (list === null) return
    this.watching = null
    for (const wk of list) {
      const map = wk.db.watched
      if (map === undefined) continue
      const set = map.get(wk.key)
      if (set === undefined) continue
      set.delete(wk)
      if (set.size === 0) {
        map.delete(wk.key)
        if (map.size === 0) wk.db.watched = undefined
      }
    }
  }

  /** Redis 7's check at EXEC: a watched key that expired since WATCH fails the transaction. */
  watchedKeyExpired(): boolean {
    const list = this.watching
    if (list === null) return false
    const now = this.ks.now()
    for (const wk of list) {
      if (wk.expired) continue
      const e = wk.db.map.get(wk.key)
      if (e !== undefined && e.expire !== 0 && e.expire <= now) return true
    }
    return false
  }

  // ------------------------------------------------------------ pub/sub

  /** Number of channel + pattern (+ shard channel) subscriptions. */
  get subscriptionCount(): number {
    return (this.channels?.size ?? 0) + (this.patterns?.size ?? 0)
  }

  get shardCount(): number {
    return this.shardChannels?.size ?? 0
  }

  /** Recomputes the SUBSCRIBED gate bit after a (un)subscribe. */
  updateSubscribed(): void {
    if (this.subscriptionCount + this.shardCount > 0) this.gate |= G.SUBSCRIBED
    else this.gate &= ~G.SUBSCRIBED
  }

  /** A published message for this session's subscriptions: a push to the door. */
  deliver(kind: number, channel: string, message: Message, pattern: string | null): void {
    const out = this.out
    if (out === null) return
    const ch = wire(channel)
    const m = typeof message === 'string' ? wire(message) : message
    out(new Push(kind === PMESSAGE ? ['pmessage', wire(pattern!), ch, m] : [kind === MESSAGE ? 'message' : 'smessage', ch, m]))
  }

  /**
   * Whether the reply of the command just run is to be sent (CLIENT REPLY);
   * doors call it once per command and drop the reply when it says no.
   */
  takeReply(): boolean {
    const m = this.replyMode
    if (m === REPLY_ON) return true
    if (m === REPLY_SKIP_NEXT) this.replyMode = REPLY_SKIP
    else if (m === REPLY_SKIP) this.replyMode = REPLY_ON
    return false
  }

  // ------------------------------------------------------------ lifecycle

  /**
   * Closes the session as a disconnect does: drops the transaction, WATCHes,
   * subscriptions and client tracking, gives up a blocked command (its Promise rejects), and
   * forgets the session in the store.
   */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.discardMulti()
    this.store.unsubscribeAll(this)
    if (this.tracking !== 0) this.ks.tracking?.disable(this)
    if (this.gate & G.MONITOR) this.store.monitors?.drop(this)
    // A command still blocked (BLPOP...) is given up, as Redis does for a disconnected client.
    blockingOf(this.store)?.unblockSession(this, 'cancel')
    this.store.sessions.delete(this)
    this.out = null
    this.kill = null
  }
}

const EMPTY: Arg[] = []

/** A canonical string as it goes on the wire: binary keys as their bytes. */
export function wire(s: string): string | Buffer {
  return isBinaryKey(s) ? keyBytes(s) : s
}
