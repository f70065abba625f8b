/**
 * Foundation benchmarks: typed get/set/incr/mget/set-with-EX and the same
 * through call(), against a bare Map, lru-cache, ioredis-mock and a real server
 * over loopback (ioredis), all measured in one run, each the median of three
 * rounds (runRows). Ratios are to Map.
 */
import { LRUCache } from 'lru-cache'
import { Store } from '../src/index.js'
import { printTable, realServerClient, runRows, type Row } from './lib.js'

const N = 10_000
const keys = Array.from({ length: N }, (_, i) => `key:${i}`)
const value = 'v'.repeat(16)

export async function benchStrings(opts: { time?: number } = {}): Promise<Map<string, Map<string, number>>> {
  const map = new Map<string, string>()
  const lru = new LRUCache<string, string>({ max: N * 2 })
  const store = new Store()
  for (const k of keys) {
    map.set(k, value)
    lru.set(k, value)
    store.set(k, value)
  }
  const { default: RedisMock } = await import('ioredis-mock')
  const mock = new RedisMock()
  for (const k of keys) await mock.set(k, value)

  type RealClient = {
    get(k: string): Promise<unknown>
    set(...a: unknown[]): Promise<unknown>
    incr(k: string): Promise<unknown>
    mget(...k: string[]): Promise<unknown>
    quit(): Promise<unknown>
  }
  const srv = await realServerClient()
  const real = srv?.client as RealClient | undefined
  if (real) for (const k of keys) await real.set(k, value)

  let i = 0
  const next = () => keys[(i = (i + 1) % N)]!
  // SET … EX writes its own keys, so the rows reading `keys` measure keys without a TTL.
  const exKeys = keys.map((k) => `ex:${k}`)
  let j = 0
  const nextEx = () => exKeys[(j = (j + 1) % N)]!
  const mkeys = keys.slice(0, 10)
  // Each task call runs B operations, so the harness's own per-call cost does not dominate.
  const B = 100
  // Each task call runs B operations of a kind; `times` builds such a call.
  const times = (f: () => unknown) => () => {
    for (let n = 0; n < B; n++) f()
  }
  const timesAsync = (f: () => Promise<unknown>) => async () => {
    for (let n = 0; n < B; n++) await f()
  }
  const mapIncr = () => {
    const k = next()
    map.set(k, String((Number(map.get(k)) || 0) + 1))
  }
  const rows: Row[] = [
    {
      op: 'get',
      impls: {
        Map: times(() => map.get(next())),
        'lru-cache': times(() => lru.get(next())),
        embedis: times(() => store.get(next())),
        'embedis call()': times(() => store.call('GET', next())),
        'ioredis-mock': timesAsync(() => mock.get(next())),
        ...(real ? { 'real server': timesAsync(() => real!.get(next())) } : {}),
      },
    },
    {
      op: 'set',
      impls: {
        Map: times(() => map.set(next(), value)),
        'lru-cache': times(() => lru.set(next(), value)),
        embedis: times(() => store.set(next(), value)),
        'embedis call()': times(() => store.call('SET', next(), value)),
        'ioredis-mock': timesAsync(() => mock.set(next(), value)),
        ...(real ? { 'real server': timesAsync(() => real!.set(next(), value)) } : {}),
      },
    },
    {
      op: 'set with EX',
      impls: {
        Map: times(() => map.set(nextEx(), value)),
        'lru-cache': times(() => lru.set(nextEx(), value, { ttl: 60_000 })),
        embedis: times(() => store.set(nextEx(), value, { ex: 60 })),
        'embedis call()': times(() => store.call('SET', nextEx(), value, 'EX', 60)),
        'ioredis-mock': timesAsync(() => mock.set(nextEx(), value, 'EX', 60)),
        ...(real ? { 'real server': timesAsync(() => real!.set(nextEx(), value, 'EX', 60)) } : {}),
      },
    },
    {
      op: 'incr',
      impls: {
        Map: times(mapIncr),
        embedis: times(() => store.incr('counter')),
        'embedis call()': times(() => store.call('INCR', 'counter')),
        'ioredis-mock': timesAsync(() => mock.incr('counter')),
        ...(real ? { 'real server': timesAsync(() => real!.incr('counter')) } : {}),
      },
    },
    {
      op: 'mget 10',
      impls: {
        Map: times(() => mkeys.map((k) => map.get(k))),
        embedis: times(() => store.mget(...mkeys)),
        'embedis call()': times(() => store.call('MGET', ...mkeys)),
        'ioredis-mock': timesAsync(() => mock.mget(...mkeys)),
        ...(real ? { 'real server': timesAsync(() => real!.mget(...mkeys)) } : {}),
      },
    },
  ]
  const res = await runRows(rows, { ...opts, opsPerCall: B })
  printTable('Strings: throughput (ratios to Map)', res, 'Map')
  store.close()
  mock.disconnect()
  await srv?.close()
  return res
}

/** Heap bytes per key for 1M keys with 16-byte values: Store vs Map<string, string>. */
export async function benchMemory(n = 1_000_000): Promise<{ map: number; store: number }> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) {
    console.log('\n(memory figures need node --expose-gc; skipped)')
    return { map: NaN, store: NaN }
  }
  const measure = (fill: () => unknown): number => {
    gc()
    gc()
    const before = process.memoryUsage().heapUsed
    const holder = fill()
    gc()
    gc()
    const after = process.memoryUsage().heapUsed
    ;(globalThis as { __keep?: unknown }).__keep = holder
    ;(globalThis as { __keep?: unknown }).__keep = undefined
    return (after - before) / n
  }
  // Values are built fresh per key (not one shared string) so both sides pay for n values.
  const mapBytes = measure(() => {
    const m = new Map<string, string>()
    for (let i = 0; i < n; i++) m.set(`key:${i}`, `value:${i}`.padEnd(16, 'x'))
    return m
  })
  const storeBytes = measure(() => {
    const s = new Store({ activeExpiry: false })
    for (let i = 0; i < n; i++) s.set(`key:${i}`, `value:${i}`.padEnd(16, 'x'))
    return s
  })
  console.log(`\n## Memory: ${n.toLocaleString('en')} keys, 16-byte values\n`)
  console.log(`| structure | heap bytes/key | ratio to Map |`)
  console.log(`|---|---:|---:|`)
  console.log(`| Map<string, string> | ${mapBytes.toFixed(1)} | 1.00× |`)
  console.log(`| embedis Store | ${storeBytes.toFixed(1)} | ${(storeBytes / mapBytes).toFixed(2)}× |`)
  return { map: mapBytes, store: storeBytes }
}
