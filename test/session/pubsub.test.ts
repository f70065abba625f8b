import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock, Store } from '../../src/index.js'
import { Push } from '../../src/core/reply.js'
import { pushesOf } from '../helpers/store.js'

let store: Store
afterEach(() => store?.close())

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0))

/** A session whose pushes are collected as plain arrays. */
describe('store.subscribe / psubscribe / publish', () => {
  it('delivers to listeners after the publishing call, in order, and counts them', async () => {
    store = new Store()
    const got: string[] = []
    const off = store.subscribe('news', (m, c) => got.push(`${c}:${m}`))
    const offP = store.psubscribe('n*', (m, c, p) => got.push(`${p}|${c}:${m}`))
    expect(store.publish('news', 'one')).toBe(2)
    expect(store.publish('nope', 'two')).toBe(1)
    expect(got).toEqual([]) // not in the middle of the publishing call
    await tick()
    expect(got).toEqual(['news:one', 'n*|news:one', 'n*|nope:two'])
    expect(store.pubsubNumsub('news', 'x')).toEqual(new Map([['news', 1], ['x', 0]]))
    expect(store.pubsubNumpat()).toBe(1)
    expect(store.pubsubChannels()).toEqual(['news'])
    off()
    off()
    offP()
    expect(store.publish('news', 'three')).toBe(0)
    expect(store.pubsubChannels()).toEqual([])
  })

  it('Buffer listeners get exact bytes', async () => {
    store = new Store()
    const got: Buffer[][] = []
    store.subscribeBuffer(Buffer.from([0xff, 0x00]), (m, c) => got.push([m, c]))
    expect(store.publish(Buffer.from([0xff, 0x00]), Buffer.from([0xc3, 0x28]))).toBe(1)
    await tick()
    expect(got).toEqual([[Buffer.from([0xc3, 0x28]), Buffer.from([0xff, 0x00])]])
  })

  it('sessions and listeners share channels; sessions receive pushes', async () => {
    store = new Store()
    const s = store.session()
    const pushes = pushesOf(s)
    s.execute(['SUBSCRIBE', 'c'])
    let n = 0
    store.subscribe('c', () => n++)
    expect(store.publish('c', 'hi')).toBe(2)
    expect(pushes).toEqual([['message', 'c', 'hi']])
    await tick()
    expect(n).toBe(1)
    expect(store.pubsubNumsub('c').get('c')).toBe(2)
    s.close()
    expect(store.publish('c', 'again')).toBe(1)
  })

  it('shard channels are apart from channels', async () => {
    store = new Store()
    const got: string[] = []
    store.ssubscribe('sh', (m) => got.push(m))
    expect(store.publish('sh', 'x')).toBe(0)
    expect(store.spublish('sh', 'y')).toBe(1)
    expect(store.pubsubShardChannels()).toEqual(['sh'])
    expect(store.pubsubShardNumsub('sh').get('sh')).toBe(1)
    await tick()
    expect(got).toEqual(['y'])
  })

  it('a throwing listener does not keep the others from their messages', async () => {
    store = new Store()
    const got: string[] = []
    store.subscribe('c', () => {
      throw new Error('boom')
    })
    store.subscribe('c', (m) => got.push(m))
    const errors: unknown[] = []
    const onError = (e: unknown): void => void errors.push(e)
    process.on('uncaughtException', onError)
    try {
      store.publish('c', 'x')
      await tick()
    } finally {
      process.off('uncaughtException', onError)
    }
    expect(got).toEqual(['x'])
    expect((errors[0] as Error).message).toBe('boom')
  })
})

describe('keyspace notifications', () => {
  it('publishes on __keyspace@db__ and __keyevent@db__ as the flags say', () => {
    store = new Store()
    const s = store.session()
    const pushes = pushesOf(s)
    s.execute(['PSUBSCRIBE', '__key*'])
    pushes.length = 0
    store.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA')
    store.set('k', 'v')
    expect(pushes).toEqual([
      ['pmessage', '__key*', '__keyspace@0__:k', 'set'],
      ['pmessage', '__key*', '__keyevent@0__:set', 'k'],
    ])
    pushes.length = 0
    store.call('CONFIG', 'SET', 'notify-keyspace-events', 'Eg')
    store.call('SELECT', '3')
    store.call('SET', 'k', 'v')
    store.call('DEL', 'k')
    expect(pushes).toEqual([['pmessage', '__key*', '__keyevent@3__:del', 'k']])
    pushes.length = 0
    store.call('CONFIG', 'SET', 'notify-keyspace-events', 'Km')
    store.call('GET', 'missing')
    expect(pushes).toEqual([['pmessage', '__key*', '__keyspace@3__:missing', 'keymiss']])
    pushes.length = 0
    store.call('CONFIG', 'SET', 'notify-keyspace-events', '')
    store.call('SET', 'k', 'v')
    expect(pushes).toEqual([])
  })

  it('expired events come from lazy and from active expiry', () => {
    const clock = new ManualClock(1_000_000)
    store = new Store({ clock, activeExpiry: false, config: { 'notify-keyspace-events': 'Ex' } })
    const events: string[] = []
    const s = store.session()
    s.out = (r) => events.push(String((r as Push).items[3]))
    s.execute(['PSUBSCRIBE', '__keyevent@0__:*'])
    store.set('lazy', 'v', { px: 10 })
    store.set('active', 'v', { px: 10 })
    clock.advance(20)
    expect(store.get('lazy')).toBeNull()
    expect(events).toEqual(['lazy'])
    store.ks.activeExpireCycle()
    expect(events).toEqual(['lazy', 'active'])
  })

  it('typed listeners receive keyspace events after the write', async () => {
    store = new Store({ config: { 'notify-keyspace-events': 'KEA' } })
    const got: string[] = []
    store.psubscribe('__keyevent@0__:*', (key, channel) => {
      got.push(`${channel} ${key}`)
      // Writing from a listener is safe: it runs after the command, not inside it.
      if (channel.endsWith(':set') && key === 'a') store.set('b', '1')
    })
    store.set('a', '1')
    expect(got).toEqual([])
    await tick()
    await tick()
    expect(got).toEqual(['__keyevent@0__:set a', '__keyevent@0__:set b'])
  })

  it('binary keys keep their bytes on the keyspace channel and in keyevent messages', () => {
    store = new Store({ config: { 'notify-keyspace-events': 'KEA' } })
    const s = store.session()
    const pushes = pushesOf(s)
    s.execute(['PSUBSCRIBE', '__keyevent@0__:*'])
    pushes.length = 0
    store.session().execute(['SET', Buffer.from([0xff, 0x01]), 'v'])
    expect(pushes).toEqual([['pmessage', '__keyevent@0__:*', '__keyevent@0__:set', '<ff01>']])
  })
})

describe('subscribed sessions', () => {
  it('PUBSUB counts follow subscriptions and RESET drops them', () => {
    store = new Store()
    const s = store.session()
    pushesOf(s)
    s.execute(['SUBSCRIBE', 'a', 'b'])
    s.execute(['PSUBSCRIBE', 'x*'])
    expect(store.call('PUBSUB', 'NUMSUB', 'a', 'b', 'c')).toEqual(['a', 1, 'b', 1, 'c', 0])
    expect(store.call('PUBSUB', 'NUMPAT')).toBe(1)
    const info = store.call('INFO', 'stats') as string
    expect(info).toContain('pubsub_channels:2')
    expect(info).toContain('pubsub_patterns:1')
    s.execute(['RESET'])
    expect(store.call('PUBSUB', 'NUMSUB', 'a')).toEqual(['a', 0])
    expect(store.call('PUBSUB', 'NUMPAT')).toBe(0)
  })

  it('RESP3 sessions get push replies and may run any command', () => {
    store = new Store()
    const s = store.session()
    s.execute(['HELLO', '3'])
    const r = s.execute(['SUBSCRIBE', 'a'])
    expect(r).toBeInstanceOf(Push)
    expect(s.execute(['SET', 'k', 'v'])).toEqual({ value: 'OK' })
  })
})
