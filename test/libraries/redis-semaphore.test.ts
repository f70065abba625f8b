/** redis-semaphore (v5), unmodified, on the ioredis drop-in: SET NX PX locks, sorted-set semaphores, Lua via EVALSHA/EVAL. */
import { LostLockError, MultiSemaphore, Mutex, Semaphore, TimeoutError } from 'redis-semaphore'
import { describe, expect, it } from 'vitest'
import { sleep, until } from '../helpers/wait.js'
import { backends, cleanups } from './backends.js'

/** Stops a lock's refresh timer after the test, so a lock left held cannot report a loss later. */
function track<T extends { stopRefresh(): void }>(lock: T): T {
  cleanups.push(() => lock.stopRefresh())
  return lock
}

/** Whether a promise has settled, without waiting for it. */
function settled(p: Promise<unknown>): () => boolean {
  let done = false
  p.then(
    () => (done = true),
    () => (done = true),
  )
  return () => done
}

describe.each(backends)('redis-semaphore on %s', (_name, backend) => {
  it('a Mutex excludes a second acquirer until released; tryAcquire fails while held', async () => {
    const { connect } = await backend()
    const a = connect()
    const b = connect()
    const first = track(new Mutex(a, 'res'))
    const second = track(new Mutex(b, 'res', { retryInterval: 10 }))
    await first.acquire()
    expect(first.isAcquired).toBe(true)
    expect(await a.get('mutex:res')).toBe(first.identifier)
    const pttl = await a.pttl('mutex:res')
    expect(pttl).toBeGreaterThan(9000)
    expect(pttl).toBeLessThanOrEqual(10_000)

    const waiting = second.acquire()
    const done = settled(waiting)
    const once = track(new Mutex(b, 'res', { acquireAttemptsLimit: 1 }))
    expect(await once.tryAcquire()).toBe(false)
    expect(once.isAcquired).toBe(false)
    await sleep(100)
    expect(done()).toBe(false)

    await first.release()
    await waiting
    expect(second.isAcquired).toBe(true)
    expect(await a.get('mutex:res')).toBe(second.identifier)
    // Releasing again (or by the former holder) leaves the new holder's lock alone.
    await first.release()
    expect(await a.get('mutex:res')).toBe(second.identifier)
    await second.release()
    expect(await a.exists('mutex:res')).toBe(0)
    expect(await once.tryAcquire()).toBe(true)
    await once.release()
  }, 10_000)

  it('an unrefreshed lock expires after lockTimeout and another acquirer gets in', async () => {
    const { connect } = await backend()
    const a = connect()
    const b = connect()
    const t0 = Date.now()
    const holder = track(new Mutex(a, 'exp', { lockTimeout: 100, refreshInterval: 0 }))
    await holder.acquire()
    const next = track(new Mutex(b, 'exp', { retryInterval: 10, acquireTimeout: 3000 }))
    await next.acquire()
    expect(Date.now()).toBeGreaterThanOrEqual(t0 + 100 - 5)
    expect(await a.get('mutex:exp')).toBe(next.identifier)
    // The old holder does not know; its release must not remove the new lock.
    expect(holder.isAcquired).toBe(true)
    await holder.release()
    expect(await a.get('mutex:exp')).toBe(next.identifier)
    await next.release()
    expect(await a.exists('mutex:exp')).toBe(0)
  }, 10_000)

  it('refreshInterval keeps a lock alive past lockTimeout, and a lost lock is reported', async () => {
    const { connect } = await backend()
    const a = connect()
    const b = connect()
    const lost: unknown[] = []
    const holder = track(new Mutex(a, 'kept', { lockTimeout: 300, refreshInterval: 50, onLockLost: (e) => lost.push(e) }))
    await holder.acquire()
    await sleep(700)
    const other = track(new Mutex(b, 'kept', { acquireAttemptsLimit: 1 }))
    expect(await other.tryAcquire()).toBe(false)
    expect(await a.get('mutex:kept')).toBe(holder.identifier)
    expect(await a.pttl('mutex:kept')).toBeGreaterThan(0)
    expect(holder.isAcquired).toBe(true)
    expect(lost).toEqual([])

    // A lock taken over under the same identifier (acquiredExternally) refreshes instead of acquiring.
    const handler = track(new Mutex(b, 'kept', { identifier: holder.identifier, acquiredExternally: true, lockTimeout: 5000 }))
    expect(await handler.tryAcquire()).toBe(true)
    expect(await a.pttl('mutex:kept')).toBeGreaterThan(4000)
    handler.stopRefresh()

    // Someone else deletes the key: the next refresh finds it gone.
    await b.del('mutex:kept')
    await until(() => lost.length > 0, 2000)
    expect(lost).toHaveLength(1)
    expect(lost[0]).toBeInstanceOf(LostLockError)
    expect((lost[0] as Error).message).toBe('Lost mutex for key mutex:kept')
    expect(holder.isAcquired).toBe(false)
    expect(await other.tryAcquire()).toBe(true)
    await other.release()
  }, 10_000)

  it('a Semaphore lets N holders in; the N+1-th waits for a release', async () => {
    const { connect } = await backend()
    const a = connect()
    const b = connect()
    const holders = [0, 1, 2].map((i) => track(new Semaphore(i % 2 ? a : b, 'pool', 3)))
    await Promise.all(holders.map((s) => s.acquire()))
    expect(await a.zcard('semaphore:pool')).toBe(3)
    expect((await a.zrange('semaphore:pool', 0, -1)).sort()).toEqual(holders.map((s) => s.identifier).sort())
    expect(await a.pttl('semaphore:pool')).toBeGreaterThan(9000)

    const fourth = track(new Semaphore(b, 'pool', 3, { retryInterval: 10 }))
    const waiting = fourth.acquire()
    const done = settled(waiting)
    const probe = track(new Semaphore(a, 'pool', 3, { acquireAttemptsLimit: 1 }))
    expect(await probe.tryAcquire()).toBe(false)
    await sleep(100)
    expect(done()).toBe(false)
    expect(await a.zcard('semaphore:pool')).toBe(3)

    await holders[1]!.release()
    await waiting
    expect(fourth.isAcquired).toBe(true)
    expect(await a.zscore('semaphore:pool', fourth.identifier)).not.toBeNull()
    expect(await a.zscore('semaphore:pool', holders[1]!.identifier)).toBeNull()
    for (const s of [holders[0]!, holders[2]!, fourth]) await s.release()
    expect(await a.exists('semaphore:pool')).toBe(0)
  }, 10_000)

  it('expired Semaphore permits are reclaimed; refreshed ones are kept', async () => {
    const { connect } = await backend()
    const a = connect()
    const b = connect()
    const lost: unknown[] = []
    const options = { lockTimeout: 200, onLockLost: (e: unknown) => lost.push(e) }
    const t0 = Date.now()
    const stale = track(new Semaphore(a, 'sem', 2, { ...options, refreshInterval: 0 }))
    const live = track(new Semaphore(a, 'sem', 2, { ...options, refreshInterval: 40 }))
    await stale.acquire()
    await live.acquire()
    const late = track(new Semaphore(b, 'sem', 2, { ...options, retryInterval: 10, acquireTimeout: 3000 }))
    await late.acquire()
    expect(Date.now()).toBeGreaterThanOrEqual(t0 + 200 - 5)
    // The stale permit was removed (by its score, the acquire time) to make room; the refreshed one is still there.
    expect((await a.zrange('semaphore:sem', 0, -1)).sort()).toEqual([live.identifier, late.identifier].sort())
    expect(live.isAcquired).toBe(true)
    expect(lost).toEqual([])
    await live.release()
    await late.release()
    expect(await a.exists('semaphore:sem')).toBe(0)
  }, 10_000)

  it('MultiSemaphore takes several permits at once and shares the key with Semaphore', async () => {
    const { connect } = await backend()
    const a = connect()
    const b = connect()
    const three = track(new MultiSemaphore(a, 'multi', 5, 3))
    await three.acquire()
    expect((await a.zrange('semaphore:multi', 0, -1)).sort()).toEqual([0, 1, 2].map((i) => `${three.identifier}_${i}`))
    const otherThree = track(new MultiSemaphore(b, 'multi', 5, 3, { retryInterval: 10 }))
    const waiting = otherThree.acquire()
    const done = settled(waiting)
    // 3 + 1 fits under 5 while 3 + 3 does not.
    const single = track(new Semaphore(b, 'multi', 5))
    await single.acquire()
    expect(await a.zcard('semaphore:multi')).toBe(4)
    const two = track(new MultiSemaphore(a, 'multi', 5, 2, { acquireAttemptsLimit: 1 }))
    expect(await two.tryAcquire()).toBe(false)
    await sleep(100)
    expect(done()).toBe(false)

    await three.release()
    await waiting
    expect((await a.zrange('semaphore:multi', 0, -1)).sort()).toEqual(
      [single.identifier, ...[0, 1, 2].map((i) => `${otherThree.identifier}_${i}`)].sort(),
    )
    await otherThree.release()
    await single.release()
    expect(await a.exists('semaphore:multi')).toBe(0)
  }, 10_000)

  it('acquire rejects with TimeoutError after acquireTimeout or acquireAttemptsLimit', async () => {
    const { connect } = await backend()
    const a = connect()
    const b = connect()
    const mutex = track(new Mutex(a, 'busy'))
    const sem = track(new Semaphore(a, 'busy', 1))
    const multi = track(new MultiSemaphore(a, 'busy-multi', 4, 3))
    await Promise.all([mutex.acquire(), sem.acquire(), multi.acquire()])

    const t0 = Date.now()
    const results = await Promise.all([
      track(new Mutex(b, 'busy', { acquireTimeout: 100 })).acquire().catch((e: unknown) => e),
      track(new Semaphore(b, 'busy', 1, { acquireTimeout: 100 })).acquire().catch((e: unknown) => e),
      track(new MultiSemaphore(b, 'busy-multi', 4, 2, { acquireTimeout: 100 })).acquire().catch((e: unknown) => e),
      track(new Mutex(b, 'busy', { acquireAttemptsLimit: 3, retryInterval: 10 })).acquire().catch((e: unknown) => e),
    ])
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100 - 5)
    for (const e of results) expect(e).toBeInstanceOf(TimeoutError)
    expect(results.map((e) => (e as Error).message)).toEqual([
      'Acquire mutex mutex:busy timeout',
      'Acquire semaphore semaphore:busy timeout',
      'Acquire multi-semaphore semaphore:busy-multi timeout',
      'Acquire mutex mutex:busy timeout',
    ])
    // The holders are unaffected.
    expect(await a.get('mutex:busy')).toBe(mutex.identifier)
    expect(await a.zrange('semaphore:busy', 0, -1)).toEqual([sem.identifier])
    expect(await a.zcard('semaphore:busy-multi')).toBe(3)
    await Promise.all([mutex.release(), sem.release(), multi.release()])
  }, 10_000)
})
