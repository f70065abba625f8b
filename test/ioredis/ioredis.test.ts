/**
 * The ioredis drop-in, with ioredis 5 (RESP2) and ioredis 6 (RESP3 by
 * default): the same behaviour as against a Redis server.
 */
import { setFlagsFromString } from 'node:v8'
import { Redis as IORedis5 } from 'ioredis'
import { Redis as IORedis6 } from 'ioredis6'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as dropIn from '../../src/ioredis/index.js'
import { createRedisClass, getDefaultStore, resetDefaultStore, setRedisVersion } from '../../src/ioredis/index.js'
import { Store } from '../../src/store.js'
import { lua } from '../../src/scripting/index.js'
import { sleep, until } from '../helpers/wait.js'

/**
 * True when `s` is a V8 sliced string (a view that keeps its parent string alive): it has the map
 * of a known slice. Natives syntax is enabled for this one function.
 */
setFlagsFromString('--allow-natives-syntax')
const SLICE = 'y'.repeat(100).slice(1, 30)
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: unknown, b: unknown) => boolean
const isSlice = (s: unknown): boolean => typeof s === 'string' && sameMap(s, SLICE)

type Client = InstanceType<typeof IORedis5>
type Ctor = new (...args: any[]) => Client

const VERSIONS: Array<[string, Ctor]> = [
  ['ioredis 5', createRedisClass(IORedis5) as unknown as Ctor],
  ['ioredis 6', createRedisClass(IORedis6) as unknown as Ctor],
]

describe.each(VERSIONS)('%s in-process', (_name, Redis) => {
  const open: Client[] = []
  let store: Store
  const client = (opts: object = {}): Client => {
    const c = new Redis({ store, ...opts })
    open.push(c)
    return c
  }
  afterEach(() => {
    for (const c of open.splice(0)) c.disconnect()
    store?.close()
  })
  const fresh = (): void => {
    store = new Store({ scripting: lua() })
  }

  it('runs commands with ioredis reply shapes', async () => {
    fresh()
    const r = client()
    expect(await r.set('k', 'v')).toBe('OK')
    expect(await r.get('k')).toBe('v')
    expect(await r.incr('n')).toBe(1)
    await r.hset('h', { a: '1', b: '2' })
    expect(await r.hgetall('h')).toEqual({ a: '1', b: '2' })
    expect(await r.call('PING')).toBe('PONG')
    expect(await (r as unknown as { send_command: (...a: unknown[]) => Promise<unknown> }).send_command('ECHO', 'hi')).toBe('hi')
    await expect(r.incr('k')).rejects.toThrow('ERR value is not an integer or out of range')
    expect(store.get('k')).toBe('v')
  })

  it('getBuffer returns binary data exactly', async () => {
    fresh()
    const r = client()
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0d, 0x0a])
    await r.set(Buffer.from([0xc3, 0x28]), bytes)
    expect(await r.getBuffer(Buffer.from([0xc3, 0x28]))).toEqual(bytes)
    await r.set('text', 'héllo ✓')
    expect(await r.get('text')).toBe('héllo ✓')
    expect(await r.strlen('text')).toBe(Buffer.byteLength('héllo ✓'))
  })

  it("stored keys and values of a pipeline are strings of their own, not views that keep the pipeline's text alive", async () => {
    fresh()
    const r = client()
    const p = r.pipeline()
    for (let i = 0; i < 200; i++) p.set(`pipelined-key:${i}`, `a value of some length ${i}`)
    await p.exec()
    const db = store.ks.dbs[0]!
    expect(db.size).toBe(200)
    for (const [key, e] of db.map) {
      expect(isSlice(key)).toBe(false)
      expect(isSlice(e.value)).toBe(false)
    }
    // The check itself: a slice of 13 characters or more of a longer string is one.
    expect(isSlice('x'.repeat(200).slice(1, 40))).toBe(true)
  })

  it('pipelines answer [[err, result], ...]', async () => {
    fresh()
    const r = client()
    const res = await r.pipeline().set('a', 'x').incr('a').get('a').lpush('a', 'y').exec()
    expect(res![0]).toEqual([null, 'OK'])
    expect((res![1]![0] as Error).message).toBe('ERR value is not an integer or out of range')
    expect(res![2]).toEqual([null, 'x'])
    expect((res![3]![0] as Error).message).toBe('WRONGTYPE Operation against a key holding the wrong kind of value')
  })

  it('MULTI with a WATCH conflict resolves to null; a runtime error stays in its slot', async () => {
    fresh()
    const a = client()
    const b = client()
    await a.set('k', '1')
    await a.watch('k')
    await b.set('k', '2')
    expect(await a.multi().set('k', '3').exec()).toBeNull()
    expect(await a.get('k')).toBe('2')
    await a.set('s', 'text')
    const res = await a.multi().incr('s').set('t', 'v').exec()
    expect((res![0]![0] as Error).message).toBe('ERR value is not an integer or out of range')
    expect(res![1]).toEqual([null, 'OK'])
    expect(await b.get('t')).toBe('v')
  })

  it('defineCommand runs Lua through EVALSHA/EVAL', async () => {
    fresh()
    const r = client() as Client & { addTo(key: string, n: number): Promise<number> }
    r.defineCommand('addTo', { numberOfKeys: 1, lua: "return redis.call('INCRBY', KEYS[1], ARGV[1])" })
    expect(await r.addTo('counter', 5)).toBe(5)
    expect(await r.addTo('counter', 2)).toBe(7)
    const pipe = r.pipeline() as unknown as { addTo(k: string, n: number): { get(k: string): { exec(): Promise<unknown> } } }
    expect(await pipe.addTo('counter', 1).get('counter').exec()).toEqual([
      [null, 8],
      [null, '8'],
    ])
  })

  it('scanStream visits every key once', async () => {
    fresh()
    const r = client()
    const pipe = r.pipeline()
    for (let i = 0; i < 300; i++) pipe.set(`k:${i}`, String(i))
    pipe.set('other', 'x')
    await pipe.exec()
    const seen = new Set<string>()
    await new Promise<void>((resolve, reject) => {
      const s = r.scanStream({ match: 'k:*', count: 37 })
      s.on('data', (keys: string[]) => keys.forEach((k) => seen.add(k)))
      s.on('end', () => resolve())
      s.on('error', reject)
    })
    expect(seen.size).toBe(300)
    expect(seen.has('other')).toBe(false)
  })

  it('keyPrefix prefixes keys, not values', async () => {
    fresh()
    const r = client({ keyPrefix: 'app:' })
    await r.set('a', 'b')
    await r.mset('c', 'd', 'e', 'f')
    expect(store.get('app:a')).toBe('b')
    expect(store.mget('app:c', 'app:e')).toEqual(['d', 'f'])
    expect(await r.get('a')).toBe('b')
  })

  it('pub/sub across three clients with patterns and Buffer messages', async () => {
    fresh()
    const pub = client()
    const s1 = client()
    const s2 = client()
    const got: string[] = []
    const bufs: Buffer[] = []
    s1.on('message', (ch: string, m: string) => got.push(`s1 ${ch} ${m}`))
    s1.on('messageBuffer', (_ch: Buffer, m: Buffer) => bufs.push(m))
    s2.on('pmessage', (p: string, ch: string, m: string) => got.push(`s2 ${p} ${ch} ${m}`))
    expect(await s1.subscribe('news', 'sport')).toBe(2)
    expect(await s2.psubscribe('n*')).toBe(1)
    expect(await pub.publish('news', 'hello')).toBe(2)
    expect(await pub.publish('sport', Buffer.from([0xff, 0x00, 0x01]))).toBe(1)
    await until(() => got.length >= 3)
    expect(got.sort()).toEqual(['s1 news hello', 's1 sport \ufffd\u0000\u0001', 's2 n* news hello'].sort())
    expect(bufs[1]).toEqual(Buffer.from([0xff, 0x00, 0x01]))
    expect(await pub.pubsub('NUMSUB', 'news', 'sport')).toEqual(['news', 1, 'sport', 1])
  })

  it('a full unsubscribe leaves subscriber mode', async () => {
    fresh()
    const r = client()
    await r.subscribe('a', 'b')
    // ioredis answers an argument-less UNSUBSCRIBE once the count reaches 0, as with a server.
    expect(await r.unsubscribe()).toBe(0)
    expect(await r.set('k', 'v')).toBe('OK')
    await r.psubscribe('p*', 'q*')
    expect(await r.punsubscribe('p*', 'q*')).toBe(0)
    expect(await r.get('k')).toBe('v')
  })

  it('BLPOP on one client is served by LPUSH from another', async () => {
    fresh()
    const a = client()
    const b = client()
    const waiting = a.blpop('queue', 0)
    await sleep(10)
    expect(await b.lpush('queue', 'job')).toBe(1)
    expect(await waiting).toEqual(['queue', 'job'])
    expect(await a.blpop('empty', 0.05)).toBeNull()
  })

  it('duplicate() talks to the same Store; select and connectionName apply', async () => {
    fresh()
    const r = client({ db: 3, connectionName: 'worker' })
    const d = r.duplicate()
    open.push(d)
    await d.set('k', 'v')
    expect(await r.get('k')).toBe('v')
    store.call('SELECT', '3')
    expect(store.call('GET', 'k')).toBe('v')
    expect(await r.client('GETNAME')).toBe('worker')
  })

  it('password and requirepass', async () => {
    fresh()
    store.call('CONFIG', 'SET', 'requirepass', 'pw')
    const ok = client({ password: 'pw' })
    expect(await ok.ping()).toBe('PONG')
    const errors: string[] = []
    const none = client({ lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false })
    none.on('error', (e: Error) => errors.push(e.message))
    await none.connect().catch((e: Error) => errors.push(e.message))
    // ioredis 5 gets NOAUTH for the command; ioredis 6 already for its HELLO handshake, and closes.
    await none.set('k', 'x').catch((e: Error) => errors.push(e.message))
    expect(errors.some((m) => m.includes('NOAUTH'))).toBe(true)
    expect(store.get('k')).toBeNull()
  })

  it('reconnects after CLIENT KILL, like a client of a server', async () => {
    fresh()
    const victim = client()
    const admin = client()
    await victim.set('k', 'v')
    const id = await victim.client('ID')
    expect(await admin.client('KILL', 'ID', String(id))).toBe(1)
    expect(await victim.get('k')).toBe('v')
    expect(await victim.client('ID')).not.toBe(id)
  })

  it('quit() ends the session in the Store', async () => {
    fresh()
    const r = client()
    await r.ping()
    expect(store.connectedClients()).toBe(1)
    expect(await r.quit()).toBe('OK')
    await until(() => store.connectedClients() === 0)
    expect(store.connectedClients()).toBe(0)
  })
})

describe('fake timers', () => {
  it('TTLs follow vi.useFakeTimers() (the default clock reads Date.now())', async () => {
    vi.useFakeTimers()
    const store = new Store()
    const r = new dropIn.Redis({ store })
    try {
      await r.set('k', 'v', 'EX', 60)
      expect(await r.ttl('k')).toBe(60)
      vi.advanceTimersByTime(61_000)
      expect(await r.get('k')).toBeNull()
    } finally {
      r.disconnect()
      store.close()
      vi.useRealTimers()
    }
  })
})

describe('the embedis/ioredis module', () => {
  it('has the shape vi.mock / jest.mock need, and clients share the default Store', async () => {
    expect(dropIn.default).toBe(dropIn.Redis)
    expect(typeof dropIn.Cluster).toBe('function')
    resetDefaultStore()
    const a = new dropIn.Redis()
    const b = new dropIn.Redis(6379, 'localhost')
    const c = new dropIn.Redis('redis://example.invalid:1234/0')
    try {
      await a.set('shared', '1')
      expect(await b.get('shared')).toBe('1')
      expect(await c.get('shared')).toBe('1')
      expect(getDefaultStore().get('shared')).toBe('1')
      setRedisVersion('7.0.15')
      expect(await a.info('server')).toContain('redis_version:7.0.15')
      resetDefaultStore()
      expect(await b.get('shared')).toBeNull()
    } finally {
      setRedisVersion('7.2.4')
      a.disconnect()
      b.disconnect()
      c.disconnect()
    }
  })
})
