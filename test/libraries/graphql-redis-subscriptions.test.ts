/**
 * graphql-redis-subscriptions 2 (`RedisPubSub`), unmodified, with publisher
 * and subscriber drop-in clients on one Store: channel and pattern
 * subscriptions, async iterators (also under graphql-js `subscribe`), custom
 * (de)serialization, and messages from the Store's typed `publish`. The same
 * expectations run against a private valkey-server when installed.
 */
import { RedisPubSub } from 'graphql-redis-subscriptions'
import { withFilter } from 'graphql-subscriptions'
import { buildSchema, parse, subscribe, type ExecutionResult } from 'graphql'
import type { Redis as RealRedis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { Redis } from '../../src/ioredis/index.js'
import { Store } from '../../src/index.js'
import { sleep, until } from '../helpers/wait.js'
import { backends, cleanups, type Target } from './backends.js'

/** A maker of clients of `t`; on valkey-server, with a quirk of some versions absorbed. */
function clients(t: Target): () => RealRedis {
  if (t.name !== 'valkey-server') return () => t.connect()
  return () => {
    const c = t.connect()
    // RedisPubSub.unsubscribe sends UNSUBSCRIBE and PUNSUBSCRIBE unawaited; once the first leaves
    // subscribed mode, Valkey 8.0.0-8.0.1 reject the second with NOSUB (valkey#759, reverted in
    // #1265), where Redis 7.2 (and embedis) reply normally. Drop only that error here.
    for (const name of ['unsubscribe', 'punsubscribe'] as const) {
      const original = c[name].bind(c) as (...a: unknown[]) => Promise<unknown>
      ;(c as unknown as Record<string, unknown>)[name] = (...a: unknown[]) =>
        original(...a).catch((e: Error) => {
          if (!e.message.startsWith('NOSUB')) throw e
        })
    }
    return c
  }
}

type Options = ConstructorParameters<typeof RedisPubSub>[0]

interface Fixture {
  pubsub: RedisPubSub
  /** A third plain client, to inspect the server. */
  admin: RealRedis
  /**
   * Resolves once `count` subscribe() calls (the iterators' included) have completed. The library
   * registers a listener only in its SUBSCRIBE callback, which runs a tick after the reply is
   * parsed: a message arriving with that reply is dropped, so the server's PUBSUB NUMSUB alone
   * does not tell that publishing is safe.
   */
  live(count: number): Promise<void>
}

/** A RedisPubSub on two new clients. */
function pubSub(connect: () => RealRedis, options: Options = {}): Fixture {
  const pubsub = new RedisPubSub({ ...options, publisher: connect(), subscriber: connect() })
  cleanups.push(() => pubsub.close())
  const calls: Promise<number>[] = []
  const subscribe = pubsub.subscribe.bind(pubsub)
  pubsub.subscribe = ((...args: Parameters<typeof subscribe>) => {
    const p = subscribe(...args)
    calls.push(p)
    return p
  }) as typeof pubsub.subscribe
  const live = async (count: number): Promise<void> => {
    await until(() => calls.length >= count, 2000)
    await Promise.all(calls)
  }
  return { pubsub, admin: connect(), live }
}

/** PUBSUB NUMSUB for one channel. */
async function numsub(admin: RealRedis, channel: string): Promise<number> {
  const r = (await admin.pubsub('NUMSUB', channel)) as [string, number]
  return Number(r[1])
}

/** Polls an async reading until it equals `want` (for subscription changes the library does not await). */
async function settle<T>(read: () => Promise<T>, want: T, ms = 2000): Promise<T> {
  const end = Date.now() + ms
  let v = await read()
  while (v !== want && Date.now() < end) {
    await sleep(5)
    v = await read()
  }
  return v
}

describe.each(backends)('graphql-redis-subscriptions on %s', (_name, backend) => {
  it('subscribe, publish and unsubscribe, with one Redis subscription per trigger', async () => {
    const { pubsub, admin } = pubSub(clients(await backend()))
    const a: unknown[] = []
    const b: unknown[] = []
    const idA = await pubsub.subscribe('events', (m) => a.push(m))
    const idB = await pubsub.subscribe('events', (m) => b.push(m))
    expect([idA, idB]).toEqual([0, 1])
    // Two listeners share the subscriber's single SUBSCRIBE.
    expect(await numsub(admin, 'events')).toBe(1)

    for (let i = 1; i <= 5; i++) await pubsub.publish('events', { i, text: `msg ${i}` })
    await pubsub.publish('elsewhere', { i: 0 })
    await until(() => a.length === 5 && b.length === 5, 2000)
    const expected = [1, 2, 3, 4, 5].map((i) => ({ i, text: `msg ${i}` }))
    expect(a).toEqual(expected)
    expect(b).toEqual(expected)

    pubsub.unsubscribe(idA)
    expect(await numsub(admin, 'events')).toBe(1)
    await pubsub.publish('events', { i: 6 })
    await until(() => b.length === 6, 2000)
    expect(b.at(-1)).toEqual({ i: 6 })
    expect(a.length).toBe(5)

    pubsub.unsubscribe(idB)
    expect(await settle(() => numsub(admin, 'events'), 0)).toBe(0)
    expect(() => pubsub.unsubscribe(idB)).toThrow(`There is no subscription of id "${idB}"`)
    // Subscribing again after the last unsubscribe issues a new SUBSCRIBE.
    const c: unknown[] = []
    const idC = await pubsub.subscribe('events', (m) => c.push(m))
    expect(idC).toBe(2)
    expect(await numsub(admin, 'events')).toBe(1)
    await pubsub.publish('events', 'plain string')
    await until(() => c.length === 1, 2000)
    expect(c).toEqual(['plain string'])
  }, 5000)

  it('pattern subscriptions (PSUBSCRIBE) receive every matching channel', async () => {
    const { pubsub, admin } = pubSub(clients(await backend()))
    const got: unknown[] = []
    const id = await pubsub.subscribe('news.*', (m) => got.push(m), { pattern: true })
    expect(await admin.pubsub('NUMPAT')).toBe(1)
    expect(await numsub(admin, 'news.*')).toBe(0)
    await pubsub.publish('news.sport', { topic: 'sport' })
    await pubsub.publish('weather', { topic: 'weather' })
    await pubsub.publish('news.tech', { topic: 'tech' })
    // 'weather' went out before 'news.tech': had it matched, it would be here by now.
    await until(() => got.length === 2, 2000)
    expect(got).toEqual([{ topic: 'sport' }, { topic: 'tech' }])
    pubsub.unsubscribe(id)
    expect(await settle(async () => Number(await admin.pubsub('NUMPAT')), 0)).toBe(0)
  }, 5000)

  it('async iterators deliver payloads in order, stop on return(), and filter with withFilter', async () => {
    const { pubsub, admin, live } = pubSub(clients(await backend()))
    const it = pubsub.asyncIterableIterator<{ n: number }>(['a', 'b'])
    // The iterator subscribes on its first next().
    const first = it.next()
    await live(2)
    expect([await numsub(admin, 'a'), await numsub(admin, 'b')]).toEqual([1, 1])
    await pubsub.publish('a', { n: 1 })
    await pubsub.publish('b', { n: 2 })
    await pubsub.publish('a', { n: 3 })
    const values = [(await first).value, (await it.next()).value, (await it.next()).value]
    expect(values).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }])
    expect(await it.return!()).toEqual({ value: undefined, done: true })
    expect(await settle(async () => (await numsub(admin, 'a')) + (await numsub(admin, 'b')), 0)).toBe(0)
    expect(await it.next()).toEqual({ value: undefined, done: true })

    // for await over asyncIterator, filtered to even numbers; break ends the subscription.
    const even = withFilter(() => pubsub.asyncIterator<{ n: number }>('nums'), (p?: { n: number }) => p!.n % 2 === 0)
    const iterable = (await even()) as AsyncIterableIterator<{ n: number }>
    const seen: number[] = []
    const loop = (async () => {
      for await (const p of iterable) {
        seen.push(p.n)
        if (seen.length === 3) break
      }
    })()
    await live(3)
    expect(await numsub(admin, 'nums')).toBe(1)
    for (let n = 1; n <= 8; n++) await pubsub.publish('nums', { n })
    await loop
    expect(seen).toEqual([2, 4, 6])
    expect(await settle(() => numsub(admin, 'nums'), 0)).toBe(0)
  }, 5000)

  it('feeds a graphql-js subscription', async () => {
    const { pubsub, admin, live } = pubSub(clients(await backend()))
    const schema = buildSchema(`
      type Post { id: ID!, title: String! }
      type Query { ok: Boolean }
      type Subscription { postAdded(author: String): Post }
    `)
    const rootValue = { postAdded: () => pubsub.asyncIterableIterator('POST_ADDED') }
    const result = await subscribe({ schema, document: parse('subscription { postAdded { title } }'), rootValue })
    const stream = result as AsyncGenerator<ExecutionResult>
    const next = stream.next()
    await live(1)
    expect(await numsub(admin, 'POST_ADDED')).toBe(1)
    await pubsub.publish('POST_ADDED', { postAdded: { id: '1', title: 'Hello' } })
    await pubsub.publish('POST_ADDED', { postAdded: { id: '2', title: 'World' } })
    expect((await next).value).toEqual({ data: { postAdded: { title: 'Hello' } } })
    expect((await stream.next()).value).toEqual({ data: { postAdded: { title: 'World' } } })
    await stream.return(undefined)
    expect(await settle(() => numsub(admin, 'POST_ADDED'), 0)).toBe(0)
  }, 5000)

  it('reviver, serializer and a Buffer deserializer', async () => {
    const connect = clients(await backend())
    // The reviver turns ISO strings back into Dates.
    const iso = /^\d{4}-\d\d-\d\dT/
    const revived = pubSub(connect, { reviver: (_k, v) => (typeof v === 'string' && iso.test(v) ? new Date(v) : v) })
    const dates: unknown[] = []
    await revived.pubsub.subscribe('dated', (m) => dates.push(m))
    const at = new Date(Date.UTC(2024, 1, 29, 12, 0, 0))
    await revived.pubsub.publish('dated', { at, label: 'leap day' })
    await until(() => dates.length === 1, 2000)
    expect(dates[0]).toEqual({ at, label: 'leap day' })
    expect((dates[0] as { at: unknown }).at).toBeInstanceOf(Date)

    // A custom serializer writes what goes over the wire; a raw subscriber sees exactly that.
    const serialized = pubSub(connect, { serializer: (v) => `v1|${JSON.stringify(v)}` })
    const raw: string[] = []
    const rawSub = connect()
    rawSub.on('message', (_ch: string, m: string) => raw.push(m))
    await rawSub.subscribe('wire')
    const viaLib: unknown[] = []
    await serialized.pubsub.subscribe('wire', (m) => viaLib.push(m))
    await serialized.pubsub.publish('wire', { x: 1 })
    await until(() => raw.length === 1 && viaLib.length === 1, 2000)
    expect(raw).toEqual(['v1|{"x":1}'])
    // Not JSON: the default parse fails and the listener gets the string as it came.
    expect(viaLib).toEqual(['v1|{"x":1}'])

    // With messageBuffer events the deserializer gets the exact bytes, binary included.
    const contexts: unknown[] = []
    const binary = pubSub(connect, {
      messageEventName: 'messageBuffer',
      deserializer: (source, context) => {
        contexts.push(context)
        return [...(source as Buffer)]
      },
    })
    const bytes: unknown[] = []
    await binary.pubsub.subscribe('bin', (m) => bytes.push(m))
    const payload = Buffer.from([0x00, 0xff, 0xc3, 0x28, 0x0a, 0x80])
    await binary.pubsub.publish('bin', payload)
    await until(() => bytes.length === 1, 2000)
    expect(bytes).toEqual([[0x00, 0xff, 0xc3, 0x28, 0x0a, 0x80]])
    expect(contexts).toEqual([{ pattern: undefined, channel: 'bin' }])
  }, 5000)
})

describe('graphql-redis-subscriptions and the Store API', () => {
  it('receives messages published with store.publish, on channels and patterns', async () => {
    const store = new Store()
    cleanups.push(() => store.close())
    const pubsub = new RedisPubSub({ publisher: new Redis({ store }), subscriber: new Redis({ store }) })
    cleanups.push(() => pubsub.close())
    const plain: unknown[] = []
    const pattern: unknown[] = []
    await pubsub.subscribe('orders', (m) => plain.push(m))
    await pubsub.subscribe('orders.*', (m) => pattern.push(m), { pattern: true })
    expect(store.pubsubNumsub('orders').get('orders')).toBe(1)
    expect(store.pubsubNumpat()).toBe(1)

    // PUBLISH's reply: the number of clients that received the message.
    expect(store.publish('orders', JSON.stringify({ id: 1 }))).toBe(1)
    expect(store.publish('orders.eu', JSON.stringify({ id: 2 }))).toBe(1)
    expect(store.publish('orders.us', new TextEncoder().encode('{"id":3}'))).toBe(1)
    expect(store.publish('invoices', '{}')).toBe(0)
    await until(() => plain.length === 1 && pattern.length === 2, 2000)
    expect(plain).toEqual([{ id: 1 }])
    expect(pattern).toEqual([{ id: 2 }, { id: 3 }])

    // And the library's own publish reaches Store-level listeners.
    const direct: string[] = []
    const stop = store.subscribe('orders', (m) => direct.push(String(m)))
    await pubsub.publish('orders', { id: 4 })
    await until(() => direct.length === 1 && plain.length === 2, 2000)
    stop()
    expect(direct).toEqual(['{"id":4}'])
    expect(plain).toEqual([{ id: 1 }, { id: 4 }])
  }, 5000)
})
