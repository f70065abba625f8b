/**
 * Bounded caching: hit rate and throughput of embedis's eviction policies
 * against lru-cache (exact LRU) on a Zipf(0.99) workload over N keys with
 * room for 10% of them, all in one run. Each request is a cache-aside step:
 * `get`, and on a miss `set`.
 *
 *   npm run bench -- eviction                 (N = 1,000,000)
 *   EVICTION_KEYS=100000 npm run bench -- eviction
 *
 * Also prints the memory estimate against measured heap for typical values
 * (needs node --expose-gc, which `npm run bench` passes).
 */
import { LRUCache } from 'lru-cache'
import { isMain, median } from './lib.js'
import { Store } from '../src/index.js'
import type { EvictionPolicy } from '../src/keyspace/eviction.js'

/** A deterministic xorshift generator, so every contender sees the same trace. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4294967296
  }
}

/** `m` key indexes drawn from Zipf(s) over `n` keys; ranks are shuffled so popularity is not key order. */
export function zipfTrace(n: number, m: number, s: number, seed = 1): Int32Array {
  const rnd = rng(seed)
  const cdf = new Float64Array(n)
  let acc = 0
  for (let i = 0; i < n; i++) cdf[i] = acc += 1 / Math.pow(i + 1, s)
  const perm = new Int32Array(n)
  for (let i = 0; i < n; i++) perm[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    const t = perm[i]!
    perm[i] = perm[j]!
    perm[j] = t
  }
  const out = new Int32Array(m)
  for (let i = 0; i < m; i++) {
    const u = rnd() * acc
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cdf[mid]! < u) lo = mid + 1
      else hi = mid
    }
    out[i] = perm[lo]!
  }
  return out
}

interface Contender {
  name: string
  make(): { get(k: string): unknown; set(k: string, v: string): unknown; size(): number; close?(): void }
}

export interface EvictionResult {
  name: string
  hitRate: number
  opsPerSec: number
  keys: number
}

/** CPU time of `fn` in ms (less disturbed by other processes than wall time). */
function cpuMs(fn: () => void): number {
  const c0 = process.cpuUsage()
  fn()
  const c = process.cpuUsage(c0)
  return (c.user + c.system) / 1000
}

/** The bounded-cache workload: Zipf(0.99) over `n` keys, `n` warm-up requests, then `3n` timed ones. */
export interface Workload {
  keys: string[]
  trace: Int32Array
  warm: number
  requests: number
  value: string
}

export function zipfWorkload(n: number, requests = n * 3): Workload {
  return {
    keys: Array.from({ length: n }, (_, i) => `key:${i}`),
    trace: zipfTrace(n, n + requests, 0.99),
    warm: n,
    requests,
    value: 'v'.repeat(32),
  }
}

/**
 * One run of the workload on a fresh cache: the warm-up, a collection (the caches of the runs
 * before are garbage by now, and collecting them is not this cache's work), then the timed
 * get-or-set requests. Returns the hit rate and requests per second of CPU time.
 */
export function runWorkload(cache: { get(k: string): unknown; set(k: string, v: string): unknown }, w: Workload): { hitRate: number; opsPerSec: number } {
  const { get, set } = cache
  const { keys, trace, warm, requests, value } = w
  for (let i = 0; i < warm; i++) {
    const k = keys[trace[i]!]!
    if (get(k) === null) set(k, value)
  }
  let h = 0
  ;(globalThis as { gc?: () => void }).gc?.()
  const ms = cpuMs(() => {
    for (let i = warm; i < warm + requests; i++) {
      const k = keys[trace[i]!]!
      if (get(k) !== null) h++
      else set(k, value)
    }
  })
  return { hitRate: h / requests, opsPerSec: (requests / ms) * 1000 }
}

export async function benchEviction(opts: { keys?: number; requests?: number; rounds?: number } = {}): Promise<EvictionResult[]> {
  const n = opts.keys ?? Number(process.env.EVICTION_KEYS ?? 1_000_000)
  const cap = Math.floor(n / 10)
  const rounds = opts.rounds ?? 5
  const w = zipfWorkload(n, opts.requests)
  const { keys, value, requests, warm } = w

  // maxmemory for about `cap` such entries: measure what `cap` of them are accounted for.
  const probe = new Store({ activeExpiry: false, maxkeys: cap * 2, maxmemoryPolicy: 'allkeys-lru' })
  for (let i = 0; i < cap; i++) probe.set(keys[i]!, value)
  const bytes = probe.usedMemory()
  probe.close()

  const embedis = (policy: EvictionPolicy, limit: 'keys' | 'memory'): Contender => ({
    name: `embedis ${policy}${limit === 'memory' ? ' (maxmemory)' : ''}`,
    make() {
      const s = new Store(limit === 'keys' ? { maxkeys: cap, maxmemoryPolicy: policy } : { maxmemory: bytes, maxmemoryPolicy: policy })
      return { get: (k) => s.get(k), set: (k, v) => s.set(k, v), size: () => s.dbsize(), close: () => s.close() }
    },
  })
  const contenders: Contender[] = [
    {
      name: 'lru-cache',
      make() {
        const c = new LRUCache<string, string>({ max: cap })
        return { get: (k) => c.get(k) ?? null, set: (k, v) => c.set(k, v), size: () => c.size }
      },
    },
    embedis('allkeys-lru', 'keys'),
    embedis('allkeys-lfu', 'keys'),
    embedis('allkeys-lru', 'memory'),
    embedis('allkeys-random', 'keys'),
  ]

  const hits = new Map<string, number>()
  const sizes = new Map<string, number>()
  const speeds = new Map<string, number[]>()
  for (let round = 0; round < rounds; round++) {
    // Interleaved rounds: machine noise spreads over every contender alike.
    for (const c of contenders) {
      const cache = c.make()
      const r = runWorkload(cache, w)
      hits.set(c.name, r.hitRate)
      sizes.set(c.name, cache.size())
      speeds.set(c.name, [...(speeds.get(c.name) ?? []), r.opsPerSec])
      cache.close?.()
    }
  }
  const results = contenders.map((c) => ({ name: c.name, hitRate: hits.get(c.name)!, opsPerSec: median(speeds.get(c.name)!), keys: sizes.get(c.name)! }))
  const base = results[0]!
  console.log(`\n## Bounded cache: Zipf(0.99) over ${n.toLocaleString('en')} keys, room for ${cap.toLocaleString('en')} (10%)\n`)
  console.log(`${requests.toLocaleString('en')} get-or-set requests after ${warm.toLocaleString('en')} warm-up requests; throughput is the median of ${rounds} interleaved rounds, in CPU time.\n`)
  console.log('| cache | keys held | hit rate | vs lru-cache | requests/s | vs lru-cache |')
  console.log('|---|---:|---:|---:|---:|---:|')
  for (const r of results) {
    const dpp = ((r.hitRate - base.hitRate) * 100).toFixed(2)
    console.log(
      `| ${r.name} | ${r.keys.toLocaleString('en')} | ${(r.hitRate * 100).toFixed(2)}% | ${r === base ? '–' : `${Number(dpp) >= 0 ? '+' : ''}${dpp} pp`} | ${(r.opsPerSec / 1e6).toFixed(2)}M | ${(r.opsPerSec / base.opsPerSec).toFixed(2)}× |`,
    )
  }
  const lru = results.find((r) => r.name === 'embedis allkeys-lru')!
  const lfu = results.find((r) => r.name === 'embedis allkeys-lfu')!
  const mem = results.find((r) => r.name === 'embedis allkeys-lru (maxmemory)')!
  console.log('\nBars:')
  console.log(`- allkeys-lru hit rate within 2 pp of lru-cache: ${Math.abs(lru.hitRate - base.hitRate) * 100 <= 2 ? 'yes' : 'NO'} (${((lru.hitRate - base.hitRate) * 100).toFixed(2)} pp)`)
  console.log(`- allkeys-lfu hit rate at least lru-cache's: ${lfu.hitRate >= base.hitRate ? 'yes' : 'NO'} (${((lfu.hitRate - base.hitRate) * 100).toFixed(2)} pp)`)
  for (const r of [lru, lfu, mem]) {
    console.log(`- ${r.name} throughput ≥ 0.8× lru-cache: ${r.opsPerSec >= 0.8 * base.opsPerSec ? 'yes' : 'NO'} (${(r.opsPerSec / base.opsPerSec).toFixed(2)}×)`)
  }
  benchMemoryEstimate()
  return results
}

/** The accounting estimate against measured heap growth, for typical values. */
export function benchMemoryEstimate(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) {
    console.log('\n(memory estimate comparison needs node --expose-gc; skipped)')
    return
  }
  const pad = (i: number, len: number) => `v${i}:`.padEnd(len, 'x')
  const cases: Array<[string, number, (s: Store, n: number) => void]> = [
    ['string, 16 B value', 200_000, (s, n) => { for (let i = 0; i < n; i++) s.set(`user:${i}`, pad(i, 16)) }],
    ['string, 100 B value', 200_000, (s, n) => { for (let i = 0; i < n; i++) s.set(`user:${i}`, pad(i, 100)) }],
    ['string, 1000 B value', 50_000, (s, n) => { for (let i = 0; i < n; i++) s.set(`user:${i}`, pad(i, 1000)) }],
    ['string, 16 B value + TTL', 200_000, (s, n) => { for (let i = 0; i < n; i++) s.set(`user:${i}`, pad(i, 16), { ex: 1000 }) }],
    ['counter (INCR)', 200_000, (s, n) => { for (let i = 0; i < n; i++) s.incr(`c:${i}`) }],
    ['Buffer, 100 B (heap only)', 100_000, (s, n) => { for (let i = 0; i < n; i++) s.set(`b:${i}`, Buffer.from(pad(i, 100))) }],
    ['hash, 10 fields × 10 B', 20_000, (s, n) => { for (let i = 0; i < n; i++) for (let f = 0; f < 10; f++) s.call('HSET', `h:${i}`, `field${f}`, pad(i + f, 10)) }],
    ['hash, 100 fields × 20 B', 2_000, (s, n) => { for (let i = 0; i < n; i++) for (let f = 0; f < 100; f++) s.call('HSET', `h:${i}`, `field${f}`, pad(i + f, 20)) }],
    ['list, 100 × 20 B', 2_000, (s, n) => { for (let i = 0; i < n; i++) for (let f = 0; f < 100; f++) s.call('RPUSH', `l:${i}`, pad(i * 1000 + f, 20)) }],
    ['set, 100 × 12 B', 2_000, (s, n) => { for (let i = 0; i < n; i++) for (let f = 0; f < 100; f++) s.call('SADD', `s:${i}`, pad(i * 1000 + f, 12)) }],
    ['sorted set, 100 × 12 B', 2_000, (s, n) => { for (let i = 0; i < n; i++) for (let f = 0; f < 100; f++) s.call('ZADD', `z:${i}`, String(f), pad(i * 1000 + f, 12)) }],
    ['sorted set, 1000 × 12 B', 200, (s, n) => { for (let i = 0; i < n; i++) for (let f = 0; f < 1000; f++) s.call('ZADD', `z:${i}`, String(f), pad(i * 1000 + f, 12)) }],
  ]
  console.log('\n## Memory estimate vs measured heap\n')
  console.log('Per key, with a limit set (so the eviction tables are included); heap is `heapUsed` growth after GC.\n')
  console.log('| data | keys | heap bytes/key | estimate bytes/key | estimate / heap |')
  console.log('|---|---:|---:|---:|---:|')
  for (const [name, n, fill] of cases) {
    const [real, est] = measureCase(gc, n, fill)
    console.log(`| ${name} | ${n.toLocaleString('en')} | ${real.toFixed(0)} | ${est.toFixed(0)} | ${(est / real).toFixed(2)} |`)
  }
}

/** Heap growth and estimate per key for one case; the store lives only in this frame, so the next case starts clean. */
function measureCase(gc: () => void, n: number, fill: (s: Store, n: number) => void): [number, number] {
  gc()
  gc()
  const before = process.memoryUsage().heapUsed
  const s = new Store({ activeExpiry: false, maxmemory: '100gb', maxmemoryPolicy: 'allkeys-lru' })
  fill(s, n)
  gc()
  gc()
  const real = (process.memoryUsage().heapUsed - before) / n
  const est = s.usedMemory() / n
  s.close()
  return [real, est]
}

if (isMain(import.meta.url, 'eviction')) await benchEviction()
