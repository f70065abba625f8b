/** rate-limiter-flexible's RateLimiterRedis (Lua via defineCommand, MULTI) on the ioredis drop-in. */
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
import { afterEach, describe, expect, it } from 'vitest'
import { Redis } from '../../src/ioredis/index.js'
import { lua } from '../../src/scripting/index.js'
import { Store } from '../../src/index.js'

let store: Store
let redis: InstanceType<typeof Redis>
afterEach(() => {
  redis?.disconnect()
  store?.close()
})

describe('RateLimiterRedis on embedis/ioredis', () => {
  it('consumes points, then rejects with the time left, and recovers after the window', async () => {
    store = new Store({ scripting: lua() })
    redis = new Redis({ store })
    const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'rl', points: 3, duration: 1 })
    const r1 = await limiter.consume('user')
    expect(r1.remainingPoints).toBe(2)
    await limiter.consume('user')
    await limiter.consume('user', 1)
    const rejected = await limiter.consume('user').then(
      () => null,
      (e: unknown) => e,
    )
    expect(rejected).toBeInstanceOf(RateLimiterRes)
    expect((rejected as RateLimiterRes).remainingPoints).toBe(0)
    expect((rejected as RateLimiterRes).msBeforeNext).toBeGreaterThan(0)
    expect((rejected as RateLimiterRes).msBeforeNext).toBeLessThanOrEqual(1000)
    // The counter lives in the Store with the window as its TTL.
    expect(store.get('rl:user')).toBe('4')
    expect(store.pttl('rl:user')).toBeGreaterThan(0)
    const got = await limiter.get('user')
    expect(got?.consumedPoints).toBe(4)
    // Another key is independent.
    expect((await limiter.consume('other')).remainingPoints).toBe(2)
    await new Promise((r) => setTimeout(r, 1100))
    expect((await limiter.consume('user')).remainingPoints).toBe(2)
  })

  it('penalty, reward, block and delete', async () => {
    store = new Store({ scripting: lua() })
    redis = new Redis({ store })
    const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'rl', points: 10, duration: 60 })
    await limiter.penalty('ip', 4)
    expect((await limiter.get('ip'))?.consumedPoints).toBe(4)
    await limiter.reward('ip', 3)
    expect((await limiter.get('ip'))?.consumedPoints).toBe(1)
    await limiter.block('ip', 30)
    const blocked = await limiter.consume('ip').catch((e: RateLimiterRes) => e)
    expect((blocked as RateLimiterRes).msBeforeNext).toBeGreaterThan(29_000)
    expect(await limiter.delete('ip')).toBe(true)
    expect(store.exists('rl:ip')).toBe(0)
    expect((await limiter.consume('ip')).remainingPoints).toBe(9)
  })
})
