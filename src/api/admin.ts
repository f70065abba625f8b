import { slowlogClear, slowlogEntries, slowlogLength, type SlowlogEntry } from '../commands/admin.js'
import type { StoreCore } from '../store-core.js'

export type { SlowlogEntry } from '../commands/admin.js'

/** The slow log on the typed Store (SLOWLOG GET / LEN / RESET). */
export class AdminApi {
  /**
   * SLOWLOG GET: the newest `count` entries (default 10; -1 for all), newest
   * first. Commands are logged when they run for at least
   * `slowlog-log-slower-than` microseconds (CONFIG SET, default 10000); the
   * log keeps `slowlog-max-len` entries (default 128).
   */
  slowlogGet(this: StoreCore, count = 10): SlowlogEntry[] {
    if (!Number.isInteger(count) || count < -1) throw new RangeError('count should be an integer greater than or equal to -1')
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
}
