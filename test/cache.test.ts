import { describe, expect, it } from 'vitest'
import { codecs, type Codec } from '../src/api/cache.js'
import { ManualClock, Store } from '../src/index.js'

interface User {
  id: number
  name: string
  tags: string[]
}

const T0 = 1_700_000_000_000

function setup(opts: ConstructorParameters<typeof Store>[0] = {}) {
  const clock = new ManualClock(T0)
  const store = new Store({ clock, activeExpiry: false, ...opts })
  return { clock, store }
}

/** A loader that records calls and resolves when told to. */
function deferredLoader<T>() {
  const calls: string[] = []
  const pending: Array<{ resolve: (v: T) => void; reject: (e: unknown) => void }> = []
  const load = (id: string) =>
    new Promise<T>((resolve, reject) => {
      calls.push(id)
      pending.push({ resolve, reject })
    })
  return { calls, pending, load }
}

const tick = () => new Promise((r) => setTimeout(r, 0))

describe('store.cache()', () => {
  it('stores typed values as JSON under a prefix, readable by any client', () => {
    const { store } = setup()
    const users = store.cache<User>({ prefix: 'user:' })
    const u: User = { id: 1, name: 'Ada', tags: ['x'] }
    users.set('1', u)
    expect(store.get('user:1')).toBe(JSON.stringify(u))
    expect(users.get('1')).toEqual(u)
    expect(users.get('2')).toBe(undefined)
    expect(users.has('1')).toBe(true)
    expect(users.delete('1')).toBe(true)
    expect(users.delete('1')).toBe(false)
    expect(users.has('1')).toBe(false)
    expect(store.cache('p:').prefix).toBe('p:')
  })

  it('applies the TTL, a per-call TTL and jitter', () => {
    const { store } = setup()
    const c = store.cache<number>({ prefix: 'n:', ttl: 60 })
    c.set('a', 1)
    expect(store.pttl('n:a')).toBe(60_000)
    c.set('b', 2, { ttl: 0.5 })
    expect(store.pttl('n:b')).toBe(500)
    const j = store.cache<number>({ prefix: 'j:', ttl: 100, jitter: 0.2 })
    const ttls = new Set<number>()
    for (let i = 0; i < 200; i++) {
      j.set(String(i), i)
      const t = store.pttl('j:' + i)
      expect(t).toBeGreaterThanOrEqual(80_000)
      expect(t).toBeLessThanOrEqual(100_000)
      ttls.add(t)
    }
    // Spread out, not all equal.
    expect(ttls.size).toBeGreaterThan(100)
    const none = store.cache<number>('forever:')
    none.set('x', 1)
    expect(store.ttl('forever:x')).toBe(-1)
    expect(() => store.cache({ ttl: -1 })).toThrow(RangeError)
    expect(() => store.cache({ jitter: 2 })).toThrow(RangeError)
  })

  it('takes other codecs', () => {
    const { store } = setup()
    const strings = store.cache<string>({ prefix: 's:', codec: codecs.string })
    strings.set('a', 'plain text')
    expect(store.get('s:a')).toBe('plain text')
    expect(strings.get('a')).toBe('plain text')
    const bytes = store.cache<Buffer>({ prefix: 'b:', codec: codecs.buffer })
    const raw = Buffer.from([0, 255, 1, 254])
    bytes.set('a', raw)
    raw[0] = 9 // the stored copy does not change with the caller's buffer
    expect(bytes.get('a')).toEqual(Buffer.from([0, 255, 1, 254]))
    const dates: Codec<Date> = { encode: (d) => String(d.getTime()), decode: (s) => new Date(Number(s)) }
    const when = store.cache<Date>({ prefix: 'd:', codec: dates })
    when.set('x', new Date(5000))
    expect(store.get('d:x')).toBe('5000')
    expect(when.get('x')!.getTime()).toBe(5000)
  })
})

describe('fetch', () => {
  it('loads a miss once, stores it with the TTL and serves hits without the loader', async () => {
    const { store } = setup()
    const users = store.cache<User>({ prefix: 'user:', ttl: 30 })
    let calls = 0
    const load = async (id: string): Promise<User> => {
      calls++
      return { id: Number(id), name: 'n' + id, tags: [] }
    }
    expect(await users.fetch('7', load)).toEqual({ id: 7, name: 'n7', tags: [] })
    expect(calls).toBe(1)
    expect(store.pttl('user:7')).toBe(30_000)
    expect(await users.fetch('7', load)).toEqual({ id: 7, name: 'n7', tags: [] })
    expect(calls).toBe(1)
    expect(users.stats()).toEqual({ hits: 1, misses: 1, stale: 0, loads: 1, errors: 0 })
  })

  it('calls the loader once for concurrent misses of one key (single flight)', async () => {
    const { store } = setup()
    const c = store.cache<string>({ prefix: 'k:', ttl: 10 })
    const d = deferredLoader<string>()
    const waiting = Array.from({ length: 10 }, () => c.fetch('a', d.load))
    const other = c.fetch('b', d.load)
    await tick()
    expect(d.calls).toEqual(['a', 'b'])
    d.pending[0]!.resolve('A')
    d.pending[1]!.resolve('B')
    expect(await Promise.all(waiting)).toEqual(Array(10).fill('A'))
    expect(await other).toBe('B')
    expect(store.get('k:a')).toBe('"A"')
    // Two namespaces over the same keys share flights too.
    const c2 = store.cache<string>({ prefix: 'k:' })
    const d2 = deferredLoader<string>()
    const p1 = c.fetch('z', d2.load)
    const p2 = c2.fetch('z', d2.load)
    await tick()
    expect(d2.calls).toEqual(['z'])
    d2.pending[0]!.resolve('Z')
    expect([await p1, await p2]).toEqual(['Z', 'Z'])
  })

  it('never caches an error: every waiter gets it, the next fetch loads again', async () => {
    const { store } = setup()
    const c = store.cache<number>({ prefix: 'e:', ttl: 10 })
    const d = deferredLoader<number>()
    const a = c.fetch('x', d.load)
    const b = c.fetch('x', d.load)
    await tick()
    d.pending[0]!.reject(new Error('database down'))
    await expect(a).rejects.toThrow('database down')
    await expect(b).rejects.toThrow('database down')
    expect(store.exists('e:x')).toBe(0)
    // Synchronous throws too.
    await expect(
      c.fetch('x', () => {
        throw new Error('sync')
      }),
    ).rejects.toThrow('sync')
    expect(await c.fetch('x', async () => 42)).toBe(42)
    expect(c.stats().errors).toBe(2)
    expect(c.stats().loads).toBe(3)
  })

  it('returns but does not cache undefined; needs a loader', async () => {
    const { store } = setup()
    const c = store.cache<number | undefined>({ prefix: 'u:' })
    expect(await c.fetch('x', async () => undefined)).toBe(undefined)
    expect(store.exists('u:x')).toBe(0)
    await expect(c.fetch('x')).rejects.toThrow(TypeError)
    const withDefault = store.cache<number>({ prefix: 'd:', loader: async (id) => id.length })
    expect(await withDefault.fetch('abcd')).toBe(4)
  })

  it('reloads after the TTL', async () => {
    const { store, clock } = setup()
    const c = store.cache<number>({ prefix: 't:', ttl: 5 })
    let n = 0
    const load = async () => ++n
    expect(await c.fetch('x', load)).toBe(1)
    clock.advance(4999)
    expect(await c.fetch('x', load)).toBe(1)
    clock.advance(1)
    expect(await c.fetch('x', load)).toBe(2)
  })

  it('serves a stale value while it refreshes in the background', async () => {
    const { store, clock } = setup()
    const errors: unknown[] = []
    const c = store.cache<string>({ prefix: 'w:', ttl: 10, staleWhileRevalidate: 20, onError: (e) => errors.push(e) })
    const d = deferredLoader<string>()
    const first = c.fetch('x', d.load)
    await tick()
    d.pending[0]!.resolve('v1')
    expect(await first).toBe('v1')
    // The key lives for ttl + stale window.
    expect(store.pttl('w:x')).toBe(30_000)
    clock.advance(9_000)
    expect(await c.fetch('x', d.load)).toBe('v1')
    expect(d.calls.length).toBe(1)
    // Stale: answered at once with the old value; one refresh starts, not one per call.
    clock.advance(2_000)
    expect(await c.fetch('x', d.load)).toBe('v1')
    expect(await c.fetch('x', d.load)).toBe('v1')
    await tick()
    expect(d.calls.length).toBe(2)
    d.pending[1]!.resolve('v2')
    await tick()
    expect(await c.fetch('x', d.load)).toBe('v2')
    expect(c.stats().stale).toBe(2)
    // A failed refresh keeps serving the stale value and reports the error.
    clock.advance(15_000)
    expect(await c.fetch('x', d.load)).toBe('v2')
    await tick()
    d.pending[2]!.reject(new Error('refresh failed'))
    await tick()
    expect(errors.map(String)).toEqual(['Error: refresh failed'])
    expect(await c.fetch('x', d.load)).toBe('v2')
    await tick()
    d.pending[3]!.resolve('v3')
    await tick()
    // Past ttl + window: a plain miss that waits for the loader.
    clock.advance(31_000)
    const late = c.fetch('x', d.load)
    await tick()
    expect(d.calls.length).toBe(5)
    d.pending[4]!.resolve('v4')
    expect(await late).toBe('v4')
  })

  it('does not store a load that a set or delete overtook', async () => {
    const { store } = setup()
    const c = store.cache<string>({ prefix: 'r:' })
    const d = deferredLoader<string>()
    const p = c.fetch('x', d.load)
    await tick()
    c.set('x', 'newer')
    d.pending[0]!.resolve('older')
    expect(await p).toBe('older')
    expect(c.get('x')).toBe('newer')
    const q = c.fetch('y', d.load)
    await tick()
    c.delete('y')
    d.pending[1]!.resolve('loaded')
    expect(await q).toBe('loaded')
    expect(c.has('y')).toBe(false)
  })

  it('treats a value its codec cannot read as a miss', async () => {
    const { store } = setup()
    store.set('j:x', 'not json')
    const c = store.cache<number>({ prefix: 'j:' })
    expect(await c.fetch('x', async () => 5)).toBe(5)
    expect(store.get('j:x')).toBe('5')
    store.call('RPUSH', 'j:list', 'a')
    await expect(c.fetch('list', async () => 1)).rejects.toThrow('WRONGTYPE')
  })

  it('still answers when the store refuses the write (noeviction at the limit)', async () => {
    const { store } = setup()
    store.set('filler', 'x'.repeat(1000))
    store.configSet('maxmemory', '100')
    const errors: string[] = []
    const c = store.cache<number>({ prefix: 'o:', onError: (e) => errors.push((e as Error).message) })
    expect(await c.fetch('x', async () => 1)).toBe(1)
    expect(errors).toEqual(["OOM command not allowed when used memory > 'maxmemory'."])
    expect(() => c.set('y', 2)).toThrow('OOM')
  })

  it('works as a bounded cache with eviction', async () => {
    const { store } = setup({ maxkeys: 100, maxmemoryPolicy: 'allkeys-lru' })
    const c = store.cache<{ n: number }>({ prefix: 'item:', ttl: 60 })
    for (let i = 0; i < 1000; i++) await c.fetch(String(i), async (id) => ({ n: Number(id) }))
    expect(store.dbsize()).toBe(100)
    expect(c.get('999')).toEqual({ n: 999 })
  })
})

describe('wrap, clear and store.fetch', () => {
  it('wrap memoizes a function by its arguments', async () => {
    const { store } = setup()
    const c = store.cache<number>({ prefix: 'sum:', ttl: 60 })
    let calls = 0
    const add = c.wrap(async (a: number, b: number) => {
      calls++
      return a + b
    })
    expect(await add(1, 2)).toBe(3)
    expect(await add(1, 2)).toBe(3)
    expect(await add(2, 1)).toBe(3)
    expect(calls).toBe(2)
    expect(store.get('sum:[1,2]')).toBe('3')
    const byId = c.wrap((id: number) => id * 10, (id) => `id${id}`)
    expect(await byId(4)).toBe(40)
    expect(store.get('sum:id4')).toBe('40')
  })

  it('clear removes the namespace only', () => {
    const { store } = setup()
    const a = store.cache<number>('a:')
    for (let i = 0; i < 50; i++) a.set(String(i), i)
    store.set('b:1', 'keep')
    expect(a.clear()).toBe(50)
    expect(store.dbsize()).toBe(1)
    expect(a.clear()).toBe(0)
  })

  it('store.fetch caches one value by key', async () => {
    const { store, clock } = setup()
    let n = 0
    const load = async () => ({ rates: [1, 2], n: ++n })
    expect(await store.fetch('fx', load, { ttl: 60 })).toEqual({ rates: [1, 2], n: 1 })
    expect(await store.fetch('fx', load, { ttl: 60 })).toEqual({ rates: [1, 2], n: 1 })
    expect(store.ttl('fx')).toBe(60)
    clock.advance(60_000)
    expect((await store.fetch('fx', load, { ttl: 60 })).n).toBe(2)
  })
})
