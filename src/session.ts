import { ReplyError } from './core/errors.js'
import type { Reply } from './core/reply.js'
import { resolveCommand, type Arg, type Command } from './commands/table.js'
import type { Database } from './keyspace/database.js'
import type { Keyspace } from './keyspace/keyspace.js'
import type { StoreCore } from './store-core.js'

let nextId = 1

/**
 * What a connection is in Redis: the selected database, the protocol version,
 * the client's id and name (and, layered on by the transaction and pub/sub
 * code, the MULTI queue, WATCHed keys and subscriptions). Every way in — the
 * typed Store, `store.call()`, the RESP server, the ioredis drop-in, scripts —
 * runs commands through a Session.
 */
export class Session {
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
  /** Last command time (ms) and name, for CLIENT LIST idle/cmd. */
  lastInteraction: number
  lastCommand = 'NULL'
  /** Remote address for CLIENT LIST (the server sets it). */
  addr = ''
  laddr = ''
  /** True while this session's commands run inside a script or EXEC (blocking commands don't block). */
  noBlock = false

  constructor(readonly store: StoreCore) {
    this.ks = store.ks
    this.db = this.ks.dbs[0]!
    this.createdAt = this.lastInteraction = this.ks.clock.now()
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
  execute(argv: Arg[]): Reply | Promise<Reply> {
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
  invoke(cmd: Command, argv: Arg[], argStart: number): Reply | Promise<Reply> {
    try {
      const a = cmd.parse(argStart === argv.length ? EMPTY : argv.slice(argStart), this)
      return cmd.run(this, a)
    } catch (e) {
      if (e instanceof ReplyError) return e
      throw e
    }
  }
}

const EMPTY: Arg[] = []
