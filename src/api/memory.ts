import { keyOf } from '../core/bytes.js'
import { fail } from '../core/errors.js'
import { MEMORY_USAGE, memoryDoctor, memoryFigures } from '../commands/memory.js'
import type { EvictionPolicy } from '../keyspace/eviction.js'
import type { StoreCore } from '../store-core.js'
import type { Key } from './strings.js'

/** Options of `memoryUsage()`. */
export interface MemoryUsageOptions {
  /** Elements of a collection sampled for the estimate (default 5; 0: every element). */
  samples?: number
}

/** What `memoryStats()` returns: MEMORY STATS and INFO memory as one typed object. */
export interface MemoryStats {
  /** Estimated heap bytes of the dataset (INFO used_memory; compared with `maxmemory`). */
  used: number
  /** Highest `used` seen. */
  peak: number
  /** Part of `used` that is per-key bookkeeping (maps, entries, TTL sets). */
  overhead: number
  /** `used - overhead`: keys' and values' own bytes. */
  dataset: number
  /** Keys in every database. */
  keys: number
  /** Average bytes per key (0 when empty). */
  bytesPerKey: number
  /** Configured limits (0: none) and policy. */
  maxmemory: number
  maxkeys: number
  policy: EvictionPolicy
  /** Keys evicted since start (or CONFIG RESETSTAT). */
  evictedKeys: number
  /** Keyspace hits and misses of read commands, and their hit ratio (0 when there were no reads). */
  hits: number
  misses: number
  hitRatio: number
  /** The whole process's V8 heap and resident set (0 outside Node). */
  heapUsed: number
  heapTotal: number
  rss: number
}

/** Memory introspection on the typed Store (MEMORY USAGE / STATS / DOCTOR). */
export class MemoryApi {
  /**
   * MEMORY USAGE: estimated heap bytes of `key` and its value, or null when
   * the key does not exist. Collections are sampled (`samples`, default 5;
   * 0 measures every element).
   */
  memoryUsage(this: StoreCore, key: Key, options?: MemoryUsageOptions): number | null {
    const samples = options?.samples ?? 5
    if (!Number.isInteger(samples)) fail('value is not an integer or out of range')
    if (samples < 0) fail('syntax error')
    return MEMORY_USAGE.run(this.s, { key: keyOf(key), samples }) as number | null
  }

  /** Memory figures, limits and eviction statistics as one object. */
  memoryStats(this: StoreCore): MemoryStats {
    const f = memoryFigures(this)
    const st = this.ks.stats
    const reads = st.keyspaceHits + st.keyspaceMisses
    return {
      used: f.used,
      peak: f.peak,
      overhead: f.overhead,
      dataset: f.used - f.overhead,
      keys: f.keys,
      bytesPerKey: f.keys > 0 ? Math.floor(f.used / f.keys) : 0,
      maxmemory: f.maxmemory,
      maxkeys: f.maxkeys,
      policy: f.policy as EvictionPolicy,
      evictedKeys: st.evictedKeys,
      hits: st.keyspaceHits,
      misses: st.keyspaceMisses,
      hitRatio: reads > 0 ? st.keyspaceHits / reads : 0,
      heapUsed: f.heapUsed,
      heapTotal: f.heapTotal,
      rss: f.rss,
    }
  }

  /** MEMORY DOCTOR: a short report of memory issues, as text. */
  memoryDoctor(this: StoreCore): string {
    return memoryDoctor(this)
  }
}
