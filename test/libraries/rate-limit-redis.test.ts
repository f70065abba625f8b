/**
 * rate-limit-redis 6 (the Redis store of express-rate-limit 8), unmodified, on
 * the ioredis drop-in: its EVALSHA scripts, the NOSCRIPT reload, DECR/DEL, and
 * the store driving the real express-rate-limit middleware in an express app.
 * The same expectations run against a private valkey-server when installed.
 */
import type { AddressInfo } from 'node:net'
import express from 'express'
import { rateLimit } from 'express-rate-limit'
import { RedisStore, type RedisReply } from 'rate-limit-redis'
import type { Redis as RealRedis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { sleep } from '../helpers/wait.js'
import { backends, cleanups } from './backends.js'

/** What express-rate-limit passes to `init` (its whole configuration); the store reads only windowMs. */
const initOptions = (windowMs: number) => ({ windowMs }) as Parameters<RedisStore['init']>[0]

/** The store as the README wires it to ioredis, logging each command and any error reply. */
function redisStore(client: RealRedis, log: string[] = []): RedisStore {
  return new RedisStore({
    sendCommand: async (command: string, ...args: string[]) => {
      log.push(`${command} ${args[0] ?? ''}`)
      try {
        return (await client.call(command, ...args)) as RedisReply
      } catch (e) {
        log.push(`error ${(e as Error).message.split(' ')[0]}`)
        throw e
      }
    },
  })
}

describe.each(backends)('rate-limit-redis on %s', (_name, backend) => {
  it('increment counts hits per key and window; get, decrement and resetKey', async () => {
    const client = (await backend()).connect()
    const store = redisStore(client)
    await store.init(initOptions(2000))

    const before = Date.now()
    const first = await store.increment('ann')
    const after = Date.now()
    // A new window: SET 1 PX windowMs, and the reset time is a full window away.
    expect(first.totalHits).toBe(1)
    expect(first.resetTime!.getTime()).toBeGreaterThanOrEqual(before + 2000)
    expect(first.resetTime!.getTime()).toBeLessThanOrEqual(after + 2000)
    const pttl = await client.pttl('rl:ann')
    expect(pttl).toBeGreaterThan(1000)
    expect(pttl).toBeLessThanOrEqual(2000)

    // Within the window INCR keeps the TTL: 100 ms later the reset time has not moved (a new
    // window would put it 100 ms later), and PTTL has gone down by at least that much.
    await sleep(100)
    const second = await store.increment('ann')
    const third = await store.increment('ann')
    expect([second.totalHits, third.totalHits]).toEqual([2, 3])
    for (const r of [second, third]) {
      expect(Math.abs(r.resetTime!.getTime() - first.resetTime!.getTime())).toBeLessThan(100)
    }
    expect(await client.pttl('rl:ann')).toBeLessThanOrEqual(1900)
    expect((await store.increment('bob')).totalHits).toBe(1)
    expect(await client.get('rl:ann')).toBe('3')

    const got = await store.get('ann')
    expect(got!.totalHits).toBe(3)
    expect(Math.abs(got!.resetTime!.getTime() - first.resetTime!.getTime())).toBeLessThan(100)

    await store.decrement('ann')
    expect((await store.get('ann'))!.totalHits).toBe(2)
    expect(await client.pttl('rl:ann')).toBeGreaterThan(0)

    await store.resetKey('ann')
    expect(await client.exists('rl:ann')).toBe(0)
    expect(await client.get('rl:bob')).toBe('1')
    // The get script on a missing key: GET's false becomes a nil in the array, PTTL is -2.
    expect(await client.call('EVALSHA', await store.getScriptSha, '1', 'rl:ann')).toEqual([null, -2])
    expect((await store.increment('ann')).totalHits).toBe(1)
  }, 5000)

  it('starts a new window once the key expires', async () => {
    const client = (await backend()).connect()
    const store = redisStore(client)
    await store.init(initOptions(200))
    for (let i = 0; i < 3; i++) await store.increment('k')
    expect((await store.get('k'))!.totalHits).toBe(3)
    await sleep(250)
    expect(await client.exists('rl:k')).toBe(0)
    const before = Date.now()
    const fresh = await store.increment('k')
    expect(fresh.totalHits).toBe(1)
    expect(fresh.resetTime!.getTime()).toBeGreaterThanOrEqual(before + 200)

    // DECR after expiry leaves a key without a TTL (PTTL -1): the next increment restarts the window.
    await sleep(250)
    await store.decrement('k')
    expect(await client.get('rl:k')).toBe('-1')
    expect(await client.pttl('rl:k')).toBe(-1)
    expect((await store.increment('k')).totalHits).toBe(1)
    const pttl = await client.pttl('rl:k')
    expect(pttl).toBeGreaterThan(0)
    expect(pttl).toBeLessThanOrEqual(200)
  }, 5000)

  it('reloads its scripts after SCRIPT FLUSH (NOSCRIPT)', async () => {
    const client = (await backend()).connect()
    const log: string[] = []
    const store = redisStore(client, log)
    await store.init(initOptions(5000))
    const incrementSha = await store.incrementScriptSha
    const getSha = await store.getScriptSha
    expect(incrementSha).toMatch(/^[0-9a-f]{40}$/)
    expect(await client.script('EXISTS', incrementSha, getSha)).toEqual([1, 1])
    expect((await store.increment('x')).totalHits).toBe(1)

    expect(await client.script('FLUSH')).toBe('OK')
    expect(await client.script('EXISTS', incrementSha, getSha)).toEqual([0, 0])
    log.length = 0
    expect((await store.increment('x')).totalHits).toBe(2)
    expect((await store.get('x'))!.totalHits).toBe(2)
    expect(log).toEqual([
      'EVALSHA ' + incrementSha, 'error NOSCRIPT', 'SCRIPT LOAD', 'EVALSHA ' + incrementSha,
      'EVALSHA ' + getSha, 'error NOSCRIPT', 'SCRIPT LOAD', 'EVALSHA ' + getSha,
    ])
    // The same script text loads under the same SHA1.
    expect(await store.incrementScriptSha).toBe(incrementSha)
    expect(await store.getScriptSha).toBe(getSha)
  }, 5000)

  it('backs the express-rate-limit middleware in an express app', async () => {
    const client = (await backend()).connect()
    const store = redisStore(client)
    const limiter = rateLimit({ store, limit: 2, windowMs: 2000, standardHeaders: 'draft-7', legacyHeaders: false, skipFailedRequests: true })
    const app = express()
    app.use(limiter)
    app.get('/ok', (_req, res) => void res.send('ok'))
    app.get('/fail', (_req, res) => void res.status(500).send('boom'))
    const http = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => http.once('listening', resolve))
    cleanups.push(() => new Promise<void>((resolve) => (http.closeAllConnections(), http.close(() => resolve()))))
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
    const get = async (path: string): Promise<[number, string | null, string | null]> => {
      const r = await fetch(base + path)
      await r.text()
      return [r.status, r.headers.get('ratelimit'), r.headers.get('retry-after')]
    }

    const [status1, header1] = await get('/ok')
    expect(status1).toBe(200)
    expect(header1).toMatch(/^limit=2, remaining=1, reset=[12]$/)
    const keys = await client.keys('rl:*')
    expect(keys.length).toBe(1)
    const key = keys[0]!

    // The counter once the middleware's asynchronous decrement (on 'finish') has landed.
    const settled = async (want: string): Promise<string | null> => {
      const end = Date.now() + 2000
      while ((await client.get(key)) !== want && Date.now() < end) await sleep(5)
      return client.get(key)
    }
    // A failed request is counted, then DECRemented once the response finishes.
    expect((await get('/fail'))[0]).toBe(500)
    expect(await settled('1')).toBe('1')

    expect((await get('/ok')).slice(0, 2)).toEqual([200, expect.stringMatching(/^limit=2, remaining=0, reset=[12]$/)])
    const [status4, header4, retryAfter] = await get('/ok')
    expect(status4).toBe(429)
    expect(header4).toMatch(/^limit=2, remaining=0, reset=[12]$/)
    expect(retryAfter).toMatch(/^[12]$/)
    // The 429 is itself a failed request (status >= 400), so it is taken back too.
    expect(await settled('2')).toBe('2')
    expect((await get('/ok'))[0]).toBe(429)

    // The middleware's resetKey/getKey go to the store.
    expect(await settled('2')).toBe('2')
    const info = await limiter.getKey(key.slice('rl:'.length))
    expect(info!.totalHits).toBe(2)
    await limiter.resetKey(key.slice('rl:'.length))
    expect(await client.exists(key)).toBe(0)
    expect((await get('/ok'))[0]).toBe(200)
  }, 5000)
})
