import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock, ReplyError, Store } from '../../src/index.js'
import { NULL_ARRAY, type Push, Replies, Status } from '../../src/core/reply.js'
import type { Session } from '../../src/session.js'

let store: Store
afterEach(() => store?.close())

const run = (s: Session, ...argv: string[]) => s.execute(argv)

describe('MULTI/EXEC through sessions', () => {
  it('queues, then runs everything with per-command errors', () => {
    store = new Store()
    const s = store.session()
    expect(run(s, 'MULTI')).toEqual(new Status('OK'))
    expect(run(s, 'SET', 'a', 'x')).toEqual(new Status('QUEUED'))
    expect(run(s, 'INCR', 'a')).toEqual(new Status('QUEUED'))
    expect(run(s, 'APPEND', 'a', 'y')).toEqual(new Status('QUEUED'))
    const r = run(s, 'EXEC') as unknown[]
    expect(r[0]).toEqual(new Status('OK'))
    expect(r[1]).toBeInstanceOf(ReplyError)
    expect((r[1] as ReplyError).message).toBe('ERR value is not an integer or out of range')
    expect(r[2]).toBe(2)
    expect(store.get('a')).toBe('xy')
  })

  it('a queue-time error aborts the whole transaction', () => {
    store = new Store()
    const s = store.session()
    run(s, 'MULTI')
    run(s, 'SET', 'a', '1')
    expect((run(s, 'GET') as ReplyError).message).toBe("ERR wrong number of arguments for 'get' command")
    expect((run(s, 'EXEC') as ReplyError).message).toBe('EXECABORT Transaction discarded because of previous errors.')
    expect(store.get('a')).toBeNull()
    expect((run(s, 'EXEC') as ReplyError).message).toBe('ERR EXEC without MULTI')
  })

  it('a write from another session trips WATCH', () => {
    store = new Store()
    const a = store.session()
    const b = store.session()
    run(a, 'SET', 'k', '1')
    run(a, 'WATCH', 'k')
    run(b, 'INCR', 'k')
    run(a, 'MULTI')
    run(a, 'SET', 'k', '100')
    expect(run(a, 'EXEC')).toBe(NULL_ARRAY)
    expect(store.get('k')).toBe('2')
  })

  it('a typed write trips WATCH of a session', () => {
    store = new Store()
    const a = store.session()
    run(a, 'WATCH', 'k')
    store.set('k', 'v')
    run(a, 'MULTI')
    run(a, 'PING')
    expect(run(a, 'EXEC')).toBe(NULL_ARRAY)
  })

  it('expiry of a watched key aborts EXEC (lazily, by active expiry, or by its TTL alone)', () => {
    const clock = new ManualClock(1_000_000)
    store = new Store({ clock, activeExpiry: false })
    const a = store.session()
    // TTL passes, nobody touches the key: EXEC's own check fails the transaction.
    store.set('k', 'v', { px: 100 })
    run(a, 'WATCH', 'k')
    clock.advance(200)
    run(a, 'MULTI')
    run(a, 'PING')
    expect(run(a, 'EXEC')).toBe(NULL_ARRAY)
    // Deleted by the active expiry cycle.
    store.set('k', 'v', { px: 100 })
    run(a, 'WATCH', 'k')
    clock.advance(200)
    store.ks.activeExpireCycle()
    expect(store.ks.dbs[0]!.map.has('k')).toBe(false)
    run(a, 'MULTI')
    run(a, 'PING')
    expect(run(a, 'EXEC')).toBe(NULL_ARRAY)
    // Deleted lazily by a read from another session.
    store.set('k', 'v', { px: 100 })
    run(a, 'WATCH', 'k')
    clock.advance(200)
    expect(store.get('k')).toBeNull()
    run(a, 'MULTI')
    run(a, 'PING')
    expect(run(a, 'EXEC')).toBe(NULL_ARRAY)
  })

  it('a key already expired when watched does not abort, even when it is then deleted', () => {
    const clock = new ManualClock(1_000_000)
    store = new Store({ clock, activeExpiry: false })
    const a = store.session()
    store.set('k', 'v', { px: 100 })
    clock.advance(200)
    run(a, 'WATCH', 'k')
    store.ks.activeExpireCycle()
    run(a, 'MULTI')
    run(a, 'PING')
    expect(run(a, 'EXEC')).toEqual([new Status('PONG')])
    // ... but writing it after that does.
    store.set('k', 'v', { px: 100 })
    clock.advance(200)
    run(a, 'WATCH', 'k')
    store.set('k', 'new')
    run(a, 'MULTI')
    run(a, 'PING')
    expect(run(a, 'EXEC')).toBe(NULL_ARRAY)
  })

  it('time is frozen during EXEC', () => {
    store = new Store()
    const s = store.session()
    const seen: number[] = []
    const realNow = store.ks.clock.now
    let t = 5_000_000
    ;(store.ks.clock as { now: () => number }).now = () => (t += 1000)
    try {
      run(s, 'MULTI')
      run(s, 'SET', 'a', 'v', 'PX', '1500')
      run(s, 'PTTL', 'a')
      run(s, 'PTTL', 'a')
      const r = run(s, 'EXEC') as unknown[]
      seen.push(r[1] as number, r[2] as number)
    } finally {
      ;(store.ks.clock as { now: () => number }).now = realNow
    }
    // Without freezing, each read would move the clock by a second and the key would be gone.
    expect(seen).toEqual([1500, 1500])
  })

  it('blocking commands answer at once inside EXEC', async () => {
    store = new Store()
    const s = store.session()
    run(s, 'MULTI')
    run(s, 'BLPOP', 'nolist', '0')
    run(s, 'RPUSH', 'l', 'a')
    run(s, 'BLPOP', 'l', '0')
    const r = s.execute(['EXEC'])
    expect(r).not.toBeInstanceOf(Promise)
    expect(r).toEqual([NULL_ARRAY, 1, ['l', 'a']])
  })

  it('SUBSCRIBE inside MULTI puts the session in subscribed mode', () => {
    store = new Store()
    const s = store.session()
    run(s, 'MULTI')
    run(s, 'SUBSCRIBE', 'a', 'b')
    // One item per queued command, as EXEC's array in Redis: the two confirmations are one.
    const r = run(s, 'EXEC') as unknown[]
    expect(r).toHaveLength(1)
    expect(r[0]).toBeInstanceOf(Replies)
    expect((r[0] as Replies).list.map((x) => (x as Push).items)).toEqual([
      ['subscribe', 'a', 1],
      ['subscribe', 'b', 2],
    ])
    expect((run(s, 'GET', 'x') as ReplyError).message).toMatch(/^ERR Can't execute 'get'/)
  })
})

describe('store.multi() and store.watch()', () => {
  it('runs typed calls atomically and returns their results in order', () => {
    store = new Store()
    const results = store.multi().set('a', '1').incr('a').get('a').call('APPEND', 'a', 'x').exec()
    expect(results).toEqual(['OK', 2, '2', 2])
    expect(store.get('a')).toBe('2x')
  })

  it('returns a failing command error in its place; the others apply', () => {
    store = new Store()
    store.set('s', 'text')
    const results = store.multi().incr('s').set('t', 'v').exec()!
    expect(results[0]).toBeInstanceOf(ReplyError)
    expect((results[0] as ReplyError).message).toBe('ERR value is not an integer or out of range')
    expect(results[1]).toBe('OK')
    expect(store.get('t')).toBe('v')
  })

  it('returns null when a watched key changed, from any door', () => {
    store = new Store()
    store.set('balance', '100')
    store.watch('balance')
    const other = store.session()
    other.execute(['DECRBY', 'balance', '30'])
    const results = store.multi().decrby('balance', 10).exec()
    expect(results).toBeNull()
    expect(store.get('balance')).toBe('70')
    // The WATCH is gone after exec: a second attempt goes through.
    store.watch('balance')
    expect(store.multi().decrby('balance', 10).exec()).toEqual([60])
  })

  it('unwatch() and discard() forget the watched keys', () => {
    store = new Store()
    store.watch('k')
    store.unwatch()
    store.set('k', '1')
    expect(store.multi().get('k').exec()).toEqual(['1'])
    store.watch('k')
    store.multi().get('k').discard()
    store.set('k', '2')
    expect(store.multi().get('k').exec()).toEqual(['2'])
  })

  it('refuses to run twice', () => {
    store = new Store()
    const tx = store.multi().set('a', '1')
    expect(tx.length).toBe(1)
    tx.exec()
    expect(() => tx.exec()).toThrow(/already executed/)
    expect(() => tx.set('b', '2')).toThrow(/already executed/)
  })
})
