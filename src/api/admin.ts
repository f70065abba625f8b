import { shutdownStore, slowlogClear, slowlogEntries, slowlogLength, type SlowlogEntry } from '../commands/admin.js'
import { addMonitorListener, type MonitorListener } from '../keyspace/monitor.js'
import { fail } from '../core/errors.js'
import type { StoreCore } from '../store-core.js'
import { isInt64 } from './strings.js'

export type { SlowlogEntry } from '../commands/admin.js'
export type { MonitorEvent, MonitorListener } from '../keyspace/monitor.js'

/** Options of `store.shutdown()`. */
export interface ShutdownOptions {
  /**
   * `true` saves through the persistence adapters even without save rules
   * (SHUTDOWN SAVE); `false` skips the final save (SHUTDOWN NOSAVE). Default:
   * save when an adapter saves on close (an `rdbFile` with save rules).
   */
  save?: boolean
  /** Close even when the final save fails (SHUTDOWN FORCE). */
  force?: boolean
}

/** The slow log (SLOWLOG GET / LEN / RESET), MONITOR and SHUTDOWN on the typed Store. */
export class AdminApi {
  /**
   * SLOWLOG GET: the newest `count` entries (default 10; -1 for all), newest
   * first. Commands are logged when they run for at least
   * `slowlog-log-slower-than` microseconds (CONFIG SET, default 10000); the
   * log keeps `slowlog-max-len` entries (default 128).
   */
  slowlogGet(this: StoreCore, count = 10): SlowlogEntry[] {
    if (!isInt64(count) || count < -1) fail('count should be greater than or equal to -1')
    return slowlogEntries(this, count)
  }

  /** SLOWLOG LEN: number of entries in the slow log. */
  slowlogLen(this: StoreCore): number {
    return slowlogLength(this)
  }

  /** SLOWLOG RESET: empties the slow log. */
  slowlogReset(this: StoreCore): 'OK' {
    slowlogClear(this)
    return 'OK'
  }

  /**
   * MONITOR in process: `listener` gets every command that runs through the
   * dispatcher — from connections, `store.call()`, sessions, scripts (as
   * `lua`) — right after the command (EVAL and FCALL before their script's
   * commands), with Redis's MONITOR line in `event.line`. Admin commands and
   * refused commands are not shown; passwords are `(redacted)`. The typed
   * methods (`store.set()`, ...) are not commands on the wire and are not
   * shown. Listeners run after the current command, never inside it. Returns
   * a function that stops the listener.
   *
   * ```ts
   * const stop = store.monitor((e) => console.log(e.line))
   * store.call('SET', 'k', 'v') // 1700000000.123456 [0 inproc:1] "SET" "k" "v"
   * stop()
   * ```
   */
  monitor(this: StoreCore, listener: MonitorListener): () => void {
    return addMonitorListener(this, listener)
  }

  /**
   * SHUTDOWN: the final save (see `options.save`), then `close()`: timers
   * stop, persistence adapters close, and a RESP server serving this store
   * stops with its connections. The process is not exited. When the save
   * fails the store stays open and `ReplyError('ERR Errors trying to
   * SHUTDOWN. Check logs.')` is thrown, the failure as its `cause` — unless
   * `force`. As after `close()`, the data stays readable.
   */
  shutdown(this: StoreCore, options: ShutdownOptions = {}): void {
    shutdownStore(this, options.save, options.force === true)
  }
}
