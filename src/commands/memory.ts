/**
 * MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE / HELP, and the
 * figures INFO's `memory` section prints. Sizes are embedis's estimates of
 * V8 heap bytes (src/keyspace/memory.ts), not Redis's allocator figures.
 */
import process from 'node:process'
import { syntaxError } from '../core/errors.js'
import { Double, MapReply, OK, Verbatim, type Reply } from '../core/reply.js'
import { ENTRY_OVERHEAD, VOLATILE_OVERHEAD, entrySize } from '../keyspace/memory.js'
import type { Session } from '../session.js'
import type { StoreCore } from '../store-core.js'
import { int64, key, str } from './args.js'
import { defineCommand, helpReply } from './table.js'

/** Redis's default for MEMORY USAGE SAMPLES. */
export const DEFAULT_SAMPLES = 5

export interface MemoryUsageArgs {
  key: string
  /** Elements sampled in a collection; 0 means all. */
  samples: number
}

export const MEMORY_USAGE = defineCommand('memory|usage', {
  parse(a): MemoryUsageArgs {
    let samples = DEFAULT_SAMPLES
    for (let j = 1; j < a.length; j++) {
      if (str(a[j]!).toLowerCase() === 'samples' && j + 1 < a.length) {
        const n = int64(a[j + 1]!)
        if (n < 0) syntaxError()
        samples = typeof n === 'bigint' || n > 0x7fffffff ? 0 : n
        j++
      } else syntaxError()
    }
    return { key: key(a[0]!), samples }
  },
  run(ctx, a: MemoryUsageArgs): Reply {
    const e = ctx.db.peek(a.key)
    return e === undefined ? null : entrySize(a.key, e, a.samples)
  },
})

/** The figures MEMORY STATS and INFO memory report, in bytes. */
export interface MemoryFigures {
  /** Estimated heap bytes of the dataset (keys, values, structures). */
  used: number
  peak: number
  /** Part of `used` that is per-key bookkeeping (maps, entries, TTL sets). */
  overhead: number
  keys: number
  maxmemory: number
  maxkeys: number
  policy: string
  /** The process's V8 heap and RSS, when known (0 elsewhere). */
  heapUsed: number
  heapTotal: number
  rss: number
  /** Per database with keys: [index, keys, keys with a TTL]. */
  dbs: Array<[number, number, number]>
}

/** Collects the memory figures of a store. */
export function memoryFigures(store: StoreCore): MemoryFigures {
  const m = store.memory
  const used = m.usedMemory()
  const dbs: Array<[number, number, number]> = []
  let overhead = 0
  let keys = 0
  for (const db of store.ks.dbs) {
    const n = db.map.size
    if (n === 0) continue
    dbs.push([db.id, n, db.volatile.size])
    overhead += n * ENTRY_OVERHEAD + db.volatile.size * VOLATILE_OVERHEAD
    keys += n
  }
  const mu = typeof process !== 'undefined' && typeof process.memoryUsage === 'function' ? process.memoryUsage() : undefined
  return {
    used,
    peak: Math.max(m.peakMemory(), used),
    overhead: Math.min(overhead, used),
    keys,
    maxmemory: m.maxmemory,
    maxkeys: m.maxkeys,
    policy: m.policy,
    heapUsed: mu ? mu.heapUsed : 0,
    heapTotal: mu ? mu.heapTotal : 0,
    rss: mu ? mu.rss : 0,
    dbs,
  }
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0)

export const MEMORY_STATS = defineCommand('memory|stats', {
  parse: () => undefined,
  run(ctx): Reply {
    const f = memoryFigures(ctx.store)
    const out: Reply[] = [
      'peak.allocated', f.peak,
      'total.allocated', f.used,
      'startup.allocated', 0,
      'replication.backlog', 0,
      'clients.slaves', 0,
      'clients.normal', 0,
      'cluster.links', 0,
      'aof.buffer', 0,
      'lua.caches', 0,
      'functions.caches', 0,
    ]
    for (const [id, n, v] of f.dbs) {
      out.push(`db.${id}`, new MapReply(['overhead.hashtable.main', n * ENTRY_OVERHEAD, 'overhead.hashtable.expires', v * VOLATILE_OVERHEAD]))
    }
    const dataset = f.used - f.overhead
    out.push(
      'overhead.total', f.overhead,
      'keys.count', f.keys,
      'keys.bytes-per-key', f.keys > 0 ? Math.floor(f.used / f.keys) : 0,
      'dataset.bytes', dataset,
      'dataset.percentage', new Double(ratio(dataset, f.used) * 100),
      'peak.percentage', new Double(ratio(f.used, f.peak) * 100),
      'allocator.allocated', f.heapUsed,
      'allocator.active', f.heapTotal,
      'allocator.resident', f.rss,
      'allocator-fragmentation.ratio', new Double(ratio(f.heapTotal, f.heapUsed)),
      'allocator-fragmentation.bytes', f.heapTotal - f.heapUsed,
      'allocator.rss-ratio', new Double(ratio(f.rss, f.heapTotal)),
      'allocator.rss-bytes', f.rss - f.heapTotal,
      'rss-overhead.ratio', new Double(1),
      'rss-overhead.bytes', 0,
      'fragmentation', new Double(ratio(f.rss, f.used)),
      'fragmentation.bytes', f.rss - f.used,
    )
    return new MapReply(out)
  },
})

/** MEMORY DOCTOR's report (Redis's texts for a small instance and for one without issues). */
export function memoryDoctor(store: StoreCore): string {
  const f = memoryFigures(store)
  if (f.used < 5 * 1024 * 1024) {
    return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting."
  }
  const issues: string[] = []
  if (f.peak > f.used * 1.5) {
    issues.push(
      ' * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you often have peaks in memory usage, consider setting the maxmemory configuration value.',
    )
  }
  if (f.maxmemory === 0 && f.maxkeys === 0) {
    issues.push(
      ' * No limit: neither maxmemory nor maxkeys is set, so this store grows without bound. If it is used as a cache, set a limit and an eviction policy (allkeys-lru or allkeys-lfu).',
    )
  }
  if (issues.length === 0) return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base."
  return 'Sam, I detected a few issues in this Redis instance memory implants:\n\n' + issues.join('\n\n') + "\n\nI'm here to keep you safe, Sam. I want to help you.\n"
}

defineCommand('memory|doctor', {
  parse: () => undefined,
  run: (ctx): Reply => new Verbatim(memoryDoctor(ctx.store)),
})

defineCommand('memory|malloc-stats', {
  parse: () => undefined,
  run: (): Reply => 'Stats not supported for the current allocator',
})

defineCommand('memory|purge', {
  parse: () => undefined,
  run: (): Reply => OK,
})

defineCommand('memory|help', {
  parse: () => undefined,
  run: () =>
    helpReply('MEMORY', [
      'DOCTOR',
      '    Return memory problems reports.',
      'MALLOC-STATS',
      '    Return internal statistics report from the memory allocator.',
      'PURGE',
      '    Attempt to purge dirty pages for reclamation by the allocator.',
      'STATS',
      '    Return information about the memory usage of the server.',
      'USAGE <key> [SAMPLES <count>]',
      '    Return memory in bytes used by <key> and its value. Nested values are',
      '    sampled up to <count> times (default: 5, 0 means sample all).',
    ]),
})

/** Bytes as INFO prints them (`1.21M`). */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n}B`
  const units = ['K', 'M', 'G', 'T', 'P', 'E']
  let v = n
  let i = -1
  do {
    v /= 1024
    i++
  } while (v >= 1024 && i < units.length - 1)
  return `${v.toFixed(2)}${units[i]}`
}

/** INFO's `memory` section. */
export function memoryInfo(ctx: Session): Array<[string, string | number]> {
  const f = memoryFigures(ctx.store)
  const dataset = f.used - f.overhead
  const pct = (a: number, b: number) => `${(ratio(a, b) * 100).toFixed(2)}%`
  const fixed2 = (x: number) => x.toFixed(2)
  return [
    ['used_memory', f.used],
    ['used_memory_human', humanBytes(f.used)],
    ['used_memory_rss', f.rss],
    ['used_memory_rss_human', humanBytes(f.rss)],
    ['used_memory_peak', f.peak],
    ['used_memory_peak_human', humanBytes(f.peak)],
    ['used_memory_peak_perc', pct(f.used, f.peak)],
    ['used_memory_overhead', f.overhead],
    ['used_memory_startup', 0],
    ['used_memory_dataset', dataset],
    ['used_memory_dataset_perc', pct(dataset, f.used)],
    ['allocator_allocated', f.heapUsed],
    ['allocator_active', f.heapTotal],
    ['allocator_resident', f.rss],
    ['total_system_memory', totalSystemMemory()],
    ['total_system_memory_human', humanBytes(totalSystemMemory())],
    ['used_memory_lua', 0],
    ['used_memory_vm_eval', 0],
    ['used_memory_lua_human', '0B'],
    ['used_memory_scripts_eval', 0],
    ['number_of_cached_scripts', 0],
    ['number_of_functions', 0],
    ['number_of_libraries', 0],
    ['used_memory_vm_functions', 0],
    ['used_memory_vm_total', 0],
    ['used_memory_vm_total_human', '0B'],
    ['used_memory_functions', 0],
    ['used_memory_scripts', 0],
    ['used_memory_scripts_human', '0B'],
    ['maxmemory', f.maxmemory],
    ['maxmemory_human', humanBytes(f.maxmemory)],
    ['maxmemory_policy', f.policy],
    ['maxkeys', f.maxkeys],
    ['allocator_frag_ratio', fixed2(ratio(f.heapTotal, f.heapUsed))],
    ['allocator_frag_bytes', f.heapTotal - f.heapUsed],
    ['allocator_rss_ratio', fixed2(ratio(f.rss, f.heapTotal))],
    ['allocator_rss_bytes', f.rss - f.heapTotal],
    ['rss_overhead_ratio', '1.00'],
    ['rss_overhead_bytes', 0],
    ['mem_fragmentation_ratio', fixed2(ratio(f.rss, f.used))],
    ['mem_fragmentation_bytes', f.rss - f.used],
    ['mem_not_counted_for_evict', 0],
    ['mem_replication_backlog', 0],
    ['mem_total_replication_buffers', 0],
    ['mem_clients_slaves', 0],
    ['mem_clients_normal', 0],
    ['mem_cluster_links', 0],
    ['mem_aof_buffer', 0],
    ['mem_allocator', 'v8'],
    ['active_defrag_running', 0],
    ['lazyfree_pending_objects', 0],
    ['lazyfreed_objects', 0],
  ]
}

let systemMemory: number | undefined
function totalSystemMemory(): number {
  if (systemMemory !== undefined) return systemMemory
  systemMemory = 0
  try {
    // os is Node-only; elsewhere the figure stays 0, as Redis reports when it cannot tell.
    const os = (globalThis as { process?: { getBuiltinModule?: (m: string) => { totalmem(): number } } }).process?.getBuiltinModule?.('os')
    if (os) systemMemory = os.totalmem()
  } catch {
    /* unknown */
  }
  return systemMemory
}
