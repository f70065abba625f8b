import { systemClock, type Clock } from './core/clock.js'
import { fail, ReplyError } from './core/errors.js'
import { Bool, Double, MapReply, NULL_ARRAY, Push, SetReply, Status, Verbatim, type Reply } from './core/reply.js'
import { formatDouble } from './core/numbers.js'
import { resolveCommand, type Arg, type Command } from './commands/table.js'
import type { Database, Entry } from './keyspace/database.js'
import { Keyspace, type Effect } from './keyspace/keyspace.js'
import { Session } from './session.js'
import './commands/all.js'

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
}

/** A value that `store.call()` accepts as an argument. */
export type CallArg = string | Buffer | number | bigint

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
    const databases = options.databases ?? 16
    if (!Number.isInteger(databases) || databases < 1) throw new RangeError('databases must be a positive integer')
    this.ks = new Keyspace(options.clock ?? systemClock, databases)
    if (options.config) {
      this.ks.config.setMany(Object.entries(options.config).map(([k, v]) => [k.toLowerCase(), String(v)]))
    }
    this.s = this.session()
    if (options.activeExpiry !== false) this.ks.startActiveExpire()
  }

  /** Opens a new Session: a connection-like context with its own selected db, transaction and subscriptions. */
  session(): Session {
    const s = new Session(this)
    this.sessions.add(s)
    return s
  }

  /** @internal Runs a resolved command for a session. Transactions, pub/sub and scripting hook in here. */
  dispatch(s: Session, cmd: Command, argv: Arg[], argStart: number): Reply | Promise<Reply> {
    const ks = this.ks
    ks.stats.commandsProcessed++
    s.lastInteraction = ks.clock.now()
    const reply = s.invoke(cmd, argv, argStart)
    const st = ks.stats.commands.get(cmd.name)
    if (st === undefined) ks.stats.commands.set(cmd.name, { calls: 1, usec: 0, rejected: 0, failed: reply instanceof ReplyError ? 1 : 0 })
    else {
      st.calls++
      if (reply instanceof ReplyError) st.failed++
    }
    return reply
  }

  /** @internal A command refused before it ran (unknown, wrong arity). */
  rejected(_s: Session, _argv: Arg[], err: ReplyError): Reply {
    return err
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

  /** @internal */
  callIn(s: Session, command: string, args: CallArg[], buffers: boolean): unknown {
    const argv: Arg[] = new Array(args.length + 1)
    argv[0] = command
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!
      argv[i + 1] = typeof a === 'string' || Buffer.isBuffer(a) ? a : typeof a === 'number' ? numberArg(a) : String(a)
    }
    const reply = s.execute(argv)
    if (reply instanceof Promise) return reply.then((r) => fromReply(r, buffers, s.resp))
    return fromReply(reply, buffers, s.resp)
  }

  /**
   * @internal Called by typed write methods before they run (the command path
   * calls it from dispatch for denyoom commands): the eviction layer hooks in here.
   */
  beforeWrite(): void {}

  /** @internal The Redis version INFO, HELLO and scripts report. */
  redisVersion = '7.2.4'
  /** @internal A random 40-hex-digit id, as INFO's run_id. */
  readonly runId = randomHex(40)
  /** @internal The TCP port INFO reports (set by the server). */
  port = 0

  /** @internal Whether small integers count as shared objects (OBJECT REFCOUNT); not under LRU/LFU eviction. */
  sharedIntegers(): boolean {
    const c = this.ks.config
    if (!c.has('maxmemory') || c.get<number>('maxmemory') === 0) return true
    const p = c.get<string>('maxmemory-policy')
    return !(p.includes('lru') || p.includes('lfu'))
  }

  /** @internal OBJECT IDLETIME: seconds since the entry was last accessed. */
  idleTime(e: Entry): number {
    return Math.max(0, Math.floor(this.ks.clock.now() / 1000) - e.lru)
  }

  /** @internal OBJECT FREQ (the eviction layer answers when an LFU policy is set). */
  frequency(_e: Entry): number {
    return fail(
      'An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    )
  }

  /** @internal After SWAPDB: blocked clients may now find data. */
  afterSwapDb(_a: Database, _b: Database): void {}

  /** @internal Sessions that count as connected clients. */
  connectedClients(): number {
    return this.sessions.size
  }

  /** @internal Clients blocked in BLPOP and friends. */
  blockedClients(): number {
    return 0
  }

  /** @internal [channels, patterns] with subscribers. */
  pubsubCounts(): [number, number] {
    return [0, 0]
  }

  /** @internal Estimated bytes used by the dataset. */
  usedMemory(): number {
    return typeof process !== 'undefined' && process.memoryUsage ? process.memoryUsage().heapUsed : 0
  }

  /** @internal Peak of `usedMemory()`. */
  peakMemory(): number {
    return this.usedMemory()
  }

  /** @internal COMMAND GETKEYS: the key positions of a full argv, or an error text. */
  commandKeys(argv: Arg[]): number[] | string {
    const r = resolveCommand(argv)
    if (r instanceof ReplyError) return 'Invalid command specified'
    const cmd = r.cmd
    if (cmd.getKeys) return cmd.getKeys(argv)
    const [first, last, step] = cmd.meta.keys
    if (first === 0) return 'The command has no key arguments'
    const out: number[] = []
    const end = last < 0 ? argv.length + last : last
    for (let i = first; i <= end && i < argv.length; i += step || 1) out.push(i)
    return out
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

function randomHex(n: number): string {
  let s = ''
  while (s.length < n) s += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0')
  return s.slice(0, n)
}

function numberArg(n: number): string {
  if (Number.isInteger(n)) return Math.abs(n) < 1e21 ? n.toFixed(0) : String(n)
  return formatDouble(n)
}

function fromReply(r: Reply, buffers: boolean, resp: 2 | 3): unknown {
  if (r instanceof ReplyError) throw r
  return toJs(r, buffers, resp)
}

/** Converts an internal reply to the documented `call()` shape (RESP2 conventions unless the session speaks RESP3). */
export function toJs(r: Reply, buffers: boolean, resp: 2 | 3 = 2): unknown {
  if (r === null) return null
  switch (typeof r) {
    case 'string':
      return buffers ? Buffer.from(r, 'utf8') : r
    case 'number':
    case 'bigint':
      return typeof r === 'bigint' && r >= -9007199254740991n && r <= 9007199254740991n ? Number(r) : r
    case 'symbol':
      return null
  }
  if (Buffer.isBuffer(r)) return buffers ? r : r.toString('utf8')
  if (Array.isArray(r)) return r.map((x) => toJs(x, buffers, resp))
  if (r instanceof ReplyError) return r // inside an array (EXEC): kept as a value
  if (r instanceof Status) return r.value
  if (r instanceof Double) return resp === 3 ? r.value : buffers ? Buffer.from(formatDouble(r.value)) : formatDouble(r.value)
  if (r instanceof MapReply) {
    if (resp === 2) return r.entries.map((x) => toJs(x, buffers, resp))
    const m = new Map<unknown, unknown>()
    for (let i = 0; i < r.entries.length; i += 2) m.set(toJs(r.entries[i]!, buffers, resp), toJs(r.entries[i + 1]!, buffers, resp))
    return m
  }
  if (r instanceof SetReply) return r.items.map((x) => toJs(x, buffers, resp))
  if (r instanceof Verbatim) return buffers ? Buffer.from(r.value) : r.value
  if (r instanceof Bool) return resp === 3 ? r.value : r.value ? 1 : 0
  if (r instanceof Push) return r.items.map((x) => toJs(x, buffers, resp))
  if (r === NULL_ARRAY) return null
  return r
}
