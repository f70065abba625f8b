/** redlock (v4), unmodified, on the ioredis drop-in: its acquire/extend/release Lua scripts. */
import { afterAll, describe, expect, it } from 'vitest'
import Redlock from 'redlock'
import { Store } from '../../src/index.js'
import { Redis } from '../../src/ioredis/index.js'
import { lua } from '../../src/scripting/index.js'

const store = new Store({ scripting: lua() })
const client = new Redis({ store })
afterAll(() => {
  client.disconnect()
  store.close()
})

describe('redlock', () => {
  it('acquires, extends and releases; a second acquire fails while held', async () => {
    const redlock = new Redlock([client], { retryCount: 2, retryDelay: 20, retryJitter: 0, driftFactor: 0.01 })
    redlock.on('clientError', () => {})
    const lock = await redlock.lock('locks:res', 1000)
    const value = await client.get('locks:res')
    expect(value).toBe(lock.value)
    const ttl = await client.pttl('locks:res')
    expect(ttl).toBeGreaterThan(900)
    expect(ttl).toBeLessThanOrEqual(1000)

    await expect(redlock.lock('locks:res', 1000)).rejects.toThrow(/attempts to lock the resource/)

    const extended = await lock.extend(5000)
    expect(await client.pttl('locks:res')).toBeGreaterThan(4000)
    expect(extended.value).toBe(lock.value)

    await extended.unlock()
    expect(await client.exists('locks:res')).toBe(0)

    // Free again: another owner can take it, and the old lock cannot release the new one.
    const other = await redlock.lock('locks:res', 1000)
    expect(other.value).not.toBe(lock.value)
    await lock.unlock().catch(() => {})
    expect(await client.get('locks:res')).toBe(other.value)
    await other.unlock()
  })

  it('lets a lock expire', async () => {
    const redlock = new Redlock([client], { retryCount: 0 })
    redlock.on('clientError', () => {})
    await redlock.lock('locks:short', 50)
    await new Promise((r) => setTimeout(r, 80))
    const again = await redlock.lock('locks:short', 50)
    expect(await client.get('locks:short')).toBe(again.value)
  })
})
