/** rate-limiter-flexible's RateLimiterRedis, unmodified, on the ioredis drop-in. */
import { afterAll, describe, expect, it } from 'vitest'
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
import { Store } from '../../src/index.js'
import { Redis } from '../../src/ioredis/index.js'
import { lua } from '../../src/scripting/index.js'

const store = new Store({ scripting: lua() })
const client = new Redis({ store })
afterAll(() => {
  client.disconnect()
  store.close()
})

describe('rate-limiter-flexible', () => {
  it('allows the points per duration, then rejects with the time to wait', async () => {
    const limiter = new RateLimiterRedis({ storeClient: client, points: 3, duration: 2, keyPrefix: 'rl' })
    const first = await limiter.consume('user1')
    expect(first.remainingPoints).toBe(2)
    expect(first.consumedPoints).toBe(1)
    await limiter.consume('user1')
    await limiter.consume('user1')
    const rejected = await limiter.consume('user1').then(
      () => null,
      (e: unknown) => e,
    )
    expect(rejected).toBeInstanceOf(RateLimiterRes)
    const r = rejected as RateLimiterRes
    expect(r.remainingPoints).toBe(0)
    expect(r.msBeforeNext).toBeGreaterThan(0)
    expect(r.msBeforeNext).toBeLessThanOrEqual(2000)
    // Another key has its own budget.
    expect((await limiter.consume('user2')).remainingPoints).toBe(2)
    // The counter lives in the store with the duration as TTL.
    expect(await client.get('rl:user1')).toBe('4')
    const ttl = await client.pttl('rl:user1')
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(2000)
  })

  it('penalty, reward, get and delete', async () => {
    const limiter = new RateLimiterRedis({ storeClient: client, points: 5, duration: 10, keyPrefix: 'rl2' })
    await limiter.consume('k', 2)
    await limiter.penalty('k', 1)
    expect((await limiter.get('k'))!.consumedPoints).toBe(3)
    await limiter.reward('k', 2)
    expect((await limiter.get('k'))!.consumedPoints).toBe(1)
    expect(await limiter.delete('k')).toBe(true)
    expect(await limiter.get('k')).toBeNull()
  })

  it('blocks a key for a while with block()', async () => {
    const limiter = new RateLimiterRedis({ storeClient: client, points: 5, duration: 10, keyPrefix: 'rl3' })
    await limiter.block('bad', 5)
    const res = await limiter.consume('bad').then(
      () => null,
      (e: unknown) => e as RateLimiterRes,
    )
    expect(res).toBeInstanceOf(RateLimiterRes)
    expect(res!.msBeforeNext).toBeGreaterThan(4000)
  })
})
