import { Buffer } from 'node:buffer'
import { keyOf } from '../core/bytes.js'
import { PFADD, PFCOUNT, PFMERGE } from '../commands/hyperloglog.js'
import type { Reply } from '../core/reply.js'
import { toJs, type StoreCore } from '../store-core.js'
import { valueOf, type Key, type Value } from './strings.js'

/**
 * HyperLogLog commands on the typed Store: approximate distinct counts in at
 * most 12 KB per key (standard error 0.81%), with Redis's exact algorithm and
 * bytes, so a value written here reads back the same in Redis and vice versa.
 */
export class HyperLogLogApi {
  /**
   * PFADD: adds elements (the key is created if missing). True when the
   * estimate may have changed (some register rose, or the key was created).
   *
   * ```ts
   * store.pfadd('visitors:2024-05-01', 'user:1', 'user:2')  // true
   * store.pfcount('visitors:2024-05-01')                   // 2
   * ```
   */
  pfadd(this: StoreCore, key: Key, ...elements: Value[]): boolean {
    this.beforeWrite()
    const els = elements.map((e) => (typeof e === 'string' || Buffer.isBuffer(e) ? e : valueOf(e)))
    return PFADD.run(this.s, { key: keyOf(key), elements: els }) === 1
  }

  /**
   * PFCOUNT: the estimated number of distinct elements added to `key`, or to
   * the union of several keys (missing keys count as empty). A bigint past
   * 2^53, as `call()` gives it (only a damaged HLL's cached count gets there).
   */
  pfcount(this: StoreCore, key: Key, ...keys: Key[]): number {
    return toJs(PFCOUNT.run(this.s, [keyOf(key), ...keys.map(keyOf)]) as Reply, false) as number
  }

  /** PFMERGE: stores the union of `dest` and the sources at `dest`. */
  pfmerge(this: StoreCore, dest: Key, ...sources: Key[]): 'OK' {
    this.beforeWrite()
    PFMERGE.run(this.s, { dest: keyOf(dest), sources: sources.map(keyOf) })
    return 'OK'
  }
}
