import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { Store } from '../src/index.js'
import {
  BUFFER_OVERHEAD,
  ENTRY_OVERHEAD,
  HASH_BASE,
  HASH_ELEMENT,
  LIST_BASE,
  LIST_ELEMENT,
  VOLATILE_OVERHEAD,
  entrySize,
  stringBytes,
} from '../src/keyspace/memory.js'

function store(opts: ConstructorParameters<typeof Store>[0] = {}): Store {
  return new Store({ activeExpiry: false, ...opts })
}

function accountedSum(s: Store): number {
  let sum = 0
  for (const db of s.ks.dbs) for (const e of db.map.values()) sum += s.memory.acct.sizeOf(e)
  return sum
}

describe('the size estimate', () => {
  it('counts a string key and value as V8 lays them out', () => {
    expect(stringBytes('')).toBe(16)
    expect(stringBytes('a')).toBe(24)
    expect(stringBytes('x'.repeat(8))).toBe(24)
    expect(stringBytes('x'.repeat(9))).toBe(32)
    // Two-byte strings (non-Latin-1 text) take two bytes a character.
    expect(stringBytes('日本')).toBe(24)
    expect(stringBytes('日'.repeat(10))).toBe(40)
    const s = store()
    s.set('key', 'value')
    expect(s.memoryUsage('key')).toBe(ENTRY_OVERHEAD + stringBytes('key') + stringBytes('value'))
    s.set('key', 'value', { ex: 100 })
    expect(s.memoryUsage('key')).toBe(ENTRY_OVERHEAD + VOLATILE_OVERHEAD + stringBytes('key') + stringBytes('value'))
    s.set('bin', Buffer.alloc(1000))
    expect(s.memoryUsage('bin')).toBe(ENTRY_OVERHEAD + stringBytes('bin') + BUFFER_OVERHEAD + 1000)
  })

  it('measures small collections exactly and samples large ones', () => {
    const s = store()
    s.call('RPUSH', 'l', 'a', 'bb', 'ccc')
    expect(s.memoryUsage('l')).toBe(ENTRY_OVERHEAD + stringBytes('l') + LIST_BASE + 3 * (LIST_ELEMENT + 24))
    s.call('HSET', 'h', 'f1', 'v1', 'f2', 'v2')
    expect(s.memoryUsage('h')).toBe(ENTRY_OVERHEAD + stringBytes('h') + HASH_BASE + 2 * (HASH_ELEMENT + 48))
    // A big list of equal-size elements: any sample gives the exact figure.
    const big = Array.from({ length: 5000 }, (_, i) => String(100000 + i))
    s.call('RPUSH', 'big', ...big)
    const exact = s.memoryUsage('big', { samples: 0 })!
    expect(exact).toBe(ENTRY_OVERHEAD + stringBytes('big') + LIST_BASE + 5000 * (LIST_ELEMENT + 24))
    expect(s.memoryUsage('big')).toBe(exact)
    // Mixed sizes: sampled estimates scatter around the exact one.
    const mixed = Array.from({ length: 2000 }, (_, i) => 'x'.repeat(1 + (i % 200)))
    s.call('SADD', 'mixed', ...mixed)
    const all = s.memoryUsage('mixed', { samples: 0 })!
    let sum = 0
    for (let i = 0; i < 200; i++) sum += s.memoryUsage('mixed', { samples: 20 })!
    expect(Math.abs(sum / 200 - all) / all).toBeLessThan(0.1)
    for (const t of ['z', 'zs']) s.call('ZADD', t, 1, 'a', 2, 'b')
    expect(s.memoryUsage('z')).toBeGreaterThan(s.memoryUsage('zs', { samples: 1 })! - 1)
  })

  it('is within a third of the measured heap for typical values', () => {
    // Needs a GC between measurements; v8 can expose it at run time.
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const measure = (n: number, fill: (s: Store) => void): [number, number] => {
      gc()
      gc()
      const s = store({ maxkeys: 10_000_000, maxmemoryPolicy: 'allkeys-lru' })
      const before = process.memoryUsage().heapUsed
      fill(s)
      gc()
      gc()
      const real = process.memoryUsage().heapUsed - before
      const est = s.usedMemory()
      s.close()
      return [real / n, est / n]
    }
    const cases: Array<[number, (s: Store) => void]> = [
      [50_000, (s) => {
        for (let i = 0; i < 50_000; i++) s.set(`user:${i}`, `value-${i}`.padEnd(100, 'x'))
      }],
      [2_000, (s) => {
        for (let i = 0; i < 2_000; i++) for (let f = 0; f < 20; f++) s.call('HSET', `h:${i}`, `field${f}`, `v${i}`.padEnd(20, 'y'))
      }],
    ]
    for (const [n, fill] of cases) {
      const [real, est] = measure(n, fill)
      expect(est / real).toBeGreaterThan(0.67)
      expect(est / real).toBeLessThan(1.5)
    }
  })
})

describe('MEMORY', () => {
  it('USAGE answers nil for a missing key and parses SAMPLES as Redis does', () => {
    const s = store()
    s.set('k', 'v')
    expect(s.call('MEMORY', 'USAGE', 'missing')).toBe(null)
    expect(typeof s.call('MEMORY', 'USAGE', 'k')).toBe('number')
    expect(s.call('MEMORY', 'USAGE', 'k', 'SAMPLES', '0')).toBe(s.call('MEMORY', 'USAGE', 'k'))
    expect(s.call('MEMORY', 'USAGE', 'k', 'sAmPlEs', '3', 'SAMPLES', '1')).toBe(s.call('MEMORY', 'USAGE', 'k'))
    expect(() => s.call('MEMORY', 'USAGE', 'k', 'SAMPLES', '-1')).toThrow('ERR syntax error')
    expect(() => s.call('MEMORY', 'USAGE', 'k', 'SAMPLES', 'x')).toThrow('ERR value is not an integer or out of range')
    expect(() => s.call('MEMORY', 'USAGE', 'k', 'SAMPLES', '99999999999999999999')).toThrow('ERR value is not an integer or out of range')
    expect(() => s.call('MEMORY', 'USAGE', 'k', 'SAMPLES')).toThrow('ERR syntax error')
    expect(() => s.call('MEMORY', 'USAGE', 'k', 'extra')).toThrow('ERR syntax error')
    // Options are checked before the key is looked up.
    expect(() => s.call('MEMORY', 'USAGE', 'missing', 'bad')).toThrow('ERR syntax error')
    expect(() => s.call('MEMORY', 'USAGE')).toThrow("ERR wrong number of arguments for 'memory|usage' command")
    expect(() => s.call('MEMORY')).toThrow("ERR wrong number of arguments for 'memory' command")
    expect(() => s.call('MEMORY', 'foo')).toThrow("ERR unknown subcommand 'foo'. Try MEMORY HELP.")
    expect(() => s.call('MEMORY', 'STATS', 'x')).toThrow("ERR wrong number of arguments for 'memory|stats' command")
    expect(s.memoryUsage('missing')).toBe(null)
    expect(() => s.memoryUsage('k', { samples: -1 })).toThrow('ERR syntax error')
  })

  it('USAGE grows with the value and does not count as an access', () => {
    const s = store({ maxmemoryPolicy: 'allkeys-lfu' })
    s.set('small', 'x')
    s.set('large', 'x'.repeat(10_000))
    expect(s.memoryUsage('large')! - s.memoryUsage('small')!).toBe(stringBytes('x'.repeat(10_000)) - stringBytes('x') + stringBytes('large') - stringBytes('small'))
    for (let i = 0; i < 10; i++) s.memoryUsage('small')
    expect(s.call('OBJECT', 'FREQ', 'small')).toBe(5)
  })

  it('HELP, DOCTOR, MALLOC-STATS and PURGE answer as Redis does', () => {
    const s = store()
    expect(s.call('MEMORY', 'HELP')).toEqual([
      'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
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
      'HELP',
      '    Print this help.',
    ])
    expect(s.call('MEMORY', 'DOCTOR')).toBe(
      "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.",
    )
    expect(s.memoryDoctor()).toBe(s.call('MEMORY', 'DOCTOR'))
    expect(s.call('MEMORY', 'PURGE')).toBe('OK')
    expect(typeof s.call('MEMORY', 'MALLOC-STATS')).toBe('string')
    // A bigger store without a limit gets advice.
    for (let i = 0; i < 30_000; i++) s.set('k' + i, 'x'.repeat(100))
    expect(s.memoryDoctor()).toContain('No limit')
    s.configSet('maxmemory', '1gb')
    expect(s.memoryDoctor()).toBe("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.")
  })

  it('STATS reports the dataset, per-database overhead and allocator figures', () => {
    const s = store({ maxmemory: '10mb', maxmemoryPolicy: 'allkeys-lru' })
    for (let i = 0; i < 100; i++) s.set('k' + i, 'v', i < 10 ? { ex: 100 } : undefined)
    const sess = s.session()
    sess.execute(['SELECT', '2'])
    sess.execute(['SET', 'other', 'v'])
    const stats = s.call('MEMORY', 'STATS') as unknown[]
    const m = new Map<string, unknown>()
    for (let i = 0; i < stats.length; i += 2) m.set(stats[i] as string, stats[i + 1])
    expect(m.get('keys.count')).toBe(101)
    expect(m.get('total.allocated')).toBe(s.usedMemory())
    expect(m.get('db.0')).toEqual(['overhead.hashtable.main', 100 * ENTRY_OVERHEAD, 'overhead.hashtable.expires', 10 * VOLATILE_OVERHEAD])
    expect(m.get('db.2')).toEqual(['overhead.hashtable.main', ENTRY_OVERHEAD, 'overhead.hashtable.expires', 0])
    expect(m.has('db.1')).toBe(false)
    expect(m.get('overhead.total')).toBe(101 * ENTRY_OVERHEAD + 10 * VOLATILE_OVERHEAD)
    expect(m.get('dataset.bytes')).toBe(s.usedMemory() - (m.get('overhead.total') as number))
    expect(m.get('keys.bytes-per-key')).toBe(Math.floor(s.usedMemory() / 101))
    for (const k of ['peak.allocated', 'startup.allocated', 'dataset.percentage', 'peak.percentage', 'allocator.allocated', 'fragmentation']) expect(m.has(k)).toBe(true)
    const typed = s.memoryStats()
    expect(typed.keys).toBe(101)
    expect(typed.used).toBe(s.usedMemory())
    expect(typed.dataset + typed.overhead).toBe(typed.used)
    expect(typed.maxmemory).toBe(10 * 1024 * 1024)
    expect(typed.policy).toBe('allkeys-lru')
    expect(typed.heapUsed).toBeGreaterThan(0)
  })
})

describe('INFO memory', () => {
  function info(s: Store): Map<string, string> {
    const text = s.call('INFO', 'memory') as string
    const m = new Map<string, string>()
    for (const line of text.split('\r\n')) {
      const i = line.indexOf(':')
      if (i > 0) m.set(line.slice(0, i), line.slice(i + 1))
    }
    return m
  }

  it('reports the estimate, limits and policy', () => {
    const s = store()
    expect(info(s).get('used_memory')).toBe('0')
    expect(info(s).get('used_memory_human')).toBe('0B')
    expect(info(s).get('maxmemory')).toBe('0')
    expect(info(s).get('maxmemory_policy')).toBe('noeviction')
    for (let i = 0; i < 1000; i++) s.set('k' + i, 'x'.repeat(1000))
    s.configSet('maxmemory', '100mb')
    s.configSet('maxmemory-policy', 'allkeys-lfu')
    const m = info(s)
    expect(Number(m.get('used_memory'))).toBe(s.usedMemory())
    expect(m.get('used_memory_human')).toMatch(/^1\.\d\dM$/)
    expect(m.get('maxmemory')).toBe(String(100 * 1024 * 1024))
    expect(m.get('maxmemory_human')).toBe('100.00M')
    expect(m.get('maxmemory_policy')).toBe('allkeys-lfu')
    expect(Number(m.get('used_memory_peak'))).toBeGreaterThanOrEqual(s.usedMemory())
    expect(Number(m.get('used_memory_rss'))).toBeGreaterThan(0)
    expect(m.get('mem_allocator')).toBe('v8')
    // Peak stays after data goes away.
    const peak = Number(m.get('used_memory_peak'))
    s.flushall()
    expect(info(s).get('used_memory')).toBe('0')
    expect(Number(info(s).get('used_memory_peak'))).toBe(peak)
  })

  it('before tracking starts, estimates from the keys (exactly when there are few)', () => {
    const s = store()
    let sum = 0
    for (let i = 0; i < 500; i++) {
      s.set('k' + i, 'v'.repeat(i))
      sum += entrySize('k' + i, s.ks.dbs[0]!.map.get('k' + i)!)
    }
    expect(s.usedMemory()).toBe(sum)
    // Large databases are extrapolated from a sample: close, not exact.
    for (let i = 0; i < 20_000; i++) s.set('big' + i, 'v'.repeat(i % 100))
    const est = s.usedMemory()
    s.configSet('maxkeys', '1000000')
    expect(Math.abs(est - s.usedMemory()) / s.usedMemory()).toBeLessThan(0.1)
  })

  it('tracks every command family incrementally', () => {
    const s = store({ maxmemory: '1gb' })
    s.set('s', 'v')
    s.call('APPEND', 's', 'more')
    s.call('SETRANGE', 's', 20, 'x')
    s.call('INCR', 'n')
    // Counters: made by INCRBY, then past 2^53 (kept as text from there on), and one made by SET.
    s.call('INCRBY', 'big', '9007199254740990')
    s.call('INCRBY', 'big', 5)
    s.call('SET', 'c', '7')
    s.call('INCR', 'c')
    s.call('HSET', 'h', 'a', '1', 'b', '2')
    s.call('HDEL', 'h', 'a')
    s.call('RPUSH', 'l', 'a', 'b', 'c')
    s.call('LPOP', 'l')
    s.call('SADD', 'set', 'a', 'b')
    s.call('ZADD', 'z', 1, 'a', 2, 'b')
    s.call('ZREM', 'z', 'a')
    s.call('EXPIRE', 's', 100)
    s.call('COPY', 'h', 'h2')
    s.call('PERSIST', 's')
    expect(s.usedMemory()).toBe(accountedSum(s))
    // Each key's accounted size is its current estimate.
    for (const [k, e] of s.ks.dbs[0]!.map) expect(s.memory.acct.sizeOf(e)).toBe(entrySize(k, e, 0))
    s.call('DEL', 'h', 'h2', 'l', 'set', 'z', 's', 'n', 'big', 'c')
    expect(s.usedMemory()).toBe(0)
  })
})
