/**
 * Client-side caching (Redis's tracking.c): CLIENT TRACKING's table of keys
 * read by tracking clients, BCAST prefixes, and the invalidation messages.
 *
 * - Default mode: the keys a tracking session reads (key arguments of
 *   read-only commands, remembered by the dispatcher after the command ran)
 *   are kept in `table`: key → ids of the sessions that read it. The first
 *   change of such a key sends each of them one invalidation and forgets
 *   the key, until it is read again. Keys are names only, as in Redis: a
 *   change in any database invalidates.
 * - BCAST mode: nothing is remembered; every changed key that starts with
 *   a registered prefix is collected and sent once per prefix after the
 *   running code yields (a microtask, Redis's beforeSleep), keys sorted.
 * - FLUSHDB / FLUSHALL send every tracking session a null invalidation.
 * - Delivery: RESP3 sessions get `>2 invalidate [keys]` pushes; with
 *   REDIRECT the target gets them instead, as a push in RESP3 or, in RESP2,
 *   as a `message` on `__redis__:invalidate` when it is in Pub/Sub mode.
 *   A vanished target earns the tracking session a `tracking-redir-broken`
 *   push (RESP3) at each invalidation it could not deliver.
 *
 * The Keyspace holds one `Tracking` from the first CLIENT TRACKING ON on;
 * until then `keyChanged` sees `ks.tracking === undefined` and pays nothing.
 * Only commands run through the dispatcher are remembered as reads (they
 * are what connections and sessions send); the typed Store methods run in
 * the store's own session, which has no connection to receive pushes, so
 * their reads are not tracked. Their writes do invalidate.
 */
import { isBinaryKey, keyBytes } from '../core/bytes.js'
import { Push, type Reply } from '../core/reply.js'
import { G, wire, type Session } from '../session.js'
import { compareBytes } from '../types/sorted-set.js'
import { registerConfig } from './config.js'
import type { Keyspace } from './keyspace.js'

registerConfig({ name: 'tracking-table-max-keys', kind: { type: 'int', min: 0, max: 9223372036854775807n }, default: 1000000 })

/** `Session.tracking` bits (Redis's CLIENT_TRACKING_* flags). */
export const TF = {
  ON: 1,
  BCAST: 2,
  OPTIN: 4,
  OPTOUT: 8,
  /** CLIENT CACHING YES (OPTIN) / NO (OPTOUT) given for the next command. */
  CACHING: 16,
  NOLOOP: 32,
  BROKEN_REDIR: 64,
} as const

/** One BCAST prefix: its sessions, and the keys changed since the last broadcast with who changed them. */
interface Bcast {
  clients: Set<Session>
  keys: Map<string, Session | null>
}

const INVALIDATE = 'invalidate'
const CHANNEL = '__redis__:invalidate'

export class Tracking {
  /** Default mode: key → ids of the sessions that read it. */
  readonly table = new Map<string, Set<number>>()
  /** Sum of the id sets' sizes (INFO tracking_total_items). */
  items = 0
  /** Sessions with tracking on, by id. */
  readonly clients = new Map<number, Session>()
  /** BCAST prefixes (canonical strings) in use. */
  readonly prefixes = new Map<string, Bcast>()
  /**
   * The session whose command runs (for a script's or EXEC's commands, the
   * one that sent EVAL/EXEC), null outside commands: NOLOOP skips its writes,
   * and its reads are the ones remembered.
   */
  current: Session | null = null
  /**
   * The session whose command is executing right now: a script's own session
   * inside EVAL. BCAST's NOLOOP compares with it (Redis records the client
   * passed to signalModifiedKey, so a script's writes reach its caller).
   */
  running: Session | null = null
  /** Nesting of dispatched commands (EXEC, scripts); the outermost sets `current`. */
  depth = 0
  /** tracking-table-max-keys (0 = no limit). */
  maxKeys: number
  /** Runs of `limit()` that could not get under the limit (Redis's timeout_counter: more effort each time). */
  private limitRuns = 0
  private broadcastScheduled = false
  /** FLUSHALL flushes every database: one null invalidation per command is sent. */
  private flushMark = -1
  private flushArmed = false

  constructor(readonly ks: Keyspace) {
    this.maxKeys = ks.config.get<number>('tracking-table-max-keys') ?? 0
    ks.config.watch('tracking-table-max-keys', (v) => (this.maxKeys = v as number))
  }

  // ------------------------------------------------------------ enabling

  /**
   * Turns tracking on (or changes its options) for a session, as
   * enableTracking does: the options replace the previous ones, BCAST
   * prefixes add to those already registered ('' when none is given).
   * Compatibility checks are the caller's (`trackingError`).
   */
  enable(s: Session, redirect: Session | null, flags: number, prefixes: string[]): void {
    if (!(s.tracking & TF.ON)) this.clients.set(s.id, s)
    // CACHING survives a re-enable, as in Redis; the other options are replaced.
    s.tracking = (s.tracking & TF.CACHING) | TF.ON
    s.trackRedirect = redirect
    if (flags & TF.BCAST) {
      s.tracking |= TF.BCAST
      if (prefixes.length === 0) this.addPrefix(s, '')
      for (const p of prefixes) this.addPrefix(s, p)
    }
    s.tracking |= flags & (TF.OPTIN | TF.OPTOUT | TF.NOLOOP)
  }

  private addPrefix(s: Session, p: string): void {
    let bs = this.prefixes.get(p)
    if (bs === undefined) this.prefixes.set(p, (bs = { clients: new Set(), keys: new Map() }))
    if (bs.clients.has(s)) return
    bs.clients.add(s)
    ;(s.trackPrefixes ??= new Set()).add(p)
  }

  /** CLIENT TRACKING OFF, RESET and disconnects. The keys it read stay in the table (as in Redis) until changed. */
  disable(s: Session): void {
    if (s.tracking & TF.BCAST && s.trackPrefixes !== null) {
      for (const p of s.trackPrefixes) {
        const bs = this.prefixes.get(p)
        if (bs === undefined) continue
        bs.clients.delete(s)
        if (bs.clients.size === 0) this.prefixes.delete(p)
      }
    }
    s.trackPrefixes = null
    if (s.tracking & TF.ON) this.clients.delete(s.id)
    s.tracking = 0
    s.trackRedirect = null
  }

  // ------------------------------------------------------------ reads

  /** Remembers that session `id` read `key` (default mode). */
  remember(id: number, key: string): void {
    let ids = this.table.get(key)
    if (ids === undefined) this.table.set(key, (ids = new Set()))
    else if (ids.has(id)) return
    ids.add(id)
    this.items++
  }

  /**
   * Keeps the table within tracking-table-max-keys before a command runs
   * (trackingLimitUsedSlots): the oldest keys are forgotten, their readers
   * invalidated. Bounded effort per call, growing while over the limit.
   */
  limit(): void {
    const max = this.maxKeys
    if (max === 0 || this.table.size <= max) {
      this.limitRuns = 0
      return
    }
    let effort = 100 * (this.limitRuns + 1)
    for (const key of this.table.keys()) {
      if (effort-- <= 0) break
      this.invalidateKey(key, true)
      if (this.table.size <= max) {
        this.limitRuns = 0
        return
      }
    }
    this.limitRuns++
  }

  // ------------------------------------------------------------ writes

  /** A key changed (Keyspace.keyChanged): BCAST collection and default-mode invalidation. */
  changed(key: string): void {
    if (this.prefixes.size !== 0) this.collect(key)
    if (this.table.size !== 0) this.invalidateKey(key, false)
  }

  /** Sends the readers of `key` their invalidation and forgets it. `evicted`: dropped by `limit()`, NOLOOP does not apply. */
  private invalidateKey(key: string, evicted: boolean): void {
    const ids = this.table.get(key)
    if (ids === undefined) return
    this.table.delete(key)
    this.items -= ids.size
    let msg: Reply[] | undefined
    for (const id of ids) {
      const c = this.clients.get(id)
      // A session that switched to BCAST since it read the key gets nothing for it.
      if (c === undefined || c.tracking & TF.BCAST) continue
      if (!evicted && c.tracking & TF.NOLOOP && c === this.current) continue
      this.send(c, (msg ??= [wire(key)]))
    }
  }

  /** Records a changed key for every BCAST prefix it starts with; the broadcast follows after the running code. */
  private collect(key: string): void {
    let hit = false
    for (const [p, bs] of this.prefixes) {
      if (!startsWithBytes(key, p)) continue
      bs.keys.set(key, this.running)
      hit = true
    }
    if (hit && !this.broadcastScheduled) {
      this.broadcastScheduled = true
      queueMicrotask(() => this.broadcast())
    }
  }

  /** trackingBroadcastInvalidationMessages: one message per prefix with the keys changed under it, sorted. */
  broadcast(): void {
    this.broadcastScheduled = false
    const pending: string[] = []
    for (const [p, bs] of this.prefixes) if (bs.keys.size !== 0) pending.push(p)
    if (pending.length === 0) return
    pending.sort(compareBytes)
    for (const p of pending) {
      const bs = this.prefixes.get(p)!
      const changes = bs.keys
      bs.keys = new Map()
      const keys = [...changes.keys()].sort(compareBytes)
      const all: Reply[] = keys.map(wire)
      for (const c of bs.clients) {
        if (!(c.tracking & TF.NOLOOP)) {
          this.send(c, all)
          continue
        }
        // NOLOOP: the keys this session changed itself are left out (nothing sent when none remain).
        const own: Reply[] = []
        for (let i = 0; i < keys.length; i++) if (changes.get(keys[i]!) !== c) own.push(all[i]!)
        if (own.length !== 0) this.send(c, own)
      }
    }
  }

  /**
   * A database was flushed (FLUSHDB, FLUSHALL): every tracking session gets a
   * null invalidation ("everything"), and the table is emptied. FLUSHALL
   * flushes each database in turn: one message per command.
   */
  flushed(): void {
    const mark = this.ks.stats.commandsProcessed
    if (this.flushArmed && mark === this.flushMark) return
    this.flushMark = mark
    if (!this.flushArmed) {
      this.flushArmed = true
      queueMicrotask(() => (this.flushArmed = false))
    }
    for (const c of this.clients.values()) this.send(c, null)
    this.table.clear()
    this.items = 0
  }

  // ------------------------------------------------------------ delivery

  /** sendTrackingMessage: `keys` is the array of keys, or null for "everything". */
  private send(c: Session, keys: Reply[] | null): void {
    const to = c.trackRedirect
    if (to === null) {
      // RESP2 without a redirect has no way to receive anything.
      if (c.resp === 3 && c.out !== null) c.out(new Push([INVALIDATE, keys]))
      return
    }
    if (to.closed) {
      c.tracking |= TF.BROKEN_REDIR
      if (c.resp === 3 && c.out !== null) c.out(new Push(['tracking-redir-broken', to.id]))
      return
    }
    if (to.out === null) return
    if (to.resp === 3) to.out(new Push([INVALIDATE, keys]))
    // Any subscription puts a RESP2 client in Pub/Sub mode, where the message can be delivered.
    else if (to.gate & G.SUBSCRIBED) to.out(new Push(['message', CHANNEL, keys]))
  }
}

/**
 * The option checks of CLIENT TRACKING ON, in Redis's order; the error text,
 * or null when the options fit the session's current state.
 */
export function trackingError(s: Session, flags: number, prefixes: string[]): string | null {
  if (!(flags & TF.BCAST) && prefixes.length !== 0) return 'PREFIX option requires BCAST mode to be enabled'
  if (s.tracking & TF.ON && (s.tracking & TF.BCAST) !== (flags & TF.BCAST)) {
    return "You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
  }
  if (flags & TF.BCAST && flags & (TF.OPTIN | TF.OPTOUT)) return 'OPTIN and OPTOUT are not compatible with BCAST'
  if (flags & TF.OPTIN && flags & TF.OPTOUT) return "You can't specify both OPTIN mode and OPTOUT mode"
  if ((flags & TF.OPTIN && s.tracking & TF.OPTOUT) || (flags & TF.OPTOUT && s.tracking & TF.OPTIN)) {
    return "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
  }
  if (flags & TF.BCAST) {
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i]!
      if (s.trackPrefixes !== null) {
        for (const q of s.trackPrefixes) {
          if (overlap(q, p)) return `Prefix '${text(p)}' overlaps with an existing prefix '${text(q)}'. Prefixes for a single client must not overlap.`
        }
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        const q = prefixes[j]!
        if (overlap(p, q)) return `Prefix '${text(p)}' overlaps with another provided prefix '${text(q)}'. Prefixes for a single client must not overlap.`
      }
    }
  }
  return null
}

/** The session's prefixes in Redis's (byte) order, for CLIENT TRACKINGINFO. */
export function sortedPrefixes(s: Session): string[] {
  return s.trackPrefixes === null ? [] : [...s.trackPrefixes].sort(compareBytes)
}

/** The Keyspace's tracking state, created (and hooked in) on first use. */
export function trackingFor(ks: Keyspace): Tracking {
  return (ks.tracking ??= new Tracking(ks))
}

/** A prefix as Redis prints it in errors (%s: up to a NUL byte). */
function text(p: string): string {
  const t = isBinaryKey(p) ? keyBytes(p).toString('latin1') : p
  const nul = t.indexOf('\0')
  return nul < 0 ? t : t.slice(0, nul)
}

/** stringCheckPrefix: one is a byte prefix of the other. */
function overlap(a: string, b: string): boolean {
  return a.length <= b.length ? startsWithBytes(b, a) : startsWithBytes(a, b)
}

/** Whether the bytes of canonical string `s` start with those of `p`. */
function startsWithBytes(s: string, p: string): boolean {
  if (p.length === 0) return true
  // UTF-8 strings: a byte prefix that is valid UTF-8 ends on a character boundary.
  if (!isBinaryKey(s) && !isBinaryKey(p)) return s.startsWith(p)
  const a = keyBytes(s)
  const b = keyBytes(p)
  return b.length <= a.length && a.subarray(0, b.length).equals(b)
}
