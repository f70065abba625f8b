/**
 * MONITOR: every command that runs, as one line of text, to the sessions in
 * MONITOR mode and to `store.monitor()` listeners (Redis's
 * replicationFeedMonitors).
 *
 * As in Redis 7.2, a command is shown after it ran (so SELECT shows the new
 * database and a transaction's commands come before its EXEC), except
 * EVAL/EVALSHA/FCALL and their _RO forms, shown before the commands their
 * script runs. Commands flagged `admin` (CONFIG, CLIENT LIST, DEBUG, SAVE,
 * SHUTDOWN, MONITOR...) and commands refused before running (unknown, wrong
 * arity, NOAUTH, OOM...) are not shown; secrets (AUTH, HELLO ... AUTH,
 * MIGRATE ... AUTH/AUTH2) are shown as "(redacted)".
 *
 * The line is Redis's: `1700000000.123456 [0 127.0.0.1:52345] "set" "k" "v"`,
 * arguments quoted as sdscatrepr does. The part in brackets is the database
 * and who ran the command: the client's address for connections, `lua` for
 * commands a script runs, and `inproc:<client id>` for in-process sessions
 * (the store's own session behind `store.call()`, `store.session()`), which
 * have no address.
 *
 * Nothing here costs anything until something monitors: the dispatcher
 * checks `store.monitors` (undefined while nobody monitors) and nothing else.
 */
import { Buffer } from 'node:buffer'
import { performance } from 'node:perf_hooks'
import { systemClock } from '../core/clock.js'
import { Status } from '../core/reply.js'
import { CF, TABLE, type Arg, type Command } from '../commands/table.js'
import { redactionMask } from '../commands/admin.js'
import { G, type Session } from '../session.js'
import type { StoreCore } from '../store-core.js'
import { deliveryOf } from './delivery.js'

/** One command seen by a `store.monitor()` listener. */
export class MonitorEvent {
  private text: string | undefined

  /** @internal */
  constructor(
    /** When it ran: Unix time in microseconds. */
    readonly time: number,
    /** The database it ran in (after it ran: SELECT 1 shows 1). */
    readonly db: number,
    /** Who ran it: `ip:port` of a connection, `lua` for a script's commands, `inproc:<id>` for an in-process session. */
    readonly source: string,
    /** CLIENT ID of the session that ran it (the script client's for `lua`). */
    readonly clientId: number,
    /** The command and its arguments as sent (secrets replaced by `(redacted)`). */
    readonly args: ReadonlyArray<string | Buffer>,
    text?: string,
  ) {
    this.text = text
  }

  /** The line Redis's MONITOR prints for it (without the leading `+`): `1700000000.123456 [0 127.0.0.1:52345] "set" "k" "v"`. */
  get line(): string {
    return (this.text ??= formatLine(this.time, this.db, this.source, this.args))
  }

  toString(): string {
    return this.line
  }
}

/** A `store.monitor()` listener. */
export type MonitorListener = (event: MonitorEvent) => void

interface ListenerRecord {
  readonly fn: MonitorListener
  active: boolean
}

/** Commands whose script runs commands: shown before them (Redis feeds them from evalCommand/fcallCommand). */
let early: Set<Command> | undefined
function earlyCommands(): Set<Command> {
  if (early === undefined) {
    early = new Set()
    for (const c of TABLE.values()) if (c.meta.flags.includes('skip_monitor')) early.add(c)
  }
  return early
}

/** The monitors of a store: sessions in MONITOR mode and in-process listeners. */
export class Monitors {
  /** Sessions in MONITOR mode, in the order they started. */
  readonly sessions = new Set<Session>()
  private readonly listeners: ListenerRecord[] = []
  private readonly early = earlyCommands()

  constructor(private readonly store: StoreCore) {}

  /** True when nothing monitors any more. */
  get empty(): boolean {
    return this.sessions.size === 0 && this.listeners.length === 0
  }

  /** Before a command runs: EVAL and FCALL are shown here, ahead of what their script runs. */
  before(s: Session, cmd: Command, argv: Arg[]): void {
    if (this.early.has(cmd)) this.feed(s, argv)
  }

  /** After a command ran: every other command that is not an admin command. */
  after(s: Session, cmd: Command, argv: Arg[]): void {
    if (!(cmd.flags & CF.ADMIN) && !this.early.has(cmd)) this.feed(s, redact(cmd, argv))
  }

  private feed(s: Session, argv: Arg[]): void {
    const time = nowMicros(this.store)
    const db = s.db.id
    const source = s.inScript ? 'lua' : s.addr !== '' ? s.addr : `inproc:${s.id}`
    let line: string | undefined
    if (this.sessions.size !== 0) {
      line = formatLine(time, db, source, argv)
      // Redis writes the line as a status reply whatever the protocol (no RESP3 push).
      const status = new Status(line)
      // A client closing after its reply (QUIT) gets nothing more, as in Redis.
      for (const m of this.sessions) if (!m.closeAfterReply) m.out?.(status)
    }
    if (this.listeners.length !== 0) {
      // Listeners run after the command; keep copies of arguments a door may reuse.
      const args: Array<string | Buffer> = new Array(argv.length)
      for (let i = 0; i < argv.length; i++) {
        const a = argv[i]!
        args[i] = typeof a === 'string' ? a : Buffer.from(a)
      }
      const ev = new MonitorEvent(time, db, source, s.id, args, line)
      // The listeners there now (none added later), unless they stop before the delivery.
      const d = deliveryOf(this.store)
      for (const l of this.listeners) d.add(() => l.active && l.fn(ev))
    }
  }

  /** A session leaves MONITOR mode (RESET, disconnect). */
  drop(s: Session): void {
    s.gate &= ~G.MONITOR
    this.sessions.delete(s)
    release(this.store, this)
  }

  /** @internal */
  addListener(fn: MonitorListener): ListenerRecord {
    const r: ListenerRecord = { fn, active: true }
    this.listeners.push(r)
    return r
  }

  /** @internal */
  removeListener(r: ListenerRecord): void {
    r.active = false
    const i = this.listeners.indexOf(r)
    if (i >= 0) this.listeners.splice(i, 1)
  }
}

/** The store's monitors, created on first use. */
function monitorsOf(store: StoreCore): Monitors {
  let m = store.monitors
  if (m === undefined) m = store.monitors = new Monitors(store)
  return m
}

/** Drops the registry once nothing monitors, so the dispatcher's check fails again. */
function release(store: StoreCore, m: Monitors): void {
  if (m.empty && store.monitors === m) store.monitors = undefined
}

/** MONITOR: the session starts receiving monitor lines through its out-of-band sink. */
export function startMonitoring(s: Session): void {
  monitorsOf(s.store).sessions.add(s)
  s.gate |= G.MONITOR
}

/** Leaves MONITOR mode (RESET). */
export function stopMonitoring(s: Session): void {
  if (!(s.gate & G.MONITOR)) return
  const m = s.store.monitors
  if (m !== undefined) m.drop(s)
  else s.gate &= ~G.MONITOR
}

/**
 * `store.monitor()`: calls `listener` with every command that runs through the
 * dispatcher (connections, `store.call()`, sessions, scripts), after the
 * command. Returns a function that stops it.
 */
export function addMonitorListener(store: StoreCore, listener: MonitorListener): () => void {
  if (typeof listener !== 'function') throw new TypeError('monitor listener must be a function')
  const m = monitorsOf(store)
  const r = m.addListener(listener)
  return () => {
    if (!r.active) return
    m.removeListener(r)
    release(store, m)
  }
}

/**
 * Commands a session in MONITOR mode may not run (Redis: "Replica can't interact with the keyspace").
 * `flags`: the command's as dispatch checks them (a script declaring `no-writes` neither writes nor
 * may replicate).
 */
export function monitorRefuses(s: Session, cmd: Command, flags: number): boolean {
  if (flags & (CF.READONLY | CF.WRITE | CF.MAY_REPLICATE)) return true
  return cmd.name === 'exec' && (s.multiFlags & (CF.READONLY | CF.WRITE)) !== 0
}

function redact(cmd: Command, argv: Arg[]): Arg[] {
  const mask = redactionMask(cmd, argv)
  if (mask === null) return argv
  const out = argv.slice()
  for (let i = 0; i < out.length; i++) if (mask[i]) out[i] = '(redacted)'
  return out
}

/** Unix time in microseconds from the store's clock (sub-millisecond digits from the high-resolution timer on the system clock). */
function nowMicros(store: StoreCore): number {
  const clock = store.ks.clock
  const ms = Math.floor(clock.now())
  if (clock !== systemClock) return ms * 1000
  return ms * 1000 + (Math.floor(performance.now() * 1000) % 1000)
}

/** `1700000000.123456 [0 127.0.0.1:52345] "set" "k" "v"`. */
export function formatLine(time: number, db: number, source: string, argv: ReadonlyArray<Arg>): string {
  const sec = Math.floor(time / 1e6)
  const us = time - sec * 1e6
  let line = `${sec}.${String(us).padStart(6, '0')} [${db} ${source}]`
  for (let i = 0; i < argv.length; i++) line += ' ' + quoteArg(argv[i]!)
  return line
}

/** An argument quoted as Redis's sdscatrepr does: printable ASCII as is, `\\` `\"` `\n` `\r` `\t` `\a` `\b` escaped, other bytes as `\xhh`. */
export function quoteArg(a: Arg): string {
  if (typeof a === 'string') {
    let plain = true
    for (let i = 0; i < a.length; i++) {
      const c = a.charCodeAt(i)
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        plain = false
        break
      }
    }
    if (plain) return '"' + a + '"'
    return quoteBytes(Buffer.from(a, 'utf8'))
  }
  return quoteBytes(a)
}

function quoteBytes(b: Uint8Array): string {
  let s = '"'
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!
    switch (c) {
      case 0x5c:
        s += '\\\\'
        break
      case 0x22:
        s += '\\"'
        break
      case 0x0a:
        s += '\\n'
        break
      case 0x0d:
        s += '\\r'
        break
      case 0x09:
        s += '\\t'
        break
      case 0x07:
        s += '\\a'
        break
      case 0x08:
        s += '\\b'
        break
      default:
        s += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : '\\x' + (c < 16 ? '0' : '') + c.toString(16)
    }
  }
  return s + '"'
}
